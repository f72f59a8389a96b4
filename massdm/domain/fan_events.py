"""A batch of fan events (views and purchases), counted as the single calls would count them.

A batch means what its events would mean sent one by one, in order: a fan's first view of a
message counts, and so does the fan's first purchase, which also counts as the view when no
view came before it; every later event of the same kind is a duplicate. This module reduces a
batch to one intent per (message, fan), for the store to apply set-based under the facts only
the database knows (received? already viewed or bought? priced?), and then turns what the
store did back into one outcome per event, in request order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

MAX_EVENTS = 10_000

Pair = tuple[int, int]  # (message id, fan id)


class Kind(StrEnum):
    VIEW = "view"
    PURCHASE = "purchase"


class Status(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class FanEvent(Protocol):
    """One event as the platform reports it (the API's request items are such objects)."""

    @property
    def fan_id(self) -> int: ...
    @property
    def message_id(self) -> int: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def at(self) -> datetime | None: ...  # None: now


@dataclass(frozen=True, slots=True)
class Event:
    """A FanEvent made in code (tests, scripts)."""

    fan_id: int
    message_id: int
    kind: Kind
    at: datetime | None = None


class Want(NamedTuple):
    """What a batch wants for a (message, fan): the time of its first view and of its first purchase.

    `purchase_first`: the first purchase comes before any view, so if it is bought now the purchase
    is also the view. Times are capped at now here; the store raises them to the delivery's time.
    Most pairs of a batch want the same (both at now, or views only): pairs are grouped by want.
    """

    view_at: datetime | None
    purchase_at: datetime | None
    purchase_first: bool


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the store knows of a (message, fan) whose event did not apply: why not."""

    received: bool  # delivered to the fan, on an account the key may use, and still in the inbox
    priced: bool  # the message has a price (it can be bought)


@dataclass(frozen=True, slots=True)
class Rejection:
    error: str  # the code the single call answers with
    message: str


@dataclass(frozen=True)
class Plan:
    wants: dict[Want, list[Pair]]  # the pairs that want each, in (message, fan) order
    first_view: dict[Pair, int]  # the index of each pair's first view event
    first_purchase: dict[Pair, int]
    size: int  # events in the batch


@dataclass(frozen=True)
class Outcomes:
    """Each event's status in request order, and why each rejected one was refused."""

    statuses: list[Status]
    rejections: dict[int, Rejection] = field(default_factory=dict)

    def count(self, status: Status) -> int:
        return self.statuses.count(status)


def plan(events: Sequence[FanEvent], now: datetime) -> Plan:
    """What the batch wants of each (message, fan), from its first view and first purchase in request order.

    An `at` later than now is taken as now (the platform's clock ran ahead of ours).
    """
    first_view: dict[Pair, int] = {}
    first_purchase: dict[Pair, int] = {}
    earlier: dict[tuple[Pair, Kind], datetime] = {}  # the first events' `at`s that are not now
    view = Kind.VIEW
    for index, event in enumerate(events):
        pair = (event.message_id, event.fan_id)
        firsts = first_view if event.kind is view else first_purchase
        if pair not in firsts:
            firsts[pair] = index
            at = event.at
            if at is not None and at < now:
                earlier[(pair, event.kind)] = at
    if not first_purchase and not earlier:  # the usual batch: views, all now
        return Plan({Want(now, None, False): sorted(first_view)}, first_view, first_purchase, len(events))
    wants: dict[Want, list[Pair]] = {}
    purchase = Kind.PURCHASE
    for pair in sorted(first_view.keys() | first_purchase.keys()):
        viewed, bought = pair in first_view, pair in first_purchase
        want = Want(earlier.get((pair, view), now) if viewed else None,
                    earlier.get((pair, purchase), now) if bought else None,
                    bought and (not viewed or first_purchase[pair] < first_view[pair]))
        wants.setdefault(want, []).append(pair)
    return Plan(wants, first_view, first_purchase, len(events))


def applied_events(batch: Plan, *, viewed: set[Pair], purchased: set[Pair]) -> set[int]:
    """The indexes of the events that counted, given the pairs whose view and purchase were recorded now.

    A recorded purchase is its pair's first purchase event; a recorded view is its first view
    event, unless a purchase came first and was recorded (then the purchase was the view).
    """
    first_view, first_purchase = batch.first_view, batch.first_purchase
    if not first_purchase:  # views only: each view recorded is its pair's first view event
        return set(first_view.values()) if len(viewed) == len(first_view) else {first_view[p] for p in viewed}
    applied = {first_view[pair] for pair in viewed if pair in first_view
               and not (pair in purchased and first_purchase[pair] < first_view[pair])}
    applied.update(first_purchase[pair] for pair in purchased)
    return applied


def outcomes(events: Sequence[FanEvent], applied: set[int], receipts: Mapping[Pair, Receipt]) -> Outcomes:
    """Each event's outcome in request order; `receipts` covers the pairs of the events not applied."""
    statuses = [Status.APPLIED] * len(events)
    rejections: dict[int, Rejection] = {}
    if len(applied) == len(events):
        return Outcomes(statuses)
    for index, event in enumerate(events):
        if index not in applied:
            rejection = _rejection(event, receipts[(event.message_id, event.fan_id)])
            statuses[index] = Status.DUPLICATE if rejection is None else Status.REJECTED
            if rejection is not None:
                rejections[index] = rejection
    return Outcomes(statuses, rejections)


def _rejection(event: FanEvent, receipt: Receipt) -> Rejection | None:
    """Why an event did not count: the single calls' 404 and 422 refuse it, their no-ops make it a duplicate."""
    if not receipt.received:
        return Rejection("NOT_FOUND", f"Message {event.message_id} is not in fan {event.fan_id}'s inbox.")
    if event.kind is Kind.PURCHASE and not receipt.priced:
        return Rejection("VALIDATION_ERROR", "This message is free; there is nothing to buy.")
    return None
