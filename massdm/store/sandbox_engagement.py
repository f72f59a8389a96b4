"""Simulated fans' settings (`sandbox_engagement`) and the SQL that materialises their views and purchases.

Each fan's behaviour is domain.engagement_model's pure function, drawn here per row in SQL with the same
integers (the hashes of domain.hashing, thresholds and delays computed once in Python), so a statement
records exactly what `behaviour` says for every fan whose event time has come, and nothing is looped
over fans in Python. The hash squares its value twice, and an expression is inlined wherever it is read:
the first square's result is kept behind a subquery with `OFFSET 0` (SQLite's co-routine, PostgreSQL's
optimisation fence), so each row computes it once; the cheap folds around it are simply written twice.

Each message's deliveries are read once (`stage_due`): the fans whose view has come due are staged in a
temporary table (this transaction's) with their view's delay, then their views are one guarded
`UPDATE … FROM` the stage, and their purchases are drawn from the stage alone (only viewers buy), staged
in another, marked on the deliveries, inserted into `purchases` in time order, and summed from the stage
into counters and spend by a few statements, whatever their number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)

from massdm.domain import engagement_model as model
from massdm.domain.engagement_model import Delay, EngagementSettings
from massdm.domain.hashing import R1, R2, A, B, C, D, P
from massdm.store.dialect import upsert
from massdm.store.tables import deliveries, fan_spend_versions, fans, mass_messages, purchases, sandbox_engagement
from massdm.store.types import UTCDateTime

# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountEngagement:
    account_id: str
    settings: EngagementSettings
    through: datetime | None  # every event up to it is recorded (under these settings)
    settled_before: datetime | None  # messages finished before it have nothing left to record


def _engagement(row) -> AccountEngagement:  # noqa: ANN001 - a row of sandbox_engagement
    settings = EngagementSettings(
        enabled=row.enabled, seed=row.seed, view_rate=row.view_rate, purchase_rate=row.purchase_rate,
        view_delay=Delay(row.view_delay_min_hours, row.view_delay_max_hours),
        purchase_delay=Delay(row.purchase_delay_min_hours, row.purchase_delay_max_hours),
    )
    return AccountEngagement(row.account_id, settings, row.through, row.settled_before)


def get_engagement(connection: Connection, account_id: str) -> AccountEngagement | None:
    row = connection.execute(select(sandbox_engagement).where(sandbox_engagement.c.account_id == account_id)).first()
    return _engagement(row) if row else None


def put_settings(connection: Connection, account_id: str, settings: EngagementSettings, now: datetime) -> None:
    """Replace the account's settings; what was materialised stays, the rest is judged anew."""
    values = {
        "enabled": settings.enabled, "seed": settings.seed, "view_rate": settings.view_rate,
        "purchase_rate": settings.purchase_rate,
        "view_delay_min_hours": settings.view_delay.min_hours, "view_delay_max_hours": settings.view_delay.max_hours,
        "purchase_delay_min_hours": settings.purchase_delay.min_hours,
        "purchase_delay_max_hours": settings.purchase_delay.max_hours,
        "updated_at": now, "through": None, "settled_before": None,
    }
    statement = upsert(connection, sandbox_engagement).values(account_id=account_id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=[sandbox_engagement.c.account_id],
                                                       set_=values))


def enabled_accounts(connection: Connection) -> list[str]:
    c = sandbox_engagement.c
    return list(connection.execute(select(c.account_id).where(c.enabled.is_(True)).order_by(c.account_id)).scalars())


def mark_through(connection: Connection, account_id: str, moment: datetime, settled_before: datetime) -> None:
    c = sandbox_engagement.c
    connection.execute(update(sandbox_engagement).where(c.account_id == account_id)
                       .values(through=moment, settled_before=settled_before))


@dataclass(frozen=True)
class Engaged:
    """A delivered message whose fans may still view or buy it."""

    message_id: int
    price_cents: int


def messages_to_engage(connection: Connection, engagement: AccountEngagement) -> list[Engaged]:
    """The account's sent, not unsent messages, but those finished before `settled_before`, in id order."""
    m = mass_messages.c
    statement = select(m.id, m.price_cents).where(m.account_id == engagement.account_id, m.sent_at.is_not(None),
                                                  m.canceled_at.is_(None), m.total >= 0)
    if engagement.settled_before is not None:
        statement = statement.where(or_(m.finished_at.is_(None), m.finished_at >= engagement.settled_before))
    return [Engaged(row.id, row.price_cents) for row in connection.execute(statement.order_by(m.id))]


# --- the draws, in SQL ----------------------------------------------------------------------------


def _int(value: int) -> ColumnElement:
    return literal(value, BigInteger)


def _linear(seed: int, message_id: int, salt: int, fan_id: ColumnElement | None = None) -> ColumnElement:
    """mix's first fold for this (seed, message, salt) and each delivery's fan: all but the fan is one constant."""
    k = ((message_id % P) * A % P + (seed % P) * C % P + (salt % P) * D % P + 12_345) % P
    fan = deliveries.c.fan_id if fan_id is None else fan_id
    return ((cast(fan, BigInteger) % P) * B % P + k) % P


def _square(value: ColumnElement, shift: int) -> ColumnElement:
    return (value * value + shift) % P


def _delay(drawn: ColumnElement, delay: Delay) -> ColumnElement:
    """Delay.seconds in SQL (integer division on both backends)."""
    return _int(delay.min_seconds) + (drawn * (delay.max_seconds - delay.min_seconds)).op("/")(_int(P))


def _fenced(statement):  # noqa: ANN001, ANN202 - a Select
    return statement.offset(0).subquery()


def _epoch(dialect: str, moment: ColumnElement) -> ColumnElement:
    """SQLite: the whole seconds since the epoch of a stored moment (its fraction cut first, so SQLite's
    rounding to milliseconds can never carry into the next second; `unixepoch` needs SQLite 3.38, this
    machine has 3.40); PostgreSQL does without."""
    if dialect == "sqlite":
        return func.unixepoch(func.substr(moment, 1, 19))
    return literal(0, BigInteger)


def _plus_seconds(dialect: str, moment: ColumnElement, epoch: ColumnElement, seconds: ColumnElement
                  ) -> ColumnElement:
    """`moment` + whole `seconds`, in the store's own form (SQLite: the text SQLAlchemy writes, its
    microseconds kept; formatting from the epoch is several times cheaper than date modifiers)."""
    if dialect == "sqlite":
        return func.datetime(epoch + seconds, "unixepoch").op("||")(func.substr(moment, 20))
    return moment + seconds * literal_column("INTERVAL '1 second'")


def _due(dialect: str, moment: ColumnElement, epoch: ColumnElement, seconds: ColumnElement, at: datetime
         ) -> ColumnElement:
    """`moment` + `seconds` <= `at`, exactly (SQLite: in whole seconds, the microseconds read only on a tie)."""
    if dialect == "sqlite":
        at_us = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        whole, fraction = divmod(at_us, 1_000_000)
        total = epoch + seconds
        return or_(total < whole, and_(total == whole, cast(func.substr(moment, 21, 6), BigInteger) <= fraction))
    return moment + seconds * literal_column("INTERVAL '1 second'") <= literal(at, UTCDateTime())


def _window(engagement: AccountEngagement, at: datetime, min_seconds: int, max_seconds: int) -> list:
    """Deliveries that can have an event in (through, at], events lying min…max seconds after delivery; the
    hour of margin covers chunks committed after a step that began before them."""
    d = deliveries.c
    conditions = [d.delivered_at <= at - timedelta(seconds=min_seconds)]
    if engagement.through is not None:
        conditions.append(d.delivered_at > engagement.through - timedelta(seconds=max_seconds, hours=1))
    return conditions


# --- the pass over a message's deliveries ---------------------------------------------------------

# Not part of the schema (migrations never see them): this transaction's stages.
_temporary = MetaData()
due = Table(  # one message's fans whose view (by the model) has come due, and what their events need
    "sandbox_engagement_due",
    _temporary,
    Column("rid", BigInteger, nullable=True),  # SQLite: the delivery's rowid, to update it by (PostgreSQL: NULL)
    Column("fan_id", BigInteger, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=False),
    Column("e", BigInteger, nullable=False),  # SQLite: delivered_at's whole epoch seconds (PostgreSQL: 0)
    Column("view_s", BigInteger, nullable=False),  # the view's delay, in seconds from delivered_at
    Column("new_view", Boolean, nullable=False),  # not viewed yet: the view is to record
    Column("open_purchase", Boolean, nullable=False),  # not bought yet: a purchase may be to record
)
staged = Table(
    "sandbox_engagement_purchases",
    _temporary,
    Column("message_id", BigInteger, nullable=False),
    Column("fan_id", BigInteger, nullable=False),
    Column("account_id", String(37), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("purchased_at", UTCDateTime, nullable=False),
)
_ROWID = column("rowid", BigInteger, _selectable=deliveries)  # SQLite's, a column of deliveries to SQLAlchemy
_DUE_COLUMNS = ("rid BIGINT, fan_id BIGINT NOT NULL, delivered_at TIMESTAMP NOT NULL, e BIGINT NOT NULL, "
                "view_s BIGINT NOT NULL, new_view BOOLEAN NOT NULL, open_purchase BOOLEAN NOT NULL")
_COLUMNS = ("message_id BIGINT NOT NULL, fan_id BIGINT NOT NULL, account_id VARCHAR(37) NOT NULL, "
            "amount_cents BIGINT NOT NULL, purchased_at TIMESTAMP NOT NULL, "
            "PRIMARY KEY (account_id, fan_id, message_id)")
_CREATE = {
    "sqlite": [f"CREATE TEMP TABLE IF NOT EXISTS sandbox_engagement_due ({_DUE_COLUMNS})",
               f"CREATE TEMP TABLE IF NOT EXISTS sandbox_engagement_purchases ({_COLUMNS})"],
    "postgresql": [f"CREATE TEMP TABLE IF NOT EXISTS sandbox_engagement_due ({_DUE_COLUMNS}) ON COMMIT DELETE ROWS",
                   f"CREATE TEMP TABLE IF NOT EXISTS sandbox_engagement_purchases ({_COLUMNS}) "
                   "ON COMMIT DELETE ROWS"],
}


def clear_stage(connection: Connection) -> None:
    for statement in _CREATE[connection.dialect.name]:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DELETE FROM sandbox_engagement_purchases")  # SQLite's outlive transactions
    connection.exec_driver_sql("DELETE FROM sandbox_engagement_due")


def stage_due(connection: Connection, engagement: AccountEngagement, message: Engaged, at: datetime) -> None:
    """The one pass over the message's deliveries: stage every fan whose view (by the model) is due by `at`
    and who has a view, or (a priced message) a purchase, not recorded yet, replacing the last message's.

    Each delivery's view draw is made once and the rest only for the viewers: the delay's draw and the
    delivery's epoch (SQLite) only for them, the purchase's draws later, from the stage. A purchase comes
    after its view, so a fan whose view is not due yet has nothing due at all and is not staged."""
    settings, d, dialect = engagement.settings, deliveries.c, connection.dialect.name
    seed, m = settings.seed, message.message_id
    priced = message.price_cents > 0
    slowest = settings.view_delay.max_seconds + (settings.purchase_delay.max_seconds if priced else 0)
    connection.exec_driver_sql("DELETE FROM sandbox_engagement_due")
    open_ = or_(d.viewed_at.is_(None), d.purchased_at.is_(None)) if priced else d.viewed_at.is_(None)
    rid = _ROWID if dialect == "sqlite" else literal(None, BigInteger)
    open_purchase = d.purchased_at.is_(None) if priced else literal(False)
    first = _fenced(select(rid.label("rid"), d.fan_id, d.delivered_at, d.viewed_at.is_(None).label("nv"),
                           open_purchase.label("np"), _square(_linear(seed, m, model.SALT_VIEW), R1).label("v"))
                    .where(d.message_id == m, open_,
                           *_window(engagement, at, settings.view_delay.min_seconds, slowest)))
    f = first.c
    viewers = _fenced(select(f.rid, f.fan_id, f.delivered_at, f.nv, f.np, _epoch(dialect, f.delivered_at).label("e"),
                             _square(_linear(seed, m, model.SALT_VIEW_DELAY, f.fan_id), R1).label("w"))
                      .where(_square(f.v, R2) < model.threshold(settings.view_rate)))
    v = viewers.c
    delays = _fenced(select(v.rid, v.fan_id, v.delivered_at, v.nv, v.np, v.e,
                            _delay(_square(v.w, R2), settings.view_delay).label("s")))
    x = delays.c
    rows = select(x.rid, x.fan_id, x.delivered_at, x.e, x.s, x.nv, x.np).where(
        _due(dialect, x.delivered_at, x.e, x.s, at))
    connection.execute(insert(due).from_select(
        ["rid", "fan_id", "delivered_at", "e", "view_s", "new_view", "open_purchase"], rows))


def record_views(connection: Connection, message_id: int) -> int:
    """Record the staged views of the message, each at its own time, where none is yet; how many.

    SQLite finds each delivery by its rowid, one lookup where the key would take two (the key's index,
    then the row)."""
    u, d, dialect = due.c, deliveries.c, connection.dialect.name
    row = (u.rid == _ROWID if dialect == "sqlite"
           else and_(d.message_id == message_id, d.fan_id == u.fan_id))
    result = connection.execute(
        update(deliveries)
        .where(row, u.new_view.is_(True), d.viewed_at.is_(None))
        .values(viewed_at=_plus_seconds(dialect, u.delivered_at, u.e, u.view_s))
    )
    return result.rowcount


# --- purchases ------------------------------------------------------------------------------------

# PostgreSQL: mark the staged deliveries bought where no real purchase came first (a fan's own purchase may
# commit meanwhile), and drop from the stage what was not marked, in one statement.
_MARK_POSTGRESQL = text(
    "WITH bought AS (UPDATE deliveries SET purchased_at = s.purchased_at FROM sandbox_engagement_purchases s "
    "WHERE deliveries.message_id = s.message_id AND deliveries.fan_id = s.fan_id AND deliveries.purchased_at IS NULL "
    "RETURNING deliveries.message_id, deliveries.fan_id) "
    "DELETE FROM sandbox_engagement_purchases s WHERE NOT EXISTS "
    "(SELECT 1 FROM bought WHERE bought.message_id = s.message_id AND bought.fan_id = s.fan_id)"
)
_LOCK_BUYERS_POSTGRESQL = text(
    "SELECT count(*) FROM (SELECT 1 FROM fans JOIN sandbox_engagement_purchases s ON fans.account_id = s.account_id "
    "AND fans.id = s.fan_id ORDER BY fans.account_id, fans.id FOR UPDATE OF fans) AS locked"
)


def stage_purchases(connection: Connection, engagement: AccountEngagement, message: Engaged, at: datetime) -> None:
    """Stage every purchase of the (priced) message due by `at` and not recorded yet, at its own time, from
    the staged due views (`stage_due`): the model's buyers are its viewers, whose view comes first."""
    settings, u, dialect = engagement.settings, due.c, connection.dialect.name
    seed, m = settings.seed, message.message_id
    tiers = model.purchase_thresholds(settings, message.price_cents)
    first = _fenced(select(u.fan_id, u.delivered_at, u.e, u.view_s,
                           _square(_linear(seed, m, model.SALT_BUY, u.fan_id), R1).label("b"))
                    .where(u.open_purchase.is_(True)))
    spend = (select(func.coalesce(fans.c.tips_cents + fans.c.subscriptions_cents, 0))
             .where(fans.c.account_id == engagement.account_id, fans.c.id == first.c.fan_id).scalar_subquery())
    likely = _fenced(select(
        first.c.fan_id, first.c.delivered_at, first.c.e, first.c.view_s, _square(first.c.b, R2).label("b"),
        spend.label("spend"), _square(_linear(seed, m, model.SALT_BUY_DELAY, first.c.fan_id), R1).label("c"),
    ).where(_square(first.c.b, R2) < max(t for _, t in tiers)))
    tier = case(*((likely.c.spend >= floor, t) for floor, t in tiers[:-1]), else_=tiers[-1][1])
    delay = likely.c.view_s + _delay(_square(likely.c.c, R2), settings.purchase_delay)
    rows = (select(literal(m, BigInteger), likely.c.fan_id, literal(engagement.account_id, String(37)),
                   literal(message.price_cents, BigInteger),
                   _plus_seconds(dialect, likely.c.delivered_at, likely.c.e, delay))
            .where(likely.c.b < tier, _due(dialect, likely.c.delivered_at, likely.c.e, delay, at)))
    connection.execute(insert(staged).from_select(
        ["message_id", "fan_id", "account_id", "amount_cents", "purchased_at"], rows))


def record_staged(connection: Connection) -> None:
    """Mark the staged purchases on their deliveries and write their purchase rows, in time order (the
    order of the buyers' list); on PostgreSQL the stage keeps only those no fan's own purchase beat."""
    s = staged.c
    if connection.dialect.name == "postgresql":
        connection.execute(_MARK_POSTGRESQL)
    else:
        connection.execute(update(deliveries)
                           .where(deliveries.c.message_id == s.message_id, deliveries.c.fan_id == s.fan_id,
                                  deliveries.c.purchased_at.is_(None))
                           .values(purchased_at=s.purchased_at))
    rows = select(s.message_id, s.account_id, s.fan_id, s.amount_cents, s.purchased_at).order_by(
        s.purchased_at, s.message_id, s.fan_id)
    connection.execute(insert(purchases).from_select(
        ["message_id", "account_id", "fan_id", "amount_cents", "purchased_at"], rows))


@dataclass(frozen=True)
class Sales:
    purchases: int
    revenue_cents: int


def staged_sales(connection: Connection) -> dict[int, Sales]:
    """The staged purchases' count and revenue by message."""
    s = staged.c
    rows = connection.execute(select(s.message_id, func.count().label("n"), func.sum(s.amount_cents).label("cents"))
                              .group_by(s.message_id))
    return {row.message_id: Sales(int(row.n), int(row.cents)) for row in rows}


def add_staged_spend(connection: Connection, account_id: str) -> None:
    """store.fan_spend.add_purchases for the staged purchases, set-based: each buyer's cents added, its last
    purchase time moved up (never back), the account's spend version bumped; buyers locked in fan order."""
    s = staged.c
    if connection.execute(select(func.count()).select_from(staged)).scalar_one() == 0:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_BUYERS_POSTGRESQL)
    f = fans.c
    buyers = (select(s.fan_id, func.sum(s.amount_cents).label("cents"), func.max(s.purchased_at).label("last_at"))
              .where(s.account_id == account_id).group_by(s.fan_id).subquery())
    connection.execute(  # each buyer's sums once, driven by the stage's key into the fans' (not every fan's)
        update(fans).where(f.account_id == account_id, f.id == buyers.c.fan_id)
        .values(purchases_cents=f.purchases_cents + buyers.c.cents,
                total_spent_cents=f.total_spent_cents + buyers.c.cents,
                last_purchase_at=case((or_(f.last_purchase_at.is_(None), f.last_purchase_at < buyers.c.last_at),
                                       buyers.c.last_at), else_=f.last_purchase_at))
    )
    statement = upsert(connection, fan_spend_versions).values(account_id=account_id, version=1)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[fan_spend_versions.c.account_id], set_={"version": fan_spend_versions.c.version + 1}))


@dataclass(frozen=True)
class StagedPurchase:
    purchase_id: int
    message_id: int
    fan_id: int
    amount_cents: int
    purchased_at: datetime


def staged_purchases(connection: Connection, *, after_id: int, limit: int) -> list[StagedPurchase]:
    """The staged purchases with their ids, in id order, `limit` after `after_id` (to announce in chunks)."""
    s, p = staged.c, purchases.c
    rows = connection.execute(
        select(p.id.label("purchase_id"), s.message_id, s.fan_id, s.amount_cents, s.purchased_at)
        .join_from(staged, purchases, and_(p.message_id == s.message_id, p.fan_id == s.fan_id))
        .where(p.id > after_id).order_by(p.id).limit(limit)
    )
    return [StagedPurchase(**row._mapping) for row in rows]

