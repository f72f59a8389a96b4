"""What each fan received: deliveries, views, purchases; the fan's inbox built from them, and a message's
activity over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    bindparam,
    cast,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from massdm.store.hot import HotStatement
from massdm.store.tables import deliveries, fans, mass_messages, purchases

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Delivery:
    message_id: int
    fan_id: int
    account_id: str
    delivered_at: datetime
    viewed_at: datetime | None
    purchased_at: datetime | None


_COLUMNS = (deliveries.c.message_id, deliveries.c.fan_id, deliveries.c.account_id, deliveries.c.delivered_at,
            deliveries.c.viewed_at, deliveries.c.purchased_at)


# Parameter names differ from the column names: an UPDATE reserves those for its SET clause.
_ONE = (deliveries.c.message_id == bindparam("of_message"), deliveries.c.fan_id == bindparam("of_fan"))
_DELIVERY = HotStatement(select(*_COLUMNS).where(*_ONE))
_FIRST_VIEW = HotStatement(
    update(deliveries).where(*_ONE, deliveries.c.viewed_at.is_(None)).values(viewed_at=bindparam("seen_at"))
)


def get_delivery(connection: Connection, message_id: int, fan_id: int) -> Delivery | None:
    row = _DELIVERY.first(connection, of_message=message_id, of_fan=fan_id)
    return Delivery(*row) if row else None


def visible_condition():  # noqa: ANN201
    """A delivery stays in the fan's inbox unless the message was unsent and the fan had not bought it."""
    return or_(mass_messages.c.canceled_at.is_(None), deliveries.c.purchased_at.is_not(None))


def inbox_page(
    connection: Connection, fan_id: int, account_ids: list[str], *, limit: int, offset: int
) -> tuple[list[Delivery], bool]:
    """The fan's received mass messages, newest first, from the given accounts."""
    rows = connection.execute(
        select(*_COLUMNS)
        .join(mass_messages, mass_messages.c.id == deliveries.c.message_id)
        .where(deliveries.c.fan_id == fan_id, deliveries.c.account_id.in_(account_ids), visible_condition())
        .order_by(deliveries.c.delivered_at.desc(), deliveries.c.message_id.desc())
        .limit(limit + 1)
        .offset(offset)
    ).all()
    return [Delivery(*r) for r in rows[:limit]], len(rows) > limit


def mark_viewed(connection: Connection, message_id: int, fan_id: int, now: datetime) -> bool:
    """Record the fan's first view; False if it was already viewed."""
    return _FIRST_VIEW.run(connection, of_message=message_id, of_fan=fan_id, seen_at=now) == 1


def mark_purchased(
    connection: Connection, message_id: int, fan_id: int, account_id: str, amount_cents: int, now: datetime
) -> int | None:
    """Record the fan's purchase (once); the purchase's id, or None if the fan had already bought it."""
    result = connection.execute(
        update(deliveries)
        .where(deliveries.c.message_id == message_id, deliveries.c.fan_id == fan_id,
               deliveries.c.purchased_at.is_(None))
        .values(purchased_at=now)
    )
    if result.rowcount != 1:
        return None
    return connection.execute(insert(purchases).values(
        message_id=message_id, account_id=account_id, fan_id=fan_id, amount_cents=amount_cents, purchased_at=now
    ).returning(purchases.c.id)).scalar_one()


@dataclass(frozen=True)
class Buyer:
    marker: int
    fan_id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    amount_cents: int
    purchased_at: datetime
    last_seen_at: datetime | None


def page_buyers(
    connection: Connection, message_id: int, *, after_marker: int | None, offset: int, limit: int
) -> tuple[list[Buyer], bool]:
    """Buyers in purchase order; `after_marker` continues after a previous page (keyset)."""
    statement = (
        select(purchases.c.id, fans.c.id, fans.c.username, fans.c.name, fans.c.subscribed_at, fans.c.expires_at,
               fans.c.auto_renew, purchases.c.amount_cents, purchases.c.purchased_at, fans.c.last_seen_at)
        .join(fans, and_(fans.c.account_id == purchases.c.account_id, fans.c.id == purchases.c.fan_id))
        .where(purchases.c.message_id == message_id)
    )
    if after_marker is not None:
        statement = statement.where(purchases.c.id > after_marker)
    rows = connection.execute(statement.order_by(purchases.c.id).limit(limit + 1).offset(offset)).all()
    return [Buyer(*tuple(r)) for r in rows[:limit]], len(rows) > limit


def revenue_per_day(connection: Connection, account_id: str, start: datetime, end: datetime) -> dict[str, int]:
    """Cents earned from mass-message purchases on each UTC day (YYYY-MM-DD) in [start, end)."""
    day = func.date(purchases.c.purchased_at)
    rows = connection.execute(
        select(day, func.sum(purchases.c.amount_cents))
        .where(purchases.c.account_id == account_id, purchases.c.purchased_at >= start,
               purchases.c.purchased_at < end)
        .group_by(day)
    ).all()
    return {str(d): int(n) for d, n in rows}


def facts_for_message(connection: Connection, message_id: int) -> dict[str, int]:
    """Counts straight from the per-fan rows (for checks that the counters tell the truth)."""
    row = connection.execute(
        select(func.count(), func.count(deliveries.c.viewed_at), func.count(deliveries.c.purchased_at))
        .where(deliveries.c.message_id == message_id)
    ).one()
    revenue = connection.execute(
        select(func.coalesce(func.sum(purchases.c.amount_cents), 0)).where(purchases.c.message_id == message_id)
    ).scalar_one()
    return {"sent": row[0], "viewed": row[1], "purchased": row[2], "revenue_cents": int(revenue)}


@dataclass(frozen=True)
class ActivitySpan:
    """When a message's recorded activity begins (its first delivery) and ends (its latest delivery,
    view or purchase)."""

    first: datetime
    last: datetime


@dataclass(frozen=True)
class BucketCounts:
    bucket: int  # the bucket's number after the origin (0 = the one starting there)
    delivered: int
    viewed: int
    purchased: int


def _whole_seconds(dialect: str, moment: ColumnElement) -> ColumnElement:
    """A stored moment as whole seconds since the Unix epoch, its fraction cut (SQLite keeps moments as
    text, the store writes them in UTC: its first 19 characters are the whole second)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", func.substr(moment, 1, 19)), BigInteger)
    return cast(func.floor(extract("epoch", moment)), BigInteger)


def activity_span(connection: Connection, message_id: int) -> ActivitySpan | None:
    """The span of the message's deliveries, views and purchases; None before its first delivery."""
    d = deliveries.c
    row = connection.execute(
        select(func.min(d.delivered_at).label("first"), func.max(d.delivered_at).label("delivered"),
               func.max(d.viewed_at).label("viewed"), func.max(d.purchased_at).label("purchased"))
        .where(d.message_id == message_id)
    ).one()
    if row.first is None:
        return None
    return ActivitySpan(row.first, max(m for m in (row.delivered, row.viewed, row.purchased) if m is not None))


def activity_per_bucket(
    connection: Connection, message_id: int, *, origin: datetime, bucket_seconds: int
) -> list[BucketCounts]:
    """Deliveries, first views and purchases of the message per time bucket of `bucket_seconds`
    counted from `origin` (a whole second, at or before its first delivery), in bucket order; buckets
    with nothing in them are left out.

    One statement over the message's delivery rows (a range of the primary key): each row gives up to
    three moments, each moment its bucket; the same counts the message's counters keep (`sent_count`,
    `viewed_count`, `purchased_count`), spread over time.
    """
    d = deliveries.c
    dialect = connection.dialect.name
    start = (origin - _EPOCH) // timedelta(seconds=1)

    def moments(column: ColumnElement, kind: str):  # noqa: ANN202 - a Select
        since = (_whole_seconds(dialect, column) - literal(start, BigInteger)).self_group()
        bucket = since.op("/")(literal(bucket_seconds, BigInteger))  # integers: whole buckets on both backends
        return select(bucket.label("bucket"), literal(kind).label("kind")).where(
            d.message_id == message_id, column.is_not(None))

    every = union_all(moments(d.delivered_at, "delivered"), moments(d.viewed_at, "viewed"),
                      moments(d.purchased_at, "purchased")).subquery()
    rows = connection.execute(
        select(every.c.bucket, every.c.kind, func.count().label("n"))
        .group_by(every.c.bucket, every.c.kind).order_by(every.c.bucket)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(int(row.bucket), {})[row.kind] = int(row.n)
    return [BucketCounts(bucket, found.get("delivered", 0), found.get("viewed", 0), found.get("purchased", 0))
            for bucket, found in counts.items()]
