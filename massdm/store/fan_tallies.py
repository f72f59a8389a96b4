"""Counts kept about an account's fans, so a list's size is read, not recounted; and the audience version.

Kept in `fan_tallies` (one row per account): the fans, and how many have each flag (auto_renew,
following, muted, tagged, friend). Kept in `fan_expiry_tallies`: fans by the UTC day their
subscription ends and auto-renew. The system lists that depend on the time are derived from these
at `now` (`system_list_counts`) with exact, index-only counts at the edges. Every fan write adds
deltas bounded by its batch (`add_changes`); `recount` rebuilds all of it from the fan rows.

`version` is bumped by every change to the account's fans or custom-list membership, in the change's
own transaction (`begin_change`, which also locks the row: changes to one account are serial, so
the before/after deltas are exact on PostgreSQL). Page marks (store.page_marks) are valid only for
the version they were made at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection, Date, and_, bindparam, case, cast, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from massdm.domain.audience import recent_cutoff
from massdm.store.dialect import upsert
from massdm.store.tables import fan_expiry_tallies, fan_tallies, fans

FLAGS = ("auto_renew", "following", "muted", "tagged", "friends")
_FAN_FLAG = {"auto_renew": "auto_renew", "following": "following", "muted": "muted", "tagged": "tagged",
             "friends": "friend"}  # tally column -> fans column


@dataclass(frozen=True)
class FanState:
    """What of a fan the tallies count (and, for store.fans, where it sits in the listing order)."""

    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool


_READ_VERSION = select(fan_tallies.c.version).where(fan_tallies.c.account_id == bindparam("account_id"))


def read_version(connection: Connection, account_id: str) -> int:
    """The account's audience version as this statement sees it (0 before its first change)."""
    return connection.execute(_READ_VERSION, {"account_id": account_id}).scalar() or 0


def fan_count(connection: Connection, account_id: str) -> int:
    """How many fans the account has, every status (kept, not counted)."""
    return connection.execute(select(fan_tallies.c.fans).where(fan_tallies.c.account_id == account_id)).scalar() or 0


def begin_change(connection: Connection, account_id: str) -> int:
    """Mark this transaction as changing the account's audience: bump its version, holding the row's lock.

    The first statement of every fan or membership write: a second writer of the same account waits
    here until the first commits, then sees its rows, so deltas computed from a read of the old rows
    are exact. Returns the new version.
    """
    statement = upsert(connection, fan_tallies).values(
        account_id=account_id, version=1, fans=0, auto_renew=0, following=0, muted=0, tagged=0, friends=0
    )
    statement = statement.on_conflict_do_update(
        index_elements=[fan_tallies.c.account_id], set_={"version": fan_tallies.c.version + 1}
    ).returning(fan_tallies.c.version)
    return connection.execute(statement).scalar_one()


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def add_changes(
    connection: Connection, account_id: str, before: Iterable[FanState], after: Iterable[FanState]
) -> None:
    """Apply what replacing the fans `before` by the fans `after` changes (a new fan has no before).

    Call after `begin_change` in the same transaction.
    """
    counts: Counter[str] = Counter()
    expiries: Counter[tuple[date, bool]] = Counter()
    for states, sign in ((before, -1), (after, 1)):
        for state in states:
            counts["fans"] += sign
            for tally, column in _FAN_FLAG.items():
                counts[tally] += sign * bool(getattr(state, column))
            if state.expires_at is not None:
                expiries[(_day(state.expires_at), state.auto_renew)] += sign
    if any(counts.values()):
        connection.execute(
            update(fan_tallies)
            .where(fan_tallies.c.account_id == account_id)
            .values({name: fan_tallies.c[name] + counts[name] for name in ("fans", *FLAGS) if counts[name]})
        )
    changed = [{"account_id": account_id, "day": d, "auto_renew": r, "fans": n} for (d, r), n in expiries.items() if n]
    if changed:
        statement = upsert(connection, fan_expiry_tallies)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[fan_expiry_tallies.c.account_id, fan_expiry_tallies.c.day,
                                fan_expiry_tallies.c.auto_renew],
                set_={"fans": fan_expiry_tallies.c.fans + statement.excluded.fans},
            ),
            changed,
        )
        connection.execute(
            delete(fan_expiry_tallies).where(fan_expiry_tallies.c.account_id == account_id,
                                             fan_expiry_tallies.c.fans == 0)
        )


def _expiry_day(connection: Connection) -> ColumnElement[date]:
    """The UTC day of `fans.expires_at` in SQL (stored as naive UTC on both backends)."""
    if connection.dialect.name == "sqlite":
        return func.date(fans.c.expires_at, type_=Date)
    return cast(fans.c.expires_at, Date)


def recount(connection: Connection, account_id: str) -> None:
    """Rebuild the account's tallies from its fan rows (after fans were written around `add_changes`).

    Used by the migration that introduced the tallies and by whatever inserts fans with raw SQL
    (bench/harness.py). Bumps the version, so page marks made before are dropped.
    """
    begin_change(connection, account_id)
    mine = fans.c.account_id == account_id
    totals = connection.execute(
        select(
            func.count().label("fans"),
            *(func.coalesce(func.sum(case((fans.c[column].is_(True), 1), else_=0)), 0).label(tally)
              for tally, column in _FAN_FLAG.items()),
        ).where(mine)
    ).one()
    connection.execute(update(fan_tallies).where(fan_tallies.c.account_id == account_id).values(**totals._mapping))
    connection.execute(delete(fan_expiry_tallies).where(fan_expiry_tallies.c.account_id == account_id))
    day = _expiry_day(connection)
    connection.execute(
        fan_expiry_tallies.insert().from_select(
            ["account_id", "day", "auto_renew", "fans"],
            select(fans.c.account_id, day, fans.c.auto_renew, func.count())
            .where(mine, fans.c.expires_at.is_not(None))
            .group_by(fans.c.account_id, day, fans.c.auto_renew),
        )
    )


def _active(now: datetime) -> ColumnElement[bool]:
    return or_(fans.c.expires_at.is_(None), fans.c.expires_at > now)


def system_list_counts(connection: Connection, account_id: str, now: datetime) -> dict[str, int]:
    """Members of every system list at `now`, in one statement (one snapshot on any isolation level).

    expired = the expiry tallies of the days before today + today's expiries up to now, counted
    exactly on ix_fans_account_expiry (index-only, at most one day of expiries); recent is counted
    exactly too, on ix_fans_account_order over the last 24 hours of subscriptions. Everything else
    is a kept tally.
    """
    today = _day(now)
    midnight = datetime.combine(today, time(), tzinfo=UTC)
    tally = fan_tallies.c

    def kept(name: str):  # noqa: ANN202
        return select(tally[name]).where(tally.account_id == account_id).scalar_subquery()

    def expired_before_today(*renewing: ColumnElement[bool]):  # noqa: ANN202
        days = fan_expiry_tallies.c
        return (select(func.coalesce(func.sum(days.fans), 0))
                .where(days.account_id == account_id, days.day < today, *renewing).scalar_subquery())

    def counted(*conditions: ColumnElement[bool]):  # noqa: ANN202
        return select(func.count()).select_from(fans).where(fans.c.account_id == account_id, *conditions) \
            .scalar_subquery()

    expiring_today = and_(fans.c.expires_at >= midnight, fans.c.expires_at <= now)
    row = connection.execute(
        select(
            *(kept(name).label(name) for name in ("fans", *FLAGS)),
            expired_before_today().label("expired_before"),
            expired_before_today(fan_expiry_tallies.c.auto_renew.is_(True)).label("expired_renewing_before"),
            counted(expiring_today).label("expired_today"),
            counted(expiring_today, fans.c.auto_renew.is_(True)).label("expired_renewing_today"),
            counted(fans.c.subscribed_at >= recent_cutoff(now), _active(now)).label("recent"),
        )
    ).one()._mapping
    value = {name: int(row[name] or 0) for name in row}
    active = value["fans"] - value["expired_before"] - value["expired_today"]
    renewing = value["auto_renew"] - value["expired_renewing_before"] - value["expired_renewing_today"]
    return {
        "fans": active,
        "recent": value["recent"],
        "following": value["following"],
        "rebill_on": renewing,
        "rebill_off": active - renewing,
        "tagged": value["tagged"],
        "friends": value["friends"],
        "muted": value["muted"],
    }
