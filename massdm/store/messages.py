"""Mass messages: the message rows, their audience spec and media, their reads and counters.

The worker's claims on them (planning, send date, start, finish) are in store/message_claims.py.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import BindParameter, Connection, and_, bindparam, delete, func, insert, or_, select, update

from massdm.domain.queue import MessageFacts
from massdm.store.hot import HotStatement
from massdm.store.tables import mass_message_media, mass_message_user_ids, mass_messages


@dataclass(frozen=True)
class MassMessage:
    id: int
    account_id: str
    text: str
    raw_text: str
    locked_text: bool
    price_cents: int
    giphy_id: str | None
    release_forms: dict
    user_lists: list
    excluded_lists: list
    subscribed_since: datetime | None
    created_at: datetime
    saved_for_later: bool
    scheduled_at: datetime | None
    due_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None
    canceled_at: datetime | None
    total: int
    skipped_count: int
    sent_count: int
    viewed_count: int
    purchased_count: int
    revenue_cents: int
    claimed_by: str | None
    lease_until: datetime | None
    error: str | None
    failed_count: int

    @property
    def facts(self) -> MessageFacts:
        return MessageFacts(
            created_at=self.created_at, scheduled_at=self.scheduled_at, saved_for_later=self.saved_for_later,
            sent_at=self.sent_at, finished_at=self.finished_at, canceled_at=self.canceled_at, total=self.total,
            sent_count=self.sent_count, skipped_count=self.skipped_count, error=self.error,
            failed_count=self.failed_count,
        )

    @property
    def started(self) -> bool:
        return self.sent_at is not None


COLUMNS = tuple(getattr(mass_messages.c, f.name) for f in fields(MassMessage))
OPEN = and_(mass_messages.c.finished_at.is_(None), mass_messages.c.canceled_at.is_(None))


# Statements of the read paths every queue, inbox and view request takes, built once.
_IDS: BindParameter[int] = bindparam("message_ids", expanding=True)
_NAMED_FANS = HotStatement(
    select(mass_message_user_ids.c.message_id, mass_message_user_ids.c.fan_id)
    .where(mass_message_user_ids.c.message_id.in_(_IDS))
    .order_by(mass_message_user_ids.c.message_id, mass_message_user_ids.c.fan_id)
)
_MEDIA_REFS = HotStatement(
    select(mass_message_media.c.message_id, mass_message_media.c.media_id, mass_message_media.c.is_preview)
    .where(mass_message_media.c.message_id.in_(_IDS))
    .order_by(mass_message_media.c.message_id, mass_message_media.c.position)
)
_BY_ACCOUNT_AND_ID_SELECT = select(*COLUMNS).where(
    mass_messages.c.account_id == bindparam("account_id"), mass_messages.c.id == bindparam("message_id")
)
_BY_ACCOUNT_AND_ID = HotStatement(_BY_ACCOUNT_AND_ID_SELECT)
_BY_ACCOUNT_AND_ID_LOCKED = HotStatement(_BY_ACCOUNT_AND_ID_SELECT.with_for_update())
_BY_ID = HotStatement(select(*COLUMNS).where(mass_messages.c.id == bindparam("message_id")))
_BY_IDS = HotStatement(select(*COLUMNS).where(mass_messages.c.id.in_(_IDS)))
_QUEUE = HotStatement(
    select(*COLUMNS)
    .where(
        mass_messages.c.account_id == bindparam("account_id"),
        mass_messages.c.saved_for_later.is_(False),
        or_(
            and_(OPEN, mass_messages.c.due_at.is_not(None)),
            mass_messages.c.sent_at >= bindparam("sent_since"),
            mass_messages.c.canceled_at >= bindparam("sent_since"),
        ),
    )
    .order_by(mass_messages.c.created_at.desc(), mass_messages.c.id.desc())
    .limit(bindparam("limit"))
)


def message_from_row(row) -> MassMessage:  # noqa: ANN001
    return MassMessage(**row._mapping)


@dataclass(frozen=True)
class NewMessage:
    """A message as a send creates it: its content, audience and timing (the counters start at zero)."""

    account_id: str
    text: str
    raw_text: str
    locked_text: bool
    price_cents: int
    giphy_id: str | None
    release_forms: dict[str, list[str]]
    user_lists: list[str]
    excluded_lists: list[str]
    subscribed_since: datetime | None
    created_at: datetime
    saved_for_later: bool
    scheduled_at: datetime | None
    due_at: datetime | None  # None while saved for later


@dataclass(frozen=True)
class MessageEdit:
    """An edit before sending. None leaves that part as it is; the text and price are always given."""

    text: str
    raw_text: str
    price_cents: int
    locked_text: bool | None = None
    giphy_id: str | None = None
    user_lists: list[str] | None = None
    scheduled_at: datetime | None = None  # a new time also takes it out of saved for later


def insert_message(connection: Connection, new: NewMessage) -> int:
    return connection.execute(
        insert(mass_messages)
        .values(account_id=new.account_id, text=new.text, raw_text=new.raw_text, locked_text=new.locked_text,
                price_cents=new.price_cents, giphy_id=new.giphy_id, release_forms=new.release_forms,
                user_lists=new.user_lists, excluded_lists=new.excluded_lists, subscribed_since=new.subscribed_since,
                created_at=new.created_at, saved_for_later=new.saved_for_later, scheduled_at=new.scheduled_at,
                due_at=new.due_at, total=-1, skipped_count=0, sent_count=0, viewed_count=0, purchased_count=0,
                revenue_cents=0)
        .returning(mass_messages.c.id)
    ).scalar_one()


def edit_unsent(connection: Connection, message_id: int, edit: MessageEdit) -> None:
    """Apply an edit; a worker that had claimed the message to count its audience loses the claim
    (it counts again, with the new audience)."""
    values: dict[str, object] = {"text": edit.text, "raw_text": edit.raw_text, "price_cents": edit.price_cents,
                                 "claimed_by": None, "lease_until": None}
    if edit.locked_text is not None:
        values["locked_text"] = edit.locked_text
    if edit.giphy_id is not None:
        values["giphy_id"] = edit.giphy_id
    if edit.user_lists is not None:
        values["user_lists"] = edit.user_lists
    if edit.scheduled_at is not None:
        values.update(scheduled_at=edit.scheduled_at, due_at=edit.scheduled_at, saved_for_later=False)
    connection.execute(update(mass_messages).where(mass_messages.c.id == message_id).values(**values))


def cancel(connection: Connection, message_id: int, now: datetime) -> None:
    """Unsend or cancel: delivery stops before its next chunk; counters stay as they were."""
    connection.execute(update(mass_messages).where(mass_messages.c.id == message_id).values(canceled_at=now))


def release_saved(connection: Connection, message_id: int, now: datetime) -> None:
    """A saved-for-later message enters the queue, due now."""
    connection.execute(update(mass_messages).where(mass_messages.c.id == message_id)
                       .values(saved_for_later=False, due_at=now))


def set_user_ids(connection: Connection, message_id: int, fan_ids: list[int]) -> None:
    connection.execute(delete(mass_message_user_ids).where(mass_message_user_ids.c.message_id == message_id))
    if fan_ids:
        connection.execute(insert(mass_message_user_ids),
                           [{"message_id": message_id, "fan_id": f} for f in dict.fromkeys(fan_ids)])


def user_ids(connection: Connection, message_id: int) -> list[int]:
    return user_ids_of(connection, [message_id])[message_id]


def user_ids_of(connection: Connection, message_ids: list[int]) -> dict[int, list[int]]:
    """The fans each message names directly (userIds), in one query."""
    result: dict[int, list[int]] = {m: [] for m in message_ids}
    if message_ids:
        for row in _NAMED_FANS.all(connection, message_ids=message_ids):
            result[row.message_id].append(row.fan_id)
    return result


def set_media(connection: Connection, message_id: int, media: list[tuple[int, bool]]) -> None:
    """The message's media in order, each (media id, is a free preview)."""
    connection.execute(delete(mass_message_media).where(mass_message_media.c.message_id == message_id))
    if media:
        connection.execute(insert(mass_message_media), [
            {"message_id": message_id, "position": n, "media_id": m, "is_preview": p} for n, (m, p) in enumerate(media)
        ])


def media_of(connection: Connection, message_ids: list[int]) -> dict[int, list[tuple[int, bool]]]:
    """(media id, is preview) in order, for each message."""
    result: dict[int, list[tuple[int, bool]]] = {m: [] for m in message_ids}
    if message_ids:
        for row in _MEDIA_REFS.all(connection, message_ids=message_ids):
            result[row.message_id].append((row.media_id, row.is_preview))
    return result


def get_message(connection: Connection, account_id: str, message_id: int, *, lock: bool = False) -> MassMessage | None:
    """The message; with `lock`, its row stays locked until the transaction ends (edits, cancels)."""
    statement = _BY_ACCOUNT_AND_ID_LOCKED if lock else _BY_ACCOUNT_AND_ID
    row = statement.first(connection, account_id=account_id, message_id=message_id)
    return message_from_row(row) if row else None


def get_message_by_id(connection: Connection, message_id: int) -> MassMessage | None:
    row = _BY_ID.first(connection, message_id=message_id)
    return message_from_row(row) if row else None


def messages_by_ids(connection: Connection, message_ids: list[int]) -> dict[int, MassMessage]:
    if not message_ids:
        return {}
    rows = _BY_IDS.all(connection, message_ids=message_ids)
    return {row.id: message_from_row(row) for row in rows}


def list_queue(connection: Connection, account_id: str, *, sent_since: datetime, limit: int) -> list[MassMessage]:
    """Pending, scheduled and recently sent (or canceled) messages, newest first; not saved-for-later ones."""
    rows = _QUEUE.all(connection, account_id=account_id, sent_since=sent_since, limit=limit)
    return [message_from_row(r) for r in rows]


def page_sent(
    connection: Connection,
    account_id: str,
    *,
    start: datetime | None,
    until: datetime | None,
    after_id: int | None,
    query: str | None,
    limit: int,
) -> tuple[list[MassMessage], bool]:
    """Messages whose delivery has started, newest first by (sent_at, id).

    `until` is exclusive. `after_id` (the last item of the previous page) keeps what comes after
    that message in this order, by its own exact sent_at, so nothing is lost or repeated even
    among messages that share a date (rows stamped before `stamp_sent_at` may). An id that is
    not one of the account's sent messages matches nothing.
    """
    statement = select(*COLUMNS).where(mass_messages.c.account_id == account_id, mass_messages.c.sent_at.is_not(None))
    if start is not None:
        statement = statement.where(mass_messages.c.sent_at >= start)
    if until is not None:
        statement = statement.where(mass_messages.c.sent_at < until)
    if after_id is not None:
        at = (select(mass_messages.c.sent_at)
              .where(mass_messages.c.account_id == account_id, mass_messages.c.id == after_id).scalar_subquery())
        statement = statement.where(
            or_(mass_messages.c.sent_at < at, and_(mass_messages.c.sent_at == at, mass_messages.c.id < after_id))
        )
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(mass_messages.c.raw_text).like(f"%{escaped}%", escape="\\"))
    rows = connection.execute(
        statement.order_by(mass_messages.c.sent_at.desc(), mass_messages.c.id.desc()).limit(limit + 1)
    ).all()
    return [message_from_row(r) for r in rows[:limit]], len(rows) > limit


def page_saved(connection: Connection, account_id: str, *, limit: int, offset: int) -> tuple[list[MassMessage], bool]:
    rows = connection.execute(
        select(*COLUMNS)
        .where(mass_messages.c.account_id == account_id, mass_messages.c.saved_for_later.is_(True), OPEN)
        .order_by(mass_messages.c.created_at, mass_messages.c.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    return [message_from_row(r) for r in rows[:limit]], len(rows) > limit


def count_saved(connection: Connection, account_id: str) -> int:
    return connection.execute(
        select(func.count()).select_from(mass_messages)
        .where(mass_messages.c.account_id == account_id, mass_messages.c.saved_for_later.is_(True), OPEN)
    ).scalar_one()


# Scheduled and not started: what the scheduling queue shows besides saved messages (few per account).
def _scheduled_within(account_id: str, start: datetime, end: datetime):  # noqa: ANN202 - a SQL condition
    return and_(mass_messages.c.account_id == account_id, mass_messages.c.saved_for_later.is_(False), OPEN,
                mass_messages.c.sent_at.is_(None), mass_messages.c.scheduled_at >= start,
                mass_messages.c.scheduled_at < end)


def scheduled_between(connection: Connection, account_id: str, start: datetime, end: datetime, *, limit: int
                      ) -> list[MassMessage]:
    """Messages scheduled in [start, end) that have not started sending, soonest first."""
    rows = connection.execute(
        select(*COLUMNS).where(_scheduled_within(account_id, start, end))
        .order_by(mass_messages.c.scheduled_at, mass_messages.c.id).limit(limit)
    ).all()
    return [message_from_row(r) for r in rows]


def scheduled_times(connection: Connection, account_id: str, start: datetime, end: datetime) -> list[datetime]:
    """When each message scheduled in [start, end) goes out (for counts per day)."""
    return list(connection.execute(
        select(mass_messages.c.scheduled_at).where(_scheduled_within(account_id, start, end))
    ).scalars())


def publish_now(connection: Connection, message_id: int, now: datetime) -> None:
    """A scheduled or saved message is due now: it is no longer scheduled or saved for later."""
    connection.execute(update(mass_messages).where(mass_messages.c.id == message_id)
                       .values(saved_for_later=False, scheduled_at=None, due_at=now))


def oldest_saved(connection: Connection, account_id: str) -> MassMessage | None:
    saved, _ = page_saved(connection, account_id, limit=1, offset=0)
    return saved[0] if saved else None


def top_by_revenue(
    connection: Connection, account_id: str, *, start: datetime | None, until: datetime | None
) -> MassMessage | None:
    """The paid message with most revenue sent in [start, until)."""
    statement = select(*COLUMNS).where(
        mass_messages.c.account_id == account_id, mass_messages.c.sent_at.is_not(None),
        mass_messages.c.price_cents > 0, mass_messages.c.purchased_count > 0,
    )
    if start is not None:
        statement = statement.where(mass_messages.c.sent_at >= start)
    if until is not None:
        statement = statement.where(mass_messages.c.sent_at < until)
    row = connection.execute(
        statement.order_by(mass_messages.c.revenue_cents.desc(), mass_messages.c.sent_at.desc()).limit(1)
    ).first()
    return message_from_row(row) if row else None


def sent_per_day(connection: Connection, account_id: str, start: datetime, end: datetime) -> dict[str, int]:
    """Mass messages sent on each UTC day (YYYY-MM-DD) in [start, end)."""
    day = func.date(mass_messages.c.sent_at)
    rows = connection.execute(
        select(day.label("day"), func.count().label("sent"))
        .where(mass_messages.c.account_id == account_id, mass_messages.c.sent_at >= start,
               mass_messages.c.sent_at < end)
        .group_by(day)
    ).all()
    return {str(row.day): int(row.sent) for row in rows}


_ADD_COUNTERS = HotStatement(
    update(mass_messages)
    .where(mass_messages.c.id == bindparam("of_message"))
    .values(viewed_count=mass_messages.c.viewed_count + bindparam("viewed"),
            purchased_count=mass_messages.c.purchased_count + bindparam("purchased"),
            revenue_cents=mass_messages.c.revenue_cents + bindparam("revenue"))
)


def add_counters(
    connection: Connection, message_id: int, *, viewed_count: int = 0, purchased_count: int = 0, revenue_cents: int = 0
) -> None:
    """Add to the message's counters in one statement (views, purchases, revenue)."""
    _ADD_COUNTERS.run(connection, of_message=message_id, viewed=viewed_count, purchased=purchased_count,
                      revenue=revenue_cents)


@dataclass(frozen=True)
class CounterDelta:
    viewed_count: int = 0
    purchased_count: int = 0
    revenue_cents: int = 0


def add_counters_many(connection: Connection, deltas: dict[int, CounterDelta]) -> None:
    """`add_counters` for several messages in one call, in message id order (so concurrent callers lock alike)."""
    if deltas:
        connection.execute(_ADD_COUNTERS.statement, [  # many rows: the driver's executemany
            {"of_message": m, "viewed": d.viewed_count, "purchased": d.purchased_count, "revenue": d.revenue_cents}
            for m, d in sorted(deltas.items())
        ])
