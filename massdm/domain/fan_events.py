"""A batch of fan events (views and purchases), counted as the single calls would count them.

A batch means what its events would mean sent one by one, in order: a fan's first view of a
message counts, and so does the fan's first purchase, which also counts as the view when no
view came before it; every later event of the same kind is a duplicate. This module reduces a
batch to one intent per (message, fan), for the store to apply set-based under the facts only
the database knows (received? already viewed or bought? priced?), and then turns what the
store did back into one outcome per event, in request order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable, Mapping

MAX_EVENTS = 10_000

Pair = tuple[int, int]  # (message id, fan id)


class Kind(StrEnum):
    VIEW = "view"
    PURCHASE = "purchase"


class Status(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class FanEvent:
    fan_id: int
    message_id: int
    kind: Kind
    at: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class Intent:
    """What a batch wants for one (message, fan): the time of its first view and of its first purchase.

    `purchase_first`: the first purchase comes before any view, so if it is bought now the purchase
    is also the view. Times are capped at now here; the store raises them to the delivery's time.
    """

    message_id: int
    fan_id: int
    view_at: datetime | None
    purchase_at: datetime | None
    purchase_first: bool


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the store knows of a (message, fan) whose event did not apply: why not."""

    received: bool  # delivered to the fan, on an account the key may use, and still in the inbox
    priced: bool  # the message has a price (it can be bought)


@dataclass(frozen=True, slots=True)
class Outcome:
    index: int
    status: Status
    error: str | None = None  # the contract's error code, when rejected
    message: str | None = None


@dataclass(frozen=True)
class Plan:
    intents: list[Intent]
    first_view: dict[Pair, int]  # the index of each pair's first view event
    first_purchase: dict[Pair, int]


def plan(events: Iterable[FanEvent], now: datetime) -> Plan:
    """One intent per (message, fan), from its first view and its first purchase in request order.

    An `at` later than now is taken as now (the platform's clock ran ahead of ours).
    """
    first_view: dict[Pair, int] = {}
    first_purchase: dict[Pair, int] = {}
    times: dict[Pair, list[datetime | None]] = {}  # [view at, purchase at]
    for index, event in enumerate(events):
        pair = (event.message_id, event.fan_id)
        firsts, slot = (first_view, 0) if event.kind is Kind.VIEW else (first_purchase, 1)
        if pair not in firsts:
            firsts[pair] = index
            times.setdefault(pair, [None, None])[slot] = now if event.at is None or event.at > now else event.at
    intents = [
        Intent(pair[0], pair[1], view_at, purchase_at,
               purchase_at is not None and (pair not in first_view or first_purchase[pair] < first_view[pair]))
        for pair, (view_at, purchase_at) in times.items()
    ]
    return Plan(intents, first_view, first_purchase)


def applied_events(batch: Plan, *, viewed: set[Pair], purchased: set[Pair]) -> set[int]:
    """The indexes of the events that counted, given the pairs whose view and purchase were recorded now.

    A recorded purchase is its pair's first purchase event; a recorded view is its first view
    event, unless a purchase came first and was recorded (then the purchase was the view).
    """
    applied = {batch.first_purchase[pair] for pair in purchased}
    for intent in batch.intents:
        pair = (intent.message_id, intent.fan_id)
        if pair in viewed and pair in batch.first_view and not (intent.purchase_first and pair in purchased):
            applied.add(batch.first_view[pair])
    return applied


def outcomes(events: list[FanEvent], applied: set[int], receipts: Mapping[Pair, Receipt]) -> list[Outcome]:
    """Each event's outcome in request order; `receipts` covers the pairs of the events not applied."""
    return [
        Outcome(index, Status.APPLIED) if index in applied
        else _not_applied(index, event, receipts[(event.message_id, event.fan_id)])
        for index, event in enumerate(events)
    ]


def _not_applied(index: int, event: FanEvent, receipt: Receipt) -> Outcome:
    """Why an event did not count: the single calls' 404 and 422 become rejections, their no-ops duplicates."""
    if not receipt.received:
        return Outcome(index, Status.REJECTED, "NOT_FOUND",
                       f"Message {event.message_id} is not in fan {event.fan_id}'s inbox.")
    if event.kind is Kind.PURCHASE and not receipt.priced:
        return Outcome(index, Status.REJECTED, "VALIDATION_ERROR", "This message is free; there is nothing to buy.")
    return Outcome(index, Status.DUPLICATE)
