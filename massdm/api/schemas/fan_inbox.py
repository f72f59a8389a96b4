"""The fan side's shapes (massdm's own; the provider has no fan API): inbox messages and batches of events."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from massdm.api.schemas.common import DbId, Instant, WireModel, iso
from massdm.api.schemas.media import MediaOut, UrlOf
from massdm.domain.fan_events import MAX_EVENTS, Kind, Outcomes, Status
from massdm.domain.messages import format_price
from massdm.services.fan_inbox import InboxEntry


class LockedMediaOut(WireModel):
    """Paid media the fan has not bought: its kind, never its files."""

    id: int
    type: str
    can_view: bool = False


class InboxMessageOut(WireModel):
    id: int
    account_id: str
    date: str
    text: str | None  # null while locked (lockedText, paid, not bought)
    locked_text: bool
    is_free: bool
    price: str | None
    is_purchased: bool
    is_viewed: bool
    can_purchase: bool
    is_canceled: bool
    media_count: int
    media: list[MediaOut | LockedMediaOut]
    previews: list[int]

    @classmethod
    def of(cls, entry: InboxEntry, url_of: UrlOf) -> InboxMessageOut:
        m, delivery = entry.view.message, entry.delivery
        unlocked = entry.unlocked
        previews = set(entry.view.preview_ids)
        media: list[MediaOut | LockedMediaOut] = [
            MediaOut.of(i, url_of) if unlocked or i.id in previews else LockedMediaOut(id=i.id, type=i.type)
            for i in entry.view.media
        ]
        return cls(
            id=m.id, account_id=m.account_id, date=iso(delivery.delivered_at) or "",
            text=m.text if unlocked or not m.locked_text else None, locked_text=m.locked_text,
            is_free=m.price_cents == 0, price=format_price(m.price_cents) if m.price_cents else None,
            is_purchased=delivery.purchased_at is not None, is_viewed=delivery.viewed_at is not None,
            can_purchase=not unlocked and m.canceled_at is None, is_canceled=m.canceled_at is not None,
            media_count=len(entry.view.media), media=media, previews=entry.view.preview_ids,
        )


class InboxPageOut(WireModel):
    list: list[InboxMessageOut]
    has_more: bool


# A slotted dataclass rather than a model: a batch has 10,000 of them, validated in a third of the time
# (and not frozen: a frozen one is set field by field through object.__setattr__, a fifth slower again).
@dataclass(slots=True, config=ConfigDict(alias_generator=to_camel, populate_by_name=True))
class FanEventIn:
    """One event; a `FanEvent` as domain/fan_events.py reads it."""

    fan_id: DbId
    message_id: DbId
    kind: Kind = Field(alias="type", description="`view` or `purchase`.")
    at: Instant | None = Field(default=None, description="When it happened (ISO 8601); now if left out.")


class FanEventsIn(WireModel):
    events: list[FanEventIn] = Field(max_length=MAX_EVENTS, description=f"Up to {MAX_EVENTS:,} events.")


class EventErrorOut(TypedDict):
    error: str  # the code the single call answers with: NOT_FOUND, VALIDATION_ERROR
    message: str


class EventResultOut(TypedDict):
    index: int
    status: Literal["applied", "duplicate", "rejected"]
    error: NotRequired[EventErrorOut]


class FanEventsOut(WireModel):
    results: list[EventResultOut]
    applied: int
    duplicates: int
    rejected: int

    @classmethod
    def of(cls, outcomes: Outcomes) -> FanEventsOut:
        wire: dict[Status, Literal["applied", "duplicate", "rejected"]] = {
            Status.APPLIED: "applied", Status.DUPLICATE: "duplicate", Status.REJECTED: "rejected"}
        results: list[EventResultOut] = [{"index": i, "status": wire[s]} for i, s in enumerate(outcomes.statuses)]
        for i, rejection in outcomes.rejections.items():
            results[i]["error"] = {"error": rejection.error, "message": rejection.message}
        # Built from values massdm made itself: validating 10,000 results again would cost more than the write.
        return cls.model_construct(results=results, applied=outcomes.count(Status.APPLIED),
                                   duplicates=outcomes.count(Status.DUPLICATE),
                                   rejected=outcomes.count(Status.REJECTED))
