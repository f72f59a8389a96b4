"""A seeded audience in SQL (docs/sandbox.md): fans by one INSERT … SELECT over a generated series,
every attribute drawn per row with store.sql_hash exactly as domain.seed_profile.seeded_fan draws it in
Python; the seed's list members by INSERT … SELECT from those fans; magic fans (a handful) as rows.

Nothing here passes a fan through Python. The caller recounts the account's tallies afterwards
(store.fan_tallies.recount), since these rows bypass the deltas every other fan write keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.sql import Select

from massdm.domain import seed_profile as sp
from massdm.domain.hashing import P
from massdm.domain.seed_profile import (
    DAY,
    MIN_EXPIRED_AGE,
    MIN_SEEN_OFFSET,
    PERIOD,
    SEEN_ACTIVE_SPAN,
    SEEN_ENDED_SPAN,
    TIERS,
    MagicSeed,
    Salt,
    SeedProfile,
)
from massdm.store import sql_hash
from massdm.store.tables import fans, user_list_members, user_lists
from massdm.store.types import UTCDateTime

_DRAWS = {"state": Salt.STATE, "age": Salt.AGE, "periods": Salt.PERIODS, "tips": Salt.TIPS,
          "flags_a": Salt.FLAGS_A, "flags_b": Salt.FLAGS_B, "flags_c": Salt.FLAGS_C, "tier_names": Salt.TIER_NAMES,
          "seen": Salt.SEEN}
_DRAW_OF_SALT = {salt: name for name, salt in _DRAWS.items()}
_SECOND = timedelta(seconds=1)
_COLUMNS = ["account_id", "id", "username", "name", "subscribed_at", "expires_at", "auto_renew", "following", "muted",
            "tagged", "friend", "online", "purchases_cents", "tips_cents", "subscriptions_cents", "total_spent_cents",
            "term_seconds", "last_purchase_at", "created_at", "updated_at", "last_seen_at"]


BULK_CACHE_MB = 256


@contextmanager
def bulk_cache(connection: Connection, megabytes: int = BULK_CACHE_MB) -> Iterator[None]:
    """A page cache of `megabytes` on this SQLite connection while a big insert runs, then its own again.

    A million fans land at random places of the listing index (newest subscription first); with SQLite's
    default 2 MB cache, every insert reads back pages it just evicted, and writing the rows costs ten
    times what drawing them does. Nothing on PostgreSQL (shared_buffers is the server's)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(megabytes) * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


def anchor(now: datetime) -> datetime:
    """The moment a seed's dates are offsets from: `now` to the whole second, in UTC."""
    return now.astimezone(UTC).replace(microsecond=0)


def _draws(connection: Connection, seed: int, count: int) -> Select:
    """One row per fan index n in 1..count with its draws mix(seed, n, 0, salt), each computed once:
    a recursive CTE on SQLite (its rows are produced once and read as columns, where a subquery would be
    flattened and every reference recompute its hash), generate_series behind OFFSET 0 on PostgreSQL
    (the fence that keeps the planner from inlining the subquery's expressions)."""
    def hashes(n: ColumnElement) -> list[ColumnElement]:
        return [sql_hash.mix(seed, n, 0, salt).label(name) for name, salt in _DRAWS.items()]

    if connection.dialect.name == "sqlite":
        first = literal(1, BigInteger)
        series = select(first.label("n"), *hashes(first)).cte("seed_draws", recursive=True)
        following = series.c.n + 1
        series = series.union_all(select(following, *hashes(following)).where(series.c.n < count))
        return select(series)
    numbers = func.generate_series(literal(1, BigInteger), literal(count, BigInteger)).table_valued("n") \
        .render_derived(name="g")
    return select(numbers.c.n, *hashes(numbers.c.n)).offset(0)


def _fenced(connection: Connection, query: Select) -> Select:
    """`query` as a subquery the planner keeps apart (computed once per row, read as columns): on
    PostgreSQL OFFSET 0; on SQLite a LIMIT (of none) under an outer query with a WHERE, which its
    query flattener leaves alone (a co-routine, not a temporary table)."""
    if connection.dialect.name == "sqlite":
        return query.limit(-1)
    return query.offset(0)


def _at(connection: Connection, now: datetime, seconds_after: ColumnElement) -> ColumnElement:
    """`now` (whole seconds) plus an integer number of seconds, as the store keeps a datetime."""
    if connection.dialect.name == "sqlite":  # the text SQLAlchemy writes for a datetime: naive UTC, microseconds
        epoch = int(now.timestamp())
        return func.strftime("%Y-%m-%d %H:%M:%S", literal(epoch, BigInteger) + seconds_after, "unixepoch") \
            .concat(".000000")
    return literal(now, UTCDateTime()) + func.make_interval(0, 0, 0, 0, 0, 0, cast(seconds_after, BigInteger))


def _packed(names: tuple[str, ...]) -> tuple[str, int]:
    width = max(len(n) for n in names)
    return "".join(n.ljust(width) for n in names), width


def _pick(names: tuple[str, ...], draw: ColumnElement) -> ColumnElement:
    """names[draw % len(names)], read from one packed string (cheaper per row than a CASE of len(names))."""
    packed, width = _packed(names)
    start = cast((draw % len(names)) * width + 1, Integer)
    return func.rtrim(func.substr(literal(packed, String), start, literal(width, Integer)))


def insert_seeded_fans(connection: Connection, account_id: str, seed: int, count: int, profile: SeedProfile,
                       now: datetime) -> int:
    """Fans 1..count of `seed` into the account (ids sp.ID_BASE + n), in one statement; returns `count`.

    The same rule as seed_profile.seeded_fan, term by term: integer arithmetic only, so SQLite,
    PostgreSQL and Python agree exactly."""
    if count <= 0:
        return 0
    now = anchor(now)
    d = _draws(connection, seed, count).subquery("d")
    x = SimpleNamespace(**{column.name: column for column in d.c})

    def part(name: str, draws: SimpleNamespace = x) -> ColumnElement:
        salt, which = sp.DRAW_PARTS[name]
        value = getattr(draws, _DRAW_OF_SALT[salt])
        return value % sp.LOW if which == sp.LOW else value // sp.LOW

    def chance(name: str, share: float, draws: SimpleNamespace = x) -> ColumnElement:
        return part(name, draws) < profile.threshold(share, sp.DRAW_PARTS[name][1])

    max_age = profile.max_age_days * DAY
    expired = chance("expired", profile.expired_share)
    squared_age = x.age * x.age // P
    age = case(
        (expired, MIN_EXPIRED_AGE + squared_age * (max_age - MIN_EXPIRED_AGE) // P),
        (chance("recent", profile.recent_share), 60 + x.age * (DAY - 60) // P),
        else_=DAY + 1 + squared_age * (max_age - DAY - 1) // P,
    )
    periods = case(
        (expired, 1 + (x.periods * x.periods // P) * ((age - 1) // PERIOD) // P),
        else_=age // PERIOD + 1,
    )
    t1, t2, t3 = profile.tier_thresholds

    def tipped(tier: sp.SpendTier) -> ColumnElement:
        return tier.min_cents + x.tips * (tier.max_cents - tier.min_cents + 1) // P

    seen_span = case((expired, SEEN_ENDED_SPAN), else_=SEEN_ACTIVE_SPAN)
    seen = MIN_SEEN_OFFSET + (x.seen * x.seen // P) * (seen_span - MIN_SEEN_OFFSET) // P  # seed_profile.seen_offset
    tier = part("tier")
    tips = case((tier < t1, 0), (tier < t2, tipped(TIERS[1])), (tier < t3, tipped(TIERS[2])),
                else_=tipped(TIERS[3]))
    # What several columns use, computed once per row: a fenced subquery is read as columns, not inlined.
    f = _fenced(connection, select(
        x.n, x.flags_a, x.flags_b, x.flags_c,
        case((expired, 1), else_=0).label("ended"), age.label("age"), periods.label("periods"), tips.label("tips"),
        seen.label("seen"),
        _pick(sp.FIRST_NAMES, part("names")).label("first"),
        _pick(sp.LAST_NAMES, part("names") // len(sp.FIRST_NAMES)).label("last"),
    ).select_from(d)).subquery("f")
    y = SimpleNamespace(**{column.name: column for column in f.c})
    subscriptions = y.periods * profile.subscription_price_cents
    first, last = y.first, y.last
    at_now = literal(now, UTCDateTime())
    rows = select(
        literal(account_id, String).label("account_id"),
        (y.n + sp.ID_BASE).label("id"),
        func.lower(first.concat(last)).concat(cast(y.n, String)).label("username"),
        first.concat(" ").concat(last).label("name"),
        _at(connection, now, -y.age).label("subscribed_at"),
        _at(connection, now, y.periods * PERIOD - y.age).label("expires_at"),
        and_(y.ended == 0, chance("auto_renew", profile.auto_renew_share, y)).label("auto_renew"),
        chance("following", profile.following_share, y).label("following"),
        chance("muted", profile.muted_share, y).label("muted"),
        chance("tagged", profile.tagged_share, y).label("tagged"),
        chance("friend", profile.friend_share, y).label("friend"),
        chance("online", profile.online_share, y).label("online"),
        literal(0, BigInteger).label("purchases_cents"),
        y.tips.label("tips_cents"),
        subscriptions.label("subscriptions_cents"),
        (y.tips + subscriptions).label("total_spent_cents"),
        (y.periods * PERIOD).label("term_seconds"),
        literal(None, UTCDateTime()).label("last_purchase_at"),
        at_now.label("created_at"),
        at_now.label("updated_at"),
        _at(connection, now, -case((chance("online", profile.online_share, y), 0), (y.seen < y.age, y.seen),
                                   else_=y.age)).label("last_seen_at"),
    ).select_from(f).where(y.n > 0)  # the outer WHERE is half of SQLite's fence
    # In the listing index's order (newest subscription first): that index, the widest, is appended to
    # instead of written at a million random places (a third less time at 300k fans on SQLite).
    rows = rows.order_by(y.age, y.n.desc())
    connection.execute(fans.insert().from_select(_COLUMNS, rows))
    return count


def insert_magic_fans(connection: Connection, account_id: str, magic: list[MagicSeed], now: datetime) -> None:
    """The magic fans, active and renewing (a send to the account's fans reaches them, and fails)."""
    if not magic:
        return
    now = anchor(now)
    subscribed = now - sp.MAGIC_SUBSCRIBED_OFFSET * _SECOND
    connection.execute(fans.insert(), [
        {"account_id": account_id, "id": m.id, "username": m.username, "name": m.name, "subscribed_at": subscribed,
         "expires_at": now + sp.MAGIC_EXPIRES_OFFSET * _SECOND, "auto_renew": True, "following": False,
         "muted": False, "tagged": False, "friend": False, "online": False, "purchases_cents": 0, "tips_cents": 0,
         "subscriptions_cents": 0, "total_spent_cents": 0, "term_seconds": PERIOD, "last_purchase_at": None,
         "created_at": now, "updated_at": now}
        for m in magic
    ])


def taken_ids(connection: Connection, account_id: str, ranges: list[tuple[int, int]]) -> tuple[int, int, int]:
    """How many of the account's fans have ids in these inclusive ranges, and the lowest and highest."""
    if not ranges:
        return 0, 0, 0
    row = connection.execute(
        select(func.count(), func.min(fans.c.id), func.max(fans.c.id))
        .where(fans.c.account_id == account_id, or_(*(fans.c.id.between(a, b) for a, b in ranges)))
    ).one()
    return row[0], row[1] or 0, row[2] or 0


def _list_rule(rule: str, now: datetime) -> ColumnElement[bool]:
    at_now = literal(anchor(now), UTCDateTime())
    if rule == "whale":
        return fans.c.tips_cents >= TIERS[3].min_cents
    if rule == "lapsed_spender":
        return and_(fans.c.expires_at <= at_now, fans.c.total_spent_cents >= sp.LAPSED_SPENT_CENTS)
    if rule == "new":
        return and_(fans.c.expires_at > at_now,
                    fans.c.subscribed_at >= literal(anchor(now) - sp.NEW_WITHIN * _SECOND, UTCDateTime()))
    raise ValueError(f"no list rule {rule!r}")


def add_seeded_members(connection: Connection, list_id: int, account_id: str, rule: str, count: int,
                       now: datetime) -> int:
    """The seed's fans (ids ID_BASE + 1..count) that `rule` selects, into a new list, each member row with its
    fan's subscribed_at (as store.user_lists.add_members copies it); the list's member_count is set to what
    was inserted. Returns that number."""
    source = select(
        literal(list_id, user_list_members.c.list_id.type).label("list_id"), fans.c.id, fans.c.account_id,
        literal(anchor(now), UTCDateTime()).label("added_at"), fans.c.subscribed_at,
    ).where(fans.c.account_id == account_id, fans.c.id.between(sp.ID_BASE + 1, sp.ID_BASE + count),
            _list_rule(rule, now)).order_by(fans.c.subscribed_at.desc(), fans.c.id.desc())  # the members' index order
    inserted = connection.execute(
        user_list_members.insert().from_select(["list_id", "fan_id", "account_id", "added_at", "subscribed_at"],
                                               source).execution_options(preserve_rowcount=True)
    ).rowcount
    connection.execute(update(user_lists).where(user_lists.c.id == list_id)
                       .values(member_count=user_lists.c.member_count + inserted))
    return inserted


def analyze(connection: Connection) -> None:
    """Fresh planner statistics after a big insert (PostgreSQL; SQLite's planner keeps none here)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE fans"))
        connection.execute(text("ANALYZE user_list_members"))


