"""Offset pages of fan listings whose cost does not grow with the offset.

A listing (`Listing`) is an account's fans, all or by status or system list, optionally searched,
or the members of a custom list; every one is ordered newest subscription first, (subscribed_at
DESC, id DESC): the order of ix_fans_account_order, or of ix_user_list_members_order for a custom
list. `offset` keeps its meaning (fans to skip) and a page is always what ORDER BY … LIMIT …
OFFSET returns, but it is read from the nearest page mark (store.page_marks) at or before the
offset: seek to the mark's key, skip the rest in the index, read limit + 1 rows. Serving a page
marks the position right after it, so a client walking offsets 0, 50, 100, … (the official SDK
way) seeks every time; a jump far from any mark skips forward GRID rows at a time, marking each
step, so later jumps near it are short.

A listing may be narrowed by targeting filters (domain.fan_targeting): more conditions on the same
index, whose columns they all test, so skipping stays in the index. Skipping to rare matches still
reads every fan between them, though: a page of a filter that m of the account's n fans pass skips
about 50·n/m index entries. So when a spend or tips bound holds few fans, m < 2.5·√n (and at most
NARROW), counted in its own index (ix_fans_account_spend or _tips, reading at most that many
entries), the page is read from that range instead, all m sorted: one plain statement, no marks.
That is about where sorting m rows (≈ 30 SQLite instructions each) costs what skipping does (≈ 4
an entry); either way a page costs O(√n) at worst, whatever its offset. The choice is made once
per version of the listing and kept with its marks.

When a mark holds: it was made at the listing's current version (the account's audience version,
store.fan_tallies, and for a listing filtered by total spend also its spend version,
store.fan_spend), every statement of this page read that same version (checked again after the last
one; at READ COMMITTED a change committed meanwhile makes the page fall back to one plain statement),
and, for listings that move with the clock, no fan before the mark crossed a boundary since the
mark's time.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from math import isqrt
from typing import Literal, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    tuple_,
)

from massdm.domain.fan_targeting import NO_TARGETING, Targeting
from massdm.store import fan_spend, fan_tallies
from massdm.store.dialect import unindexed
from massdm.store.fan_targeting import Range, duration_ceiling, narrow_ranges, targeting_conditions
from massdm.store.fans import FAN_COLUMNS, Fan, fan_from_row, listing_condition, search_condition, system_list_flags
from massdm.store.page_marks import MARKS, Key, Mark, PageMarks, Version, database_of
from massdm.store.tables import fans, user_list_members
from massdm.store.types import UTCDateTime

_EXPIRY_BOUND = frozenset({"active", "expired", "rebill_on", "rebill_off", "recent"})
NARROW = 4096  # the most fans a spend or tips range is read whole with (rather than skipped through)
_ORDER: Literal["order"] = "order"  # the plan of reading the listing order


@dataclass(frozen=True)
class Listing:
    """One offset-paged sequence of fans: what page marks are kept for."""

    account_id: str
    filter: str = "all"  # all | active | expired | a system list id other than "fans" (which is "active")
    members_of: int | None = None  # a custom list: its members (filter "all")
    query: str | None = None  # search within username/name
    targeting: Targeting = NO_TARGETING  # the account's fans only (not with members_of)

    @classmethod
    def of_system_list(cls, account_id: str, list_id: str) -> Listing:
        return cls(account_id, "active" if list_id == "fans" else list_id)

    @property
    def moves_with_time(self) -> bool:
        return self.filter in _EXPIRY_BOUND or self.targeting.min_duration is not None


@dataclass(frozen=True)
class _Source:
    """Where a listing's rows come from: its order key, its conditions, and the rows to show."""

    key: tuple[ColumnElement, ColumnElement]
    where: tuple[ColumnElement[bool], ...]
    joins_fans: bool  # rows come from the members' index, joined to their fans
    order: tuple[ColumnElement, ColumnElement] | None = None  # what to ORDER BY, when not the key as it is

    @cached_property
    def step(self) -> Select:
        """The key :skip rows past the key (:after_at, :after_id): built once, run for every step of a long skip."""
        after = tuple_(bindparam("after_at", type_=UTCDateTime()), bindparam("after_id", type_=BigInteger()))
        return _ordered(select(*self.key).where(*self.where, tuple_(*self.key) < after), self) \
            .offset(bindparam("skip")).limit(1)


def _source(connection: Connection, listing: Listing, now: datetime, read: Range | None = None) -> _Source:
    """The listing's source; with `read`, the conditions of its page read from that narrow range."""
    if listing.members_of is not None:
        members = user_list_members.c
        return _Source((members.subscribed_at, members.fan_id),
                       (members.list_id == listing.members_of, members.account_id == listing.account_id), True)
    where = [fans.c.account_id == listing.account_id]
    condition = listing_condition(listing.filter, now)
    if condition is not None:
        where.append(condition)
    if listing.query:
        where.append(search_condition(listing.query))
    where += targeting_conditions(connection, listing.targeting, now, read=read)
    return _Source((fans.c.subscribed_at, fans.c.id), tuple(where), False)


def _plan(connection: Connection, listing: Listing, scope: Hashable, version: Version, marks: PageMarks,
          narrow: int) -> Range | Literal["order"]:
    """Where the page is read from: the listing order (skipping, with marks), or the listing's spend or
    tips bound that holds few of the account's fans (see above; at most `narrow`). Decided once per
    version of the listing: a walk decides on its first page."""
    ranges = narrow_ranges(listing.targeting) if listing.members_of is None and narrow > 0 else {}
    if not ranges:
        return _ORDER
    known = marks.plan(scope, version)
    if known is not None:
        return cast(Range | Literal["order"], known)
    few = min(narrow, isqrt(fan_tallies.fan_count(connection, listing.account_id)) * 5 // 2)
    plan: Range | Literal["order"] = _ORDER
    for name, bound in ranges.items():
        within = select(literal_column("1")).select_from(fans) \
            .where(fans.c.account_id == listing.account_id, bound).limit(few).subquery()
        if connection.execute(select(func.count()).select_from(within)).scalar_one() < few:
            plan = name
            break
    marks.remember_plan(scope, version, plan)
    return plan


def _narrow_page(connection: Connection, listing: Listing, read: Range, *, offset: int, limit: int, now: datetime,
                 system_list_ids: tuple[str, ...]) -> Sequence[Row]:
    """limit + 1 rows at `offset`, from the fans of the narrow range `read`, sorted (not from the listing order)."""
    source = _source(connection, listing, now, read)
    at, fan_id = source.key
    source = replace(source, order=(unindexed(connection, at), unindexed(connection, fan_id)))
    return _rows(connection, source, (), offset=offset, limit=limit, now=now, system_list_ids=system_list_ids)


def _version(connection: Connection, listing: Listing) -> Version:
    """What the listing's rows depend on, as this statement sees it: the spend version only if it reads spend."""
    audience = fan_tallies.read_version(connection, listing.account_id)
    return audience, fan_spend.read_version(connection, listing.account_id) if listing.targeting.reads_spend else 0


def _ordered(statement: Select, source: _Source) -> Select:
    first, second = source.order or source.key
    return statement.order_by(first.desc(), second.desc())


def _after(source: _Source, mark: Mark) -> tuple[ColumnElement[bool], ...]:
    return () if mark.after is None else (tuple_(*source.key) < mark.after,)


def _key_at(connection: Connection, source: _Source, start: Mark, skip: int) -> Key | None:
    """The order key of the row `skip` rows past `start` (read from the index alone); None past the end."""
    if start.after is None:
        statement = _ordered(select(*source.key).where(*source.where), source).offset(skip).limit(1)
        row = connection.execute(statement).first()
    else:
        row = connection.execute(source.step, {"after_at": start.after[0], "after_id": start.after[1],
                                               "skip": skip}).first()
    return (row[0], row[1]) if row else None


def _rows(
    connection: Connection, source: _Source, bound: tuple[ColumnElement[bool], ...], *, offset: int = 0, limit: int,
    now: datetime, system_list_ids: tuple[str, ...],
) -> Sequence[Row]:
    """limit + 1 rows of the listing from `bound` on (after skipping `offset`), with their order key."""
    statement = select(*FAN_COLUMNS, *system_list_flags(system_list_ids, now),
                       source.key[0].label("order_at"), source.key[1].label("order_id"))
    if source.joins_fans:
        members = user_list_members.c
        statement = statement.select_from(
            user_list_members.join(fans, (fans.c.account_id == members.account_id) & (fans.c.id == members.fan_id))
        )
    statement = _ordered(statement.where(*source.where, *bound), source).limit(limit + 1)
    return connection.execute(statement.offset(offset) if offset else statement).all()


def _still_holds(connection: Connection, listing: Listing, mark: Mark, now: datetime) -> bool:
    """Whether no fan before `mark` joined or left the listing between the mark's time and now.

    Only the passage of time is in question (the version says the rows are the same), and time
    moves fans across two boundaries. A subscription ending in (mark.at, now]: one range of
    ix_fans_account_expiry, narrowed to fans at or before the mark's key. (`recent` also loses fans
    as they age past 24 hours, but those go oldest first: once one before the mark has gone, so has
    every fan after it, and the page from the mark is empty, as the plain query's is.) And, with a
    minimum duration D, a subscription reaching D: a fan who started in (mark.at - D, now - D] may
    have joined, and would stand before every mark (it started after every fan already in), so any
    such start voids the mark: one range of ix_fans_account_order. (Duration alone never makes a fan
    leave: one that ends had lasted D already or was not in.)
    """
    if now < mark.at:  # the clock went back: nothing is known
        return False
    if now == mark.at or mark.after is None:
        return True
    mine, crossed = fans.c.account_id == listing.account_id, []
    if listing.filter in _EXPIRY_BOUND:
        crossed.append(exists().where(mine, fans.c.expires_at > mark.at, fans.c.expires_at <= now,
                                      tuple_(fans.c.subscribed_at, fans.c.id) >= mark.after))
    duration = listing.targeting.min_duration
    if duration is not None:
        crossed.append(exists().where(mine, fans.c.subscribed_at > mark.at - duration,
                                      fans.c.subscribed_at <= now - duration))
    return not any(connection.execute(select(condition)).scalar() for condition in crossed)


def page_listing(
    connection: Connection,
    listing: Listing,
    *,
    offset: int,
    limit: int,
    now: datetime,
    system_list_ids: tuple[str, ...] = (),
    marks: PageMarks = MARKS,
    narrow: int = NARROW,
) -> tuple[list[Fan], bool]:
    """The page at `offset` of `listing`, and whether more follow: exactly what a plain OFFSET query returns.

    Each fan comes with the system lists (of `system_list_ids`) it belongs to, computed by the
    conditions that define those lists. Reads only; the marks it uses and makes stay in `marks`.
    A spend or tips range with fewer than `narrow` fans is read whole (0: never).
    """
    scope = (database_of(connection.engine), listing)
    version = _version(connection, listing)
    plan = _plan(connection, listing, scope, version, marks, narrow)
    if plan != _ORDER:
        few = _narrow_page(connection, listing, plan, offset=offset, limit=limit, now=now,
                           system_list_ids=system_list_ids)
        return [fan_from_row(r, system_list_ids) for r in few[:limit]], len(few) > limit
    source = _source(connection, listing, now)
    origin = Mark(0, duration_ceiling(listing.targeting, now), version, now)  # no fan of the listing before it
    start = marks.nearest(scope, version, offset) or origin
    made: list[Mark] = []
    if start.after is not None and listing.moves_with_time:
        if _still_holds(connection, listing, start, now):
            made.append(replace(start, at=now))  # it held until now: check from now on next time
        else:
            marks.forget(scope)
            start = origin
    rows: Sequence[Row] = []
    while offset - start.position > marks.grid:
        key = _key_at(connection, source, start, marks.grid - 1)
        if key is None:
            break  # the listing ends before the offset: an empty page
        start = Mark(start.position + marks.grid, key, version, now)
        made.append(start)
    else:
        # Seek to the first row of the page: past the mark, then (if the page starts after it) to
        # the key `skip` rows on, found in the index alone. SQLite seeks on a row value only when it
        # is given as values, not as a subquery, hence two statements.
        skip = offset - start.position
        first = _key_at(connection, source, start, skip) if skip else None
        if not skip or first is not None:
            bound = (tuple_(*source.key) <= first,) if skip else _after(source, start)
            rows = _rows(connection, source, bound, limit=limit, now=now, system_list_ids=system_list_ids)
    if _version(connection, listing) != version:
        # A change committed while this page was read (PostgreSQL at READ COMMITTED): the marks may
        # describe other rows than the ones seen, so answer with one plain statement: one snapshot.
        rows = _rows(connection, source, (), offset=offset, limit=limit, now=now, system_list_ids=system_list_ids)
        return [fan_from_row(r, system_list_ids) for r in rows[:limit]], len(rows) > limit
    page = rows[:limit]
    if len(rows) > limit:
        last = page[-1]._mapping
        made.append(Mark(offset + limit, (last["order_at"], last["order_id"]), version, now))
    marks.remember(scope, made)
    return [fan_from_row(r, system_list_ids) for r in page], len(rows) > limit
