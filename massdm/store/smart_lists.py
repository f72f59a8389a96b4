"""A smart list's filter (domain.smart_lists) as one condition on the `fans` row, and its size.

Everything is set-based: the targeting bounds are columns of the fan row (store.fan_targeting), the
windows correlated EXISTS probes, one per fan, of ix_purchases_account_fan_time and ix_deliveries_fan.
Each window is (at - N, at]: judged at the message's send time, every chunk of it selects the same
fans, whatever purchases or other messages' deliveries come in while it is delivered.

A purchase window mostly needs no probe: the fan row keeps its latest purchase (`last_purchase_at`,
store.fan_spend). Never bought, or last bought at or before at - N: no purchase in the window; last
bought in the window: one. Only a fan whose latest purchase came after `at` (it bought while the
message was delivered) is probed for an earlier one in the window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, func, not_, or_, select, true

from massdm.domain.smart_lists import SmartFilter
from massdm.store.fan_targeting import targeting_conditions
from massdm.store.fans import FAN_COLUMNS, Fan, fan_from_row, system_list_flags
from massdm.store.tables import deliveries, fans, purchases


def _bought_in(since: datetime, at: datetime) -> ColumnElement[bool]:
    """Never NULL (it is negated): the fan's latest purchase decides, or the probe when it is after `at`."""
    p, last = purchases.c, fans.c.last_purchase_at
    probe = select(p.id).where(p.account_id == fans.c.account_id, p.fan_id == fans.c.id,
                               p.purchased_at > since, p.purchased_at <= at).exists()
    return and_(last.is_not(None), last > since, or_(last <= at, probe))


def _messaged_in(since: datetime, at: datetime, message_id: int | None) -> ColumnElement[bool]:
    """A delivery of any other mass message of the account to the fan in the window (ix_deliveries_fan
    is (fan, delivered_at): the account is checked on the few rows the probe reads)."""
    d = deliveries.c
    conditions = [d.fan_id == fans.c.id, d.delivered_at > since, d.delivered_at <= at,
                  d.account_id == fans.c.account_id]
    if message_id is not None:
        conditions.append(d.message_id != message_id)  # its own chunks are never a reason to leave a fan out
    return select(d.fan_id).where(*conditions).exists()


def member_condition(connection: Connection | str, smart: SmartFilter, at: datetime, *, message_id: int | None = None
                     ) -> ColumnElement[bool]:
    """Whether the fan row is in the smart list judged at `at` (for the message `message_id`, if any);
    `connection` may be the dialect's name.

    The conditions on the fan row come first, so the probes run only for fans they keep.
    """
    conditions = targeting_conditions(connection, smart.targeting, at)
    if smart.bought_within is not None:
        conditions.append(_bought_in(at - smart.bought_within, at))
    if smart.not_bought_within is not None:
        conditions.append(not_(_bought_in(at - smart.not_bought_within, at)))
    if smart.not_messaged_within is not None:
        conditions.append(not_(_messaged_in(at - smart.not_messaged_within, at, message_id)))
    return and_(true(), *conditions)


def count_members(connection: Connection, account_id: str, smart: SmartFilter, at: datetime) -> int:
    """How many fans of the account the smart list holds at `at`: one COUNT in SQL."""
    return connection.execute(
        select(func.count()).select_from(fans)
        .where(fans.c.account_id == account_id, member_condition(connection, smart, at))
    ).scalar_one()


def page_members(connection: Connection, account_id: str, smart: SmartFilter, at: datetime, *, offset: int,
                 limit: int, system_list_ids: tuple[str, ...] = ()) -> tuple[list[Fan], bool]:
    """A page of the smart list's fans in the listing order (newest subscription first), and whether
    more follow: a plain OFFSET query (no page marks: purchases and deliveries move fans in and out)."""
    rows = connection.execute(
        select(*FAN_COLUMNS, *system_list_flags(system_list_ids, at))
        .where(fans.c.account_id == account_id, member_condition(connection, smart, at))
        .order_by(fans.c.subscribed_at.desc(), fans.c.id.desc())
        .limit(limit + 1).offset(offset)
    ).all()
    return [fan_from_row(r, system_list_ids) for r in rows[:limit]], len(rows) > limit
