"""Who a mass message goes to, as SQL over `fans`: resolved and delivered set-based, in chunks.

audience = (members of `userLists` ∪ `userIds`) − members of `excludedLists`,
           restricted to fans subscribed since `subscribed_since` (if given);
a smart list's members are its filter's condition on the fan row (store.smart_lists), judged at
the send time like the system lists';
eligible = the audience members who can receive now (an active subscription).
A draft not yet sent (the console's compose page) is counted by the same conditions, its userIds
given as values instead of the message's stored ones (`for_draft`).
When a message is counted, its eligible fans are split in fan-id order into ranges of
`chunk size` fans (delivery_chunks), each delivered by INSERT … SELECT in one transaction
by whichever worker claims it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
)

from massdm.domain.audience import parse_list_id
from massdm.domain.smart_lists import SmartFilter
from massdm.store import smart_lists
from massdm.store.dialect import upsert
from massdm.store.fans import active_condition, custom_list_condition, system_list_condition
from massdm.store.messages import MassMessage
from massdm.store.tables import deliveries, delivery_chunks, fans, mass_message_user_ids
from massdm.store.user_lists import smart_filters


@dataclass(frozen=True)
class Audience:
    account_id: str
    message_id: int | None  # None: a draft, counted before it is a message (for_draft)
    lists: tuple[str | int, ...]
    excluded: tuple[str | int, ...]
    subscribed_since: datetime | None
    at: datetime  # the moment list membership and subscriptions are judged at
    names_fans: bool = True  # whether userIds name anyone (if not, the per-fan lookup is skipped)
    smart: Mapping[int, SmartFilter] = field(default_factory=dict)  # the filters of the smart lists among them
    dialect: str = "sqlite"  # the conditions are written for it (store.fan_targeting keeps indexes apart)
    fan_ids: tuple[int, ...] | None = None  # a draft's userIds (a message's are read from mass_message_user_ids)


def for_message(
    connection: Connection, message: MassMessage, at: datetime, *, lists: list[str | int] | None = None,
    excluded: list[str | int] | None = None,
) -> Audience:
    """A message's audience as judged at `at` (its send time, so every chunk judges alike)."""
    names_fans = connection.execute(
        select(mass_message_user_ids.c.fan_id).where(mass_message_user_ids.c.message_id == message.id).limit(1)
    ).first() is not None
    def refs(raw: list) -> tuple[str | int, ...]:
        return tuple(r for r in (parse_list_id(x) for x in raw) if r is not None)

    chosen = tuple(lists) if lists is not None else refs(message.user_lists)
    left_out = tuple(excluded) if excluded is not None else refs(message.excluded_lists)
    custom = sorted({ref for ref in (*chosen, *left_out) if isinstance(ref, int)})
    return Audience(
        account_id=message.account_id, message_id=message.id, lists=chosen, excluded=left_out,
        subscribed_since=message.subscribed_since, at=at, names_fans=names_fans,
        smart=smart_filters(connection, message.account_id, custom), dialect=connection.dialect.name,
    )


def for_draft(
    connection: Connection, account_id: str, at: datetime, *, lists: list[str | int], excluded: list[str | int],
    fan_ids: list[int], subscribed_since: datetime | None = None,
) -> Audience:
    """The audience a message with these lists and fans would have if it were sent at `at`: the
    conditions a message's own audience is judged by, before any message exists."""
    custom = sorted({ref for ref in (*lists, *excluded) if isinstance(ref, int)})
    return Audience(
        account_id=account_id, message_id=None, lists=tuple(lists), excluded=tuple(excluded),
        subscribed_since=subscribed_since, at=at, names_fans=bool(fan_ids),
        smart=smart_filters(connection, account_id, custom), dialect=connection.dialect.name,
        fan_ids=tuple(dict.fromkeys(fan_ids)),
    )


def _member_of(audience: Audience, ref: str | int) -> ColumnElement[bool]:
    if isinstance(ref, str):
        return system_list_condition(ref, audience.at)
    smart = audience.smart.get(ref)
    if smart is None:
        return custom_list_condition(ref)
    return smart_lists.member_condition(audience.dialect, smart, audience.at, message_id=audience.message_id)


def chosen(audience: Audience) -> ColumnElement[bool]:
    """The fans the message names: members of its `userLists` and its `userIds`, before exclusions."""
    picked_ids: ColumnElement[bool] = (
        select(mass_message_user_ids.c.fan_id)
        .where(mass_message_user_ids.c.message_id == audience.message_id, mass_message_user_ids.c.fan_id == fans.c.id)
        .exists()
    )
    if audience.fan_ids is not None:
        # A draft's ids, written into the statement (integers only): no limit on bound parameters.
        picked_ids = fans.c.id.in_(bindparam("draft_fan_ids", list(audience.fan_ids), expanding=True,
                                             literal_execute=True))
    members = [_member_of(audience, ref) for ref in audience.lists]
    return or_(false(), picked_ids, *members) if audience.names_fans else or_(false(), *members)


def exclusions(audience: Audience) -> list[tuple[str | int, ColumnElement[bool]]]:
    """Each of `excludedLists` with its membership condition, in the message's order."""
    return [(ref, _member_of(audience, ref)) for ref in audience.excluded]


def in_subscription_window(audience: Audience) -> ColumnElement[bool] | None:
    """`subscribedWithinLastDays` as a condition (None when the message has none)."""
    return None if audience.subscribed_since is None else fans.c.subscribed_at >= audience.subscribed_since


def requested(audience: Audience) -> ColumnElement[bool]:
    conditions = [fans.c.account_id == audience.account_id, chosen(audience)]
    if audience.excluded:
        conditions.append(not_(or_(false(), *(member for _, member in exclusions(audience)))))
    window = in_subscription_window(audience)
    if window is not None:
        conditions.append(window)
    return and_(*conditions)


def eligible(audience: Audience) -> ColumnElement[bool]:
    return and_(requested(audience), active_condition(audience.at))


def count(connection: Connection, audience: Audience) -> tuple[int, int]:
    """(audience size, how many of them can receive), in one pass."""
    row = connection.execute(
        select(func.count(), func.coalesce(func.sum(case((active_condition(audience.at), 1), else_=0)), 0))
        .select_from(fans)
        .where(requested(audience))
    ).one()
    return int(row[0]), int(row[1])


def anyone_eligible(connection: Connection, audience: Audience) -> bool:
    """Whether at least one fan could receive now: stops at the first, whatever the audience's size."""
    return connection.execute(select(fans.c.id).where(eligible(audience)).limit(1)).first() is not None


def plan_chunks(connection: Connection, audience: Audience, size: int) -> int:
    """Split the eligible fans into fan-id ranges of `size`; returns how many chunks.

    Each bound is the `size`-th eligible fan after the previous bound, found by stepping an
    ordered index scan (OFFSET): one pass over the audience in all, a row per chunk in memory.
    A last, open-ended range takes whoever comes after the last bound.
    """
    bounds: list[int] = []
    after = 0
    while True:
        through = connection.execute(
            select(fans.c.id).where(eligible(audience), fans.c.id > after).order_by(fans.c.id).offset(size - 1).limit(1)
        ).scalar_one_or_none()
        if through is None:
            break
        bounds.append(through)
        after = through
    ranges = list(zip([0, *bounds], [*bounds, None], strict=True))
    connection.execute(insert(delivery_chunks), [
        {"message_id": audience.message_id, "seq": n, "after_fan_id": lo, "through_fan_id": hi, "attempts": 0}
        for n, (lo, hi) in enumerate(ranges)
    ])
    return len(ranges)


def deliver(connection: Connection, audience: Audience, *, after: int, through: int | None, now: datetime,
            leaving_out: ColumnElement[bool] | None = None) -> int:
    """Write deliveries for the eligible fans with after < id <= through (no upper bound if None),
    but those `leaving_out` holds for (sandbox mode's magic fans; None, the statement as ever).

    INSERT ... SELECT: nothing passes through Python. The primary key (message, fan) and
    ON CONFLICT DO NOTHING make a repeated chunk harmless; the count is of new rows only.
    """
    where = [eligible(audience), fans.c.id > after]
    if through is not None:
        where.append(fans.c.id <= through)
    if leaving_out is not None:
        where.append(not_(leaving_out))
    source = select(
        literal(audience.message_id, deliveries.c.message_id.type).label("message_id"),
        fans.c.id,
        fans.c.account_id,
        literal(now, deliveries.c.delivered_at.type).label("delivered_at"),
    ).where(*where)
    statement = upsert(connection, deliveries).from_select(
        ["message_id", "fan_id", "account_id", "delivered_at"], source
    ).on_conflict_do_nothing(index_elements=[deliveries.c.message_id, deliveries.c.fan_id])
    # INSERT's row count is only kept when asked for (PostgreSQL reports it, SQLAlchemy drops it by default).
    return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount
