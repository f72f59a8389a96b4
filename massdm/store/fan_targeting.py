"""The targeting filters (domain.fan_targeting) as conditions on the `fans` row, on the columns of
ix_fans_account_order, and the narrow ranges store.fan_pages may read a rare filter's page from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Connection, and_, literal_column, or_

from massdm.domain.fan_targeting import Targeting
from massdm.store.dialect import unindexed
from massdm.store.tables import fans

Range = Literal["spend", "tips"]  # a targeting bound one of the narrow indexes reads: total spend, or tips


def _bounds(targeting: Targeting, column: Callable[[str], ColumnElement[int]]) -> dict[Range, ColumnElement[bool]]:
    """The spend and tips bounds of `targeting`, on the columns `column` gives by name."""
    bounds: dict[Range, ColumnElement[bool]] = {}
    spent = column("total_spent_cents")
    spend = ([spent >= targeting.min_spent_cents] if targeting.min_spent_cents is not None else []) + \
            ([spent <= targeting.max_spent_cents] if targeting.max_spent_cents is not None else [])
    if spend:
        bounds["spend"] = and_(*spend)
    if targeting.min_tips_cents is not None:
        bounds["tips"] = column("tips_cents") >= targeting.min_tips_cents
    return bounds


def narrow_ranges(targeting: Targeting) -> dict[Range, ColumnElement[bool]]:
    """The targeting's spend and tips bounds, each as the range of its narrow index
    (ix_fans_account_spend, ix_fans_account_tips) it is."""
    return _bounds(targeting, lambda name: fans.c[name])


def targeting_conditions(connection: Connection | str, targeting: Targeting, now: datetime, *, read: Range | None = None
                         ) -> list[ColumnElement[bool]]:
    """The listing filters as conditions on the `fans` row, every one on a column of ix_fans_account_order
    (`connection`: or just its dialect's name).

    A spend or tips bound is written `column + 0` (which no index can read), except the one a narrow
    index is to `read`: so the planner keeps to the listing order, as it must when the range is wide;
    SQLite keeps no statistics to tell a wide range from a narrow one, and would sort it all.

    A subscription that has ended lasted `term_seconds`; one still running has lasted since
    `subscribed_at`. So "subscribed at least D" is: started at least D ago, and either still running
    or lasted at least D (whole seconds suffice: D is whole seconds, and term_seconds is the floor).
    The start is an upper bound of the listing order, where pages seek by row value: written so SQLite
    does not seek by it instead (store.fan_pages starts such a listing at `duration_ceiling`).
    """
    c = fans.c
    conditions = [bound for name, bound in _bounds(targeting, lambda name: c[name] + literal_column("0")).items()
                  if name != read]
    if read is not None:
        conditions.append(narrow_ranges(targeting)[read])
    if targeting.online is not None:
        conditions.append(c.online == targeting.online)
    if targeting.min_duration is not None:
        conditions.append(unindexed(connection, c.subscribed_at) <= now - targeting.min_duration)
        conditions.append(or_(c.expires_at.is_(None), c.expires_at > now,
                              c.term_seconds >= targeting.min_duration // timedelta(seconds=1)))
    return conditions


def duration_ceiling(targeting: Targeting, now: datetime) -> tuple[datetime, int] | None:
    """The smallest order key above every fan that started at least the minimum duration ago (fan ids are
    positive): where a listing with a minimum duration begins."""
    if targeting.min_duration is None:
        return None
    return now - targeting.min_duration + timedelta(microseconds=1), 0
