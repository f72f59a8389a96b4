"""The recipients ledger of a mass message as SQL: every fan it considered, with what happened and why.

The fans considered are those the message names (store.audience.chosen: its lists' members and its
userIds, judged at the send time as every chunk judged them) and any fan it has a delivery or a failure
row for (a fan who left a list after receiving it is still listed). Each fan's status and reason is one
CASE over the fan row and its two outer-joined rows, in domain/recipients.py's order, so a page is one
ordered LIMIT/OFFSET query and the counts one GROUP BY of the same rows: nothing passes through Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, Subquery, and_, case, func, literal, not_, null, or_, select

from massdm.store.audience import Audience, chosen, exclusions, in_subscription_window
from massdm.store.fans import active_condition
from massdm.store.tables import deliveries, delivery_failures, fans


class Ending(StrEnum):
    """How a fan the message could still reach but has not is shown: by where the message is."""

    OPEN = "open"  # not sent yet, or being delivered: pending
    CANCELED = "canceled"  # skipped, canceled
    FINISHED = "finished"  # skipped, joined_late


@dataclass(frozen=True)
class Recipient:
    fan_id: int
    username: str
    status: str
    reason: str | None
    excluded_by: str | None  # the excludedLists entry that left the fan out (reason "excluded")
    delivered_at: datetime | None
    viewed_at: datetime | None
    purchased_at: datetime | None
    failed_at: datetime | None


@dataclass(frozen=True)
class Tally:
    by_status: dict[str, int]
    by_reason: dict[str, int]


def _text(value: str) -> ColumnElement[str]:
    return literal(value)


def _ledger(audience: Audience, ending: Ending) -> Subquery:
    delivered = deliveries.c.fan_id.is_not(None)
    failed = delivery_failures.c.fan_id.is_not(None)
    excluded = exclusions(audience)
    skips: list[tuple[ColumnElement[bool], str]] = [(member, "excluded") for _, member in excluded]
    window = in_subscription_window(audience)
    if window is not None:
        skips.append((not_(window), "subscribed_before"))
    skips.append((not_(active_condition(audience.at)), "expired"))
    unreached = {Ending.OPEN: None, Ending.CANCELED: "canceled", Ending.FINISHED: "joined_late"}[ending]

    reached = case((deliveries.c.purchased_at.is_not(None), _text("purchased")),
                   (deliveries.c.viewed_at.is_not(None), _text("viewed")), else_=_text("delivered"))
    status = case((delivered, reached), (failed, _text("failed")),
                  *((condition, _text("skipped")) for condition, _ in skips),
                  else_=_text("pending" if unreached is None else "skipped"))
    reason = case((delivered, null()), (failed, delivery_failures.c.reason),
                  *((condition, _text(why)) for condition, why in skips),
                  else_=null() if unreached is None else _text(unreached))
    excluded_by: ColumnElement[str | None] = null()  # type: ignore[assignment]  # NULL of any type
    if excluded:
        excluded_by = case((or_(delivered, failed), null()),
                           *((member, _text(str(ref))) for ref, member in excluded), else_=null())
    joined = fans.outerjoin(deliveries, and_(deliveries.c.message_id == audience.message_id,
                                             deliveries.c.fan_id == fans.c.id)) \
                 .outerjoin(delivery_failures, and_(delivery_failures.c.message_id == audience.message_id,
                                                    delivery_failures.c.fan_id == fans.c.id))
    return (
        select(fans.c.id.label("fan_id"), fans.c.username, status.label("status"), reason.label("reason"),
               excluded_by.label("excluded_by"), deliveries.c.delivered_at, deliveries.c.viewed_at,
               deliveries.c.purchased_at, delivery_failures.c.failed_at)
        .select_from(joined)
        .where(fans.c.account_id == audience.account_id, or_(chosen(audience), delivered, failed))
        .subquery("ledger")
    )


def page(connection: Connection, audience: Audience, ending: Ending, *, status: str | None, limit: int,
         offset: int) -> list[Recipient]:
    """The ledger's fans in fan-id order (those of `status` only, if given), `limit` from `offset`."""
    ledger = _ledger(audience, ending)
    query = select(ledger).order_by(ledger.c.fan_id).limit(limit).offset(offset)
    if status is not None:
        query = query.where(ledger.c.status == status)
    return [Recipient(**row._mapping) for row in connection.execute(query)]


def tally(connection: Connection, audience: Audience, ending: Ending) -> Tally:
    """How many of the ledger's fans have each status, and each reason: one GROUP BY."""
    ledger = _ledger(audience, ending)
    rows = connection.execute(
        select(ledger.c.status, ledger.c.reason, func.count()).group_by(ledger.c.status, ledger.c.reason)
    )
    by_status: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for status, reason, count in rows:
        by_status[status] = by_status.get(status, 0) + int(count)
        if reason is not None:
            by_reason[reason] = by_reason.get(reason, 0) + int(count)
    return Tally(by_status, by_reason)
