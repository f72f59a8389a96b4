"""What each event's `payload` says, built from store rows (wire names, like the rest of the API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from massdm.domain.messages import format_price

if TYPE_CHECKING:
    from massdm.store.deliveries import Delivery
    from massdm.store.fans import Fan
    from massdm.store.message_views import MessageView
    from massdm.store.messages import MassMessage


def _iso(moment: datetime | None) -> str | None:
    """Dates as every response writes them: UTC, whole seconds, with the offset."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment is not None else None


def queue_item(view: MessageView) -> dict[str, Any]:
    """The queue item: the chat_queue.* payload, and what `GET /api/{account}/mass-messaging` lists
    (api/schemas `QueueItemOut` validates this dict, so both always say the same)."""
    state = view.state
    assert state is not None
    return {
        "id": view.message.id, "date": _iso(state.date), "isReady": state.is_ready, "isDone": state.is_done,
        "total": state.total, "pending": state.pending, "canUnsend": state.can_unsend,
        "unsendSeconds": state.unsend_seconds, "hasError": state.has_error, "isCanceled": state.is_canceled,
        "isCouplePeopleMedia": False, "status": view.status, "error": view.error,
    }


def delivery_failed(view: MessageView) -> dict[str, Any]:
    """massdm's messages.delivery_failed: how many fans the finished message could not reach and why,
    where the ledger lists them, and the queue item as it now stands."""
    message_id = view.message.id
    return {
        "messageId": message_id, "queueId": message_id, "failedCount": sum(view.failures.values()),
        "reasons": dict(sorted(view.failures.items())), "error": view.error,
        "recipients": f"/sandbox/v1/messages/{message_id}/recipients?status=failed",
        "queue": queue_item(view),
    }


def _user(fan: Fan | None, fan_id: int) -> dict[str, Any]:
    return {"id": fan_id, "username": fan.username if fan else None, "name": fan.name if fan else None}


def ppv_unlocked(*, purchase_id: int, message: MassMessage, fan: Fan | None, fan_id: int, creator_id: int,
                 amount_cents: int, purchased_at: datetime) -> dict[str, Any]:
    """The provider's purchase notification (id, createdAt, user_id of the creator, the buying `user`,
    `replacePairs` for its text), plus the facts as numbers: fanId, messageId, amount (USD), amountCents."""
    amount = f"${format_price(amount_cents)}"
    who = (fan.name if fan else None) or f"Fan {fan_id}"
    return {
        "id": purchase_id, "type": "message", "subType": "ppv_unlocked", "createdAt": _iso(purchased_at),
        "isRead": False, "user_id": creator_id,
        "text": f"{who} unlocked your message for {amount}",
        "replacePairs": {"{AMOUNT}": amount, "{MESSAGE_LINK}": f"/fan/v1/{fan_id}/messages/{message.id}"},
        "user": _user(fan, fan_id),
        "fanId": fan_id, "messageId": message.id, "queueId": message.id,
        "amount": amount_cents / 100, "amountCents": amount_cents, "currency": "USD",
    }


def message_sent(*, message: MassMessage, delivery: Delivery, fan: Fan | None, creator_id: int) -> dict[str, Any]:
    """A fan received a mass message: the message as the fan got it, with `toUser` and the queue's id."""
    return {
        "id": message.id, "queueId": message.id, "isFromQueue": True, "responseType": "message",
        "text": message.text, "lockedText": message.locked_text, "isFree": message.price_cents == 0,
        "price": message.price_cents / 100, "createdAt": _iso(delivery.delivered_at),
        "fromUser": {"id": creator_id}, "toUser": _user(fan, delivery.fan_id),
    }


def test_event(webhook_id: str, now: datetime) -> dict[str, Any]:
    return {"message": "A test event from massdm: this endpoint receives its webhooks.", "webhook_id": webhook_id,
            "sentAt": _iso(now)}
