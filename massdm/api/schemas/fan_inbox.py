"""The fan side's shapes (massdm's own; the provider has no fan API): inbox messages."""

from __future__ import annotations

from massdm.api.schemas.common import WireModel, iso
from massdm.api.schemas.media import MediaOut, UrlOf
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
