"""The fan's side: the inbox of received mass messages, and viewing and buying one.

A view counts once per fan and a purchase once per fan; each updates the message's
counters in the same transaction as the fan's own row, so the counters always equal
the per-fan facts. A purchase also adds its price to the buyer's spend there (store.fan_spend).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.webhooks import PPV_UNLOCKED
from massdm.errors import Conflict, NotFound, ValidationFailed
from massdm.services.mass_messaging import Policy, describe
from massdm.store import accounts as account_store
from massdm.store import deliveries as delivery_store
from massdm.store import fan_spend
from massdm.store import fans as fan_store
from massdm.store import messages as message_store
from massdm.store.deliveries import Delivery
from massdm.store.message_views import MessageView
from massdm.webhooks import outbox, payloads


@dataclass(frozen=True)
class InboxEntry:
    delivery: Delivery
    view: MessageView

    @property
    def unlocked(self) -> bool:
        """The fan may see everything: the message is free, or the fan bought it."""
        return self.view.message.price_cents == 0 or self.delivery.purchased_at is not None


def _entries(connection: Connection, deliveries: list[Delivery], now: datetime, policy: Policy) -> list[InboxEntry]:
    messages = message_store.messages_by_ids(connection, [d.message_id for d in deliveries])
    views = describe(connection, list(messages.values()), now, policy, named_fans=False)
    by_id = {v.message.id: v for v in views}
    return [InboxEntry(d, by_id[d.message_id]) for d in deliveries if d.message_id in by_id]


def inbox(
    connection: Connection, fan_id: int, account_ids: list[str], *, limit: int, offset: int, now: datetime,
    policy: Policy,
) -> tuple[list[InboxEntry], bool]:
    """Newest first; an unsent message is gone unless the fan bought it."""
    deliveries, has_more = delivery_store.inbox_page(connection, fan_id, account_ids, limit=limit, offset=offset)
    return _entries(connection, deliveries, now, policy), has_more


def open_message(
    connection: Connection, fan_id: int, account_ids: list[str], message_id: int, now: datetime, policy: Policy
) -> InboxEntry:
    delivery = delivery_store.get_delivery(connection, message_id, fan_id)
    message = message_store.get_message_by_id(connection, message_id)
    if (
        delivery is None
        or message is None
        or delivery.account_id not in account_ids
        or (message.canceled_at is not None and delivery.purchased_at is None)
    ):
        raise NotFound(f"Message {message_id} is not in fan {fan_id}'s inbox.")
    return InboxEntry(delivery, describe(connection, [message], now, policy, named_fans=False)[0])


def view(
    connection: Connection, fan_id: int, account_ids: list[str], message_id: int, now: datetime, policy: Policy
) -> InboxEntry:
    """The fan opened the message; the first time counts as a view."""
    entry = open_message(connection, fan_id, account_ids, message_id, now, policy)
    if entry.delivery.viewed_at is not None:
        return entry
    if delivery_store.mark_viewed(connection, message_id, fan_id, now):
        message_store.add_counters(connection, message_id, viewed_count=1)
        return replace(entry, delivery=replace(entry.delivery, viewed_at=now))
    return open_message(connection, fan_id, account_ids, message_id, now, policy)  # viewed meanwhile


def purchase(
    connection: Connection, fan_id: int, account_ids: list[str], message_id: int, now: datetime, policy: Policy
) -> InboxEntry:
    """The fan bought a paid message: revenue recorded once, content unlocked; buying counts as viewing."""
    entry = open_message(connection, fan_id, account_ids, message_id, now, policy)
    message = entry.view.message
    if message.price_cents == 0:
        raise ValidationFailed.field("message_id", "This message is free; there is nothing to buy.")
    purchase_id = delivery_store.mark_purchased(connection, message_id, fan_id, message.account_id,
                                                message.price_cents, now)
    if purchase_id is None:
        raise Conflict(f"Fan {fan_id} already bought message {message_id}.")
    viewed = delivery_store.mark_viewed(connection, message_id, fan_id, now)
    message_store.add_counters(connection, message_id, purchased_count=1, revenue_cents=message.price_cents,
                               viewed_count=1 if viewed else 0)
    fan_spend.add_purchases(connection, {(message.account_id, fan_id): fan_spend.Spend(message.price_cents, now)})

    def unlocked() -> dict:
        account = account_store.get_account(connection, message.account_id)
        return payloads.ppv_unlocked(
            purchase_id=purchase_id, message=message, fan=fan_store.get_fan(connection, message.account_id, fan_id),
            fan_id=fan_id, creator_id=account.onlyfans_id if account else 0, amount_cents=message.price_cents,
            purchased_at=now,
        )

    outbox.record(connection, message.account_id, PPV_UNLOCKED, unlocked, now, message_id=message_id, fan_id=fan_id)
    return open_message(connection, fan_id, account_ids, message_id, now, policy)
