"""The worker's side of a mass message: the planning claim, its send date, start, progress, finish.

A message is claimed only to count its audience and plan its chunks (total = -1 until then);
the chunks themselves are claimed in store/delivery_chunks.py. Every change is a guarded UPDATE,
so two workers never hold the same message and a canceled one is never started or finished.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, update

from massdm.store.db import lock
from massdm.store.messages import COLUMNS, OPEN, MassMessage, message_from_row
from massdm.store.tables import delivery_chunks, mass_message_media, mass_messages, media

# A message waits while any of its media is still being processed.
_MEDIA_READY = ~(
    select(mass_message_media.c.media_id)
    .join(media, media.c.id == mass_message_media.c.media_id)
    .where(mass_message_media.c.message_id == mass_messages.c.id, media.c.is_ready.is_(False))
    .exists()
)

PLANNABLE = and_(OPEN, mass_messages.c.total < 0, _MEDIA_READY)


def _unheld(now: datetime):  # noqa: ANN202 - a SQL condition
    return or_(mass_messages.c.claimed_by.is_(None), mass_messages.c.lease_until < now)


def claim(connection: Connection, message_id: int, worker: str, now: datetime, lease: timedelta) -> MassMessage | None:
    """Take this message for planning if it is due, not yet planned and nobody holds it."""
    claimed = connection.execute(
        update(mass_messages)
        .where(mass_messages.c.id == message_id, PLANNABLE, mass_messages.c.due_at <= now, _unheld(now))
        .values(claimed_by=worker, lease_until=now + lease)
        .returning(*COLUMNS)
    ).first()
    return message_from_row(claimed) if claimed else None


def claim_next(connection: Connection, worker: str, now: datetime, lease: timedelta) -> MassMessage | None:
    """Take the oldest due message that still needs planning and nobody holds.

    The guarded UPDATE makes the claim atomic: two workers can never hold the same message.
    """
    candidate = connection.execute(
        select(mass_messages.c.id)
        .where(PLANNABLE, mass_messages.c.due_at <= now, _unheld(now))
        .order_by(mass_messages.c.due_at, mass_messages.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if candidate is None:
        return None
    return claim(connection, candidate, worker, now, lease)


def stamp_sent_at(connection: Connection, account_id: str, now: datetime) -> datetime:
    """The date of an account's message that starts now: `now`, or a microsecond past the
    account's latest, so no two of its messages share a date. The lock, held until this
    transaction ends, also makes dates grow in commit order: a walk down the sent lists by date
    (api/sent_pages.py) never has a message appear behind it. Serialises starts per account."""
    lock(connection, f"massdm:sent-at:{account_id}")
    latest = connection.execute(
        select(func.max(mass_messages.c.sent_at)).where(mass_messages.c.account_id == account_id)
    ).scalar_one_or_none()
    return now if latest is None or latest < now else latest + timedelta(microseconds=1)


def start(connection: Connection, message_id: int, worker: str, now: datetime, *,
          sent_at: datetime, total: int, skipped: int, error: str | None = None) -> bool:
    """Record the counted audience and hand the message over to its chunks; with an error it ends here.

    False if the worker no longer holds an open message (canceled or taken over): roll back.
    """
    values: dict[str, object] = {"sent_at": sent_at, "total": total, "skipped_count": skipped,
                                 "claimed_by": None, "lease_until": None}
    if error is not None:
        values.update(error=error, finished_at=now)
    result = connection.execute(
        update(mass_messages)
        .where(mass_messages.c.id == message_id, mass_messages.c.claimed_by == worker, OPEN)
        .values(**values)
    )
    return result.rowcount == 1


def add_delivered(connection: Connection, message_id: int, delivered: int) -> int | None:
    """Count a delivered chunk; the new sent count, or None if the message is no longer open.

    The UPDATE locks the message row, so chunk commits of one message pass here one at a time.
    """
    return connection.execute(
        update(mass_messages)
        .where(mass_messages.c.id == message_id, OPEN)
        .values(sent_count=mass_messages.c.sent_count + delivered)
        .returning(mass_messages.c.sent_count)
    ).scalar_one_or_none()


def take_progress_turn(connection: Connection, message_id: int, now: datetime, every: timedelta) -> bool:
    """Whether delivery progress may be announced now: at most once per `every` per message, however
    many workers commit its chunks (the guarded UPDATE lets one of them through)."""
    return connection.execute(
        update(mass_messages)
        .where(mass_messages.c.id == message_id,
               or_(mass_messages.c.progress_event_at.is_(None), mass_messages.c.progress_event_at <= now - every))
        .values(progress_event_at=now)
    ).rowcount == 1


def finish(connection: Connection, message_id: int, now: datetime) -> bool:
    """End delivery: total becomes the truth (sent + skipped + failed), should membership have moved meanwhile."""
    return connection.execute(
        update(mass_messages)
        .where(mass_messages.c.id == message_id, OPEN)
        .values(finished_at=now, total=mass_messages.c.sent_count + mass_messages.c.skipped_count
                + mass_messages.c.failed_count)
    ).rowcount == 1


def recover_expired(connection: Connection, now: datetime) -> int:
    """Free the planning claims whose worker's lease ran out."""
    return connection.execute(
        update(mass_messages)
        .where(mass_messages.c.claimed_by.is_not(None), mass_messages.c.lease_until < now)
        .values(claimed_by=None, lease_until=None)
    ).rowcount


def open_count(connection: Connection, now: datetime) -> int:
    """Messages due and not yet finished or canceled."""
    return connection.execute(
        select(func.count()).select_from(mass_messages).where(OPEN, mass_messages.c.due_at <= now)
    ).scalar_one()


def release_all(connection: Connection, account_ids: list[str]) -> int:
    """Free every lease held on the accounts' messages and undelivered chunks (a snapshot restored:
    the workers that held them are not working on these rows, so nobody should wait their leases
    out — on a frozen sandbox clock they would never run out). How many leases were freed."""
    if not account_ids:
        return 0
    mine = select(mass_messages.c.id).where(mass_messages.c.account_id.in_(account_ids))
    freed = connection.execute(
        update(mass_messages)
        .where(mass_messages.c.account_id.in_(account_ids), mass_messages.c.claimed_by.is_not(None))
        .values(claimed_by=None, lease_until=None)
    ).rowcount
    return freed + connection.execute(
        update(delivery_chunks)
        .where(delivery_chunks.c.message_id.in_(mine), delivery_chunks.c.done_at.is_(None),
               delivery_chunks.c.claimed_by.is_not(None))
        .values(claimed_by=None, lease_until=None)
    ).rowcount
