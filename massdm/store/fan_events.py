"""Fan events applied set-based: a batch's wants in temporary tables, then a few statements over all of it.

What the batch wants of each (message, fan) (domain/fan_events.py) is written to temporary
tables of the connection, each filled in one call; every statement after that joins them,
so a batch of 10,000 events is a handful of statements whatever its size. The guards are the
single calls' own: a view is recorded only while `viewed_at` is NULL, a purchase only while
`purchased_at` is NULL, both only for a delivery the fan received (on an account the key may
use, still in the inbox) and a purchase only of a priced message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    update,
)

from massdm.domain.fan_events import Pair, Receipt, Want
from massdm.store.deliveries import visible_condition
from massdm.store.tables import deliveries, mass_messages, purchases
from massdm.store.types import UTCDateTime

# Not part of the schema (migrations never see them): each connection makes its own when it first needs them.
# A batch's pairs share a few wants (the same instants, the same order of view and purchase), so a pair's row
# holds the number of its want: three integers per row fill the table in half the time five columns take.
_temporary = MetaData()
batch = Table(
    "fan_event_batch",
    _temporary,
    Column("message_id", BigInteger, nullable=False),
    Column("fan_id", BigInteger, nullable=False),
    Column("want", Integer, nullable=False),
)
wants = Table(
    "fan_event_wants",
    _temporary,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("view_at", UTCDateTime, nullable=True),
    Column("purchase_at", UTCDateTime, nullable=True),
    Column("purchase_first", Boolean, nullable=False),
)

# No key or index on the batch on purpose: the planner then drives every join from it into the deliveries'
# primary key (with an index on the batch, SQLite would rather scan the deliveries and probe the batch).
_TABLES_DDL = (
    ("fan_event_batch", "message_id BIGINT NOT NULL, fan_id BIGINT NOT NULL, want INTEGER NOT NULL"),
    ("fan_event_wants", "id INTEGER PRIMARY KEY, view_at TIMESTAMP, purchase_at TIMESTAMP, "
                        "purchase_first BOOLEAN NOT NULL"),
)
_CREATE = {
    "sqlite": [f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})" for name, columns in _TABLES_DDL],
    "postgresql": [f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS"
                   for name, columns in _TABLES_DDL],
}
_FILL_SQLITE = "INSERT INTO fan_event_batch VALUES (?, ?, ?)"
_FILL_POSTGRESQL = text(
    "INSERT INTO fan_event_batch SELECT * FROM unnest(CAST(:message_ids AS BIGINT[]), CAST(:fan_ids AS BIGINT[]), "
    "CAST(:wants AS INTEGER[]))"
)

_PAIR = and_(deliveries.c.message_id == batch.c.message_id, deliveries.c.fan_id == batch.c.fan_id,
             wants.c.id == batch.c.want)
_ACCOUNTS: BindParameter[str] = bindparam("account_ids", expanding=True)
_RECEIVED = and_(deliveries.c.account_id.in_(_ACCOUNTS), visible_condition())
_BUYS = and_(wants.c.purchase_at.is_not(None), deliveries.c.purchased_at.is_(None), mass_messages.c.price_cents > 0,
             _RECEIVED)
# The view a pair's events record: the purchase's when it came first and buys now, else the first view's.
_VIEW_AT = case((and_(_BUYS, wants.c.purchase_first), wants.c.purchase_at), else_=wants.c.view_at)


def _not_before_delivery(moment):  # noqa: ANN001, ANN202 - a SQL expression
    """An event dated before the fan received the message is recorded at the moment it was received."""
    return case((moment < deliveries.c.delivered_at, deliveries.c.delivered_at), else_=moment)


_RECORD_VIEWS = (
    update(deliveries)
    .where(_PAIR, mass_messages.c.id == deliveries.c.message_id, deliveries.c.viewed_at.is_(None), _RECEIVED,
           _VIEW_AT.is_not(None))
    .values(viewed_at=_not_before_delivery(_VIEW_AT))
    .returning(deliveries.c.message_id, deliveries.c.fan_id)
)
_RECORD_PURCHASES = (
    update(deliveries)
    .where(_PAIR, mass_messages.c.id == deliveries.c.message_id, _BUYS)
    .values(purchased_at=_not_before_delivery(wants.c.purchase_at))
    .returning(deliveries.c.message_id, deliveries.c.fan_id, deliveries.c.account_id, deliveries.c.purchased_at)
)
# Locks in (message, fan) order, so batches that share deliveries wait for each other instead of deadlocking.
_LOCK = select(func.count()).select_from(
    select(deliveries.c.message_id).join_from(batch, deliveries, and_(
        deliveries.c.message_id == batch.c.message_id, deliveries.c.fan_id == batch.c.fan_id))
    .order_by(deliveries.c.message_id, deliveries.c.fan_id).with_for_update(of=deliveries).subquery()
)
_RECEIPTS = (
    select(batch.c.message_id, batch.c.fan_id,
           and_(deliveries.c.message_id.is_not(None), visible_condition()).label("received"),
           (func.coalesce(mass_messages.c.price_cents, 0) > 0).label("priced"))
    .select_from(batch.outerjoin(deliveries, and_(deliveries.c.message_id == batch.c.message_id,
                                                  deliveries.c.fan_id == batch.c.fan_id,
                                                  deliveries.c.account_id.in_(_ACCOUNTS)))
                 .outerjoin(mass_messages, mass_messages.c.id == deliveries.c.message_id))
)


@dataclass(frozen=True)
class Bought:
    message_id: int
    fan_id: int
    account_id: str
    purchased_at: datetime


def load_batch(connection: Connection, wanted: dict[Want, list[Pair]]) -> None:
    """Put what the batch wants of each pair where the statements below read it (this transaction only)."""
    if not wanted:
        return
    dialect = connection.dialect
    for create in _CREATE[dialect.name]:
        connection.exec_driver_sql(create)
    rows = [(m, f, number) for number, pairs in enumerate(wanted.values()) for m, f in pairs]
    if dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM fan_event_batch")  # a temporary table outlives transactions
        connection.exec_driver_sql("DELETE FROM fan_event_wants")
        connection.exec_driver_sql(_FILL_SQLITE, rows)
    else:
        connection.execute(_FILL_POSTGRESQL, {"message_ids": [r[0] for r in rows], "fan_ids": [r[1] for r in rows],
                                              "wants": [r[2] for r in rows]})
    connection.execute(insert(wants), [
        {"id": number, "view_at": want.view_at, "purchase_at": want.purchase_at, "purchase_first": want.purchase_first}
        for number, want in enumerate(wanted)
    ])


def lock_deliveries(connection: Connection) -> None:
    """Lock the batch's deliveries until the transaction ends (PostgreSQL; SQLite's transactions are serial)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK)


def record_views(connection: Connection, account_ids: list[str]) -> set[Pair]:
    """Record each pair's first view, where none was recorded yet; the pairs viewed now."""
    return set(connection.execute(_RECORD_VIEWS, {"account_ids": account_ids}).all())  # rows hash as tuples


def record_purchases(connection: Connection, account_ids: list[str]) -> list[Bought]:
    """Mark each pair's purchase, where the fan may buy and had not bought yet; the deliveries bought now.

    Runs after `record_views`, whose choice of the view's time read the same `purchased_at`.
    """
    rows = connection.execute(_RECORD_PURCHASES, {"account_ids": account_ids})
    return [Bought(**row._mapping) for row in rows]


def insert_purchases(connection: Connection, bought: list[Bought], amounts: dict[int, int]) -> list[int]:
    """The purchase rows of `bought` (amount by message id); their ids, in the same order."""
    if not bought:
        return []
    statement = insert(purchases).returning(purchases.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, [
        {"message_id": b.message_id, "account_id": b.account_id, "fan_id": b.fan_id,
         "amount_cents": amounts[b.message_id], "purchased_at": b.purchased_at} for b in bought
    ]).scalars())


def receipts(connection: Connection, account_ids: list[str]) -> dict[Pair, Receipt]:
    """For every pair of the batch: whether the fan received the message (may see it) and whether it is priced."""
    return {(row.message_id, row.fan_id): Receipt(received=bool(row.received), priced=bool(row.priced))
            for row in connection.execute(_RECEIPTS, {"account_ids": account_ids})}
