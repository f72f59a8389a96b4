"""Trigger an event (docs/sandbox.md): a realistic payload for one of the webhook events,
built by the same builders as the real ones (webhooks/payloads.py) from the account's latest message and
a fan of it (sample ones when it has none), `overrides` merged in, and written through the normal outbox
to the team's webhooks subscribed to it, which the dispatcher signs and sends as any other event.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from massdm.clock import Clock
from massdm.domain import webhooks as rules
from massdm.errors import NotFound, ValidationFailed
from massdm.store import accounts as account_store
from massdm.store import fans as fan_store
from massdm.store import instance as instance_store
from massdm.store import messages as message_store
from massdm.store import sandbox_faults as fault_store
from massdm.store import webhook_outbox as outbox_store
from massdm.store.db import transaction
from massdm.store.deliveries import Delivery
from massdm.store.message_views import describe
from massdm.store.messages import MassMessage
from massdm.webhooks import outbox, payloads

EVENTS = tuple(rules.EVENTS)  # what a webhook can subscribe to: what can be triggered
SAMPLE_FAN_ID = 1
SAMPLE_PRICE_CENTS = 999


@dataclass(frozen=True)
class Triggered:
    event: str
    account_id: str
    event_id: int | None  # None: no webhook listens, nothing was written
    event_key: str | None
    deliveries: int
    payload: dict[str, Any]


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` laid over it: objects merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def check_event(event: str) -> None:
    """422 naming `event`, with the valid ones, for an event no webhook can subscribe to."""
    if event not in rules.EVENTS:
        raise ValidationFailed.field("event", f"Unknown event {event!r}; the events are: {', '.join(EVENTS)}.")


def trigger(engine: Engine, clock: Clock, account_id: str, event: str, overrides: dict[str, Any], *,
            unsend_window: int) -> Triggered:
    check_event(event)
    now = clock.now()
    with transaction(engine) as connection:
        account = account_store.get_account(connection, account_id)
        if account is None:
            raise NotFound(f"Account {account_id} was not found.")
        latest = message_store.list_queue(connection, account_id, sent_since=now - timedelta(days=3650), limit=1)
        message = latest[0] if latest else _sample_message(account_id, now)
        fan_id = _fan_id(overrides) or fault_store.first_fan_id(connection, account_id) or SAMPLE_FAN_ID
        fan = fan_store.get_fan(connection, account_id, fan_id)
        if event in (rules.QUEUE_UPDATED, rules.QUEUE_FINISHED):
            if latest:
                built = payloads.queue_item(describe(connection, [message], now, unsend_window, named_fans=False)[0])
            else:
                built = _sample_queue_item(message, finished=event == rules.QUEUE_FINISHED)
        elif event == rules.PPV_UNLOCKED:
            price = message.price_cents or SAMPLE_PRICE_CENTS
            built = payloads.ppv_unlocked(purchase_id=int(now.timestamp() * 1000), message=message, fan=fan,
                                          fan_id=fan_id, creator_id=account.onlyfans_id, amount_cents=price,
                                          purchased_at=now)
        else:
            delivery = Delivery(message.id, fan_id, account_id, now, None, None)
            built = payloads.message_sent(message=message, delivery=delivery, fan=fan, creator_id=account.onlyfans_id)
        payload = merge(built, overrides)
        webhook_ids = outbox_store.listening(connection, account_id, event)
        event_id = outbox.record(connection, account_id, event, lambda: payload, now)
        key = rules.event_key(instance_store.instance_secret(connection), event_id) if event_id is not None else None
    return Triggered(event, account_id, event_id, key, len(webhook_ids) if event_id is not None else 0, payload)


def _fan_id(overrides: dict[str, Any]) -> int | None:
    """The fan an override names (`fanId`, or `user.id` / `toUser.id`), if any."""
    for value in (overrides.get("fanId"), (overrides.get("user") or {}).get("id"),
                  (overrides.get("toUser") or {}).get("id")):
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
            return value
    return None


def _sample_message(account_id: str, now: datetime) -> MassMessage:
    """A message as a send of the account would make it, for an account that has sent none."""
    text = "<p>A message from the massdm sandbox</p>"
    return MassMessage(
        id=1, account_id=account_id, text=text, raw_text=text, locked_text=False, price_cents=SAMPLE_PRICE_CENTS,
        giphy_id=None, release_forms={}, user_lists=["fans"], excluded_lists=[], subscribed_since=None,
        created_at=now, saved_for_later=False, scheduled_at=None, due_at=now, sent_at=now, finished_at=now,
        canceled_at=None, total=1, skipped_count=0, sent_count=1, failed_count=0, viewed_count=0, purchased_count=0,
        revenue_cents=0, claimed_by=None, lease_until=None, error=None,
    )


def _sample_queue_item(message: MassMessage, *, finished: bool) -> dict[str, Any]:
    iso = message.created_at.isoformat(timespec="seconds")
    return {
        "id": message.id, "date": iso, "isReady": True, "isDone": finished, "total": message.total,
        "pending": 0 if finished else message.total, "canUnsend": True, "unsendSeconds": 0, "hasError": False,
        "isCanceled": False, "isCouplePeopleMedia": False, "status": "sent" if finished else "sending",
        "error": None,
    }
