"""Webhook rules: the events, who hears which account, signatures, stable keys, retries and pausing."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from massdm.domain.ids import is_random_id, new_random_id

QUEUE_UPDATED = "chat_queue.updated"
QUEUE_FINISHED = "chat_queue.finished"
PPV_UNLOCKED = "messages.ppv.unlocked"
MESSAGE_SENT = "messages.sent"
DELIVERY_FAILED = "messages.delivery_failed"  # massdm's own (sandbox mode's magic fans)
TEST_EVENT = "test-event"

# What a webhook may subscribe to (massdm's part of the provider's list), with what each means.
EVENTS: dict[str, str] = {
    QUEUE_UPDATED: "A mass message entered the queue, was changed or unsent, or its delivery progressed "
    "(at most once per delivered chunk and every few seconds per message). Payload: the queue item.",
    QUEUE_FINISHED: "A mass message is done: it finished delivering, failed to start, or was canceled before it "
    "finished (once per message, when its queue item first says isDone). Payload: the queue item.",
    PPV_UNLOCKED: "A fan bought a paid mass message. Payload: the purchase, with fanId, messageId and amount.",
    MESSAGE_SENT: "A message reached a fan. For mass messages this is one event per fan, so it is sent only "
    "to webhooks that opt in with mass_message_sent.",
    DELIVERY_FAILED: "massdm's own, sandbox mode only: a mass message finished delivering and some fans could not "
    "receive it (magic fans). Once per message. Payload: the counts by reason and the queue item.",
}

MAX_ATTEMPTS = 3
WEBHOOK_PREFIX = "wh_"


class AccountScope(StrEnum):
    """Whose events a webhook gets; the store applies it in SQL when an event is written."""

    GLOBAL = "global"  # every account of the team, present and future
    INCLUSIVE = "inclusive"  # only the listed accounts
    EXCLUSIVE = "exclusive"  # every account but the listed ones


class WebhookState(StrEnum):
    """What a webhook is doing, as its `enabled` and `paused_at` tell it."""

    ACTIVE = "active"  # enabled: gets the events it subscribes to
    PAUSED = "paused"  # disabled by massdm after repeated failures (pause_reason says why)
    DISABLED = "disabled"  # disabled by its owner (enabled: false)


def webhook_state(enabled: bool, paused: bool) -> WebhookState:
    if enabled:
        return WebhookState.ACTIVE
    return WebhookState.PAUSED if paused else WebhookState.DISABLED


def new_webhook_id() -> str:
    return new_random_id(WEBHOOK_PREFIX)


def is_webhook_id(text: str) -> bool:
    """Whether `text` can name a webhook (`wh_` + 32 hex); anything else is not found, unasked."""
    return is_random_id(text, WEBHOOK_PREFIX)


def body(event: str, account_id: str | None, payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed: the same event always serialises to the same bytes."""
    return json.dumps({"event": event, "account_id": account_id, "payload": payload},
                      separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, raw: bytes) -> str:
    """The `Signature` header: hex HMAC-SHA256 of the raw body, keyed with the signing secret."""
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def verify(secret: str, raw: bytes, received: str | None) -> bool:
    return received is not None and hmac.compare_digest(signature(secret, raw), received.strip().lower())


def event_key(instance_secret: str, event_id: int) -> str:
    """`X-OFAPI-Idempotency-Key`: `evt_` + 40 hex, the same for every attempt and redelivery of an event."""
    return "evt_" + hmac.new(instance_secret.encode(), f"event:{event_id}".encode(), hashlib.sha1).hexdigest()


def delivery_uuid(instance_secret: str, delivery_id: int) -> str:
    """The uuid every attempt of one delivery shares in the log."""
    digest = hmac.new(instance_secret.encode(), f"delivery:{delivery_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries (MAX_ATTEMPTS by default); each wait four times the last, from `first_delay`."""

    first_delay: timedelta = timedelta(seconds=10)
    attempts: int = MAX_ATTEMPTS

    def delay_after(self, attempt: int) -> timedelta | None:
        """How long to wait after failed attempt `attempt` (1-based); None when it was the last."""
        if attempt >= self.attempts:
            return None
        return self.first_delay * (4 ** (attempt - 1))


def pause_reason(consecutive_failures: int, threshold: int, retry: RetryPolicy) -> str | None:
    """Why a webhook is paused after this many failed deliveries in a row, or None to keep sending.

    The attempts named are those of the policy the deliveries were made under, not a number of its own.
    """
    if threshold <= 0 or consecutive_failures < threshold:
        return None
    return (f"Paused by massdm after {consecutive_failures} deliveries in a row failed all {retry.attempts} "
            "attempts; enable it again (PUT with enabled: true) once the endpoint works.")
