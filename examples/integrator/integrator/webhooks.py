"""A webhook handler: checks each event's signature, processes each event once (deliveries are at least
once: a retry or a redelivery carries the same `X-OFAPI-Idempotency-Key`), and keeps the revenue that
`messages.ppv.unlocked` events report."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


class InvalidSignature(Exception):
    pass


class EventHandler:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.seen: set[str] = set()
        self.processed: list[dict[str, Any]] = []
        self.revenue_cents = 0

    def handle(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Process one delivery (its exact body and its headers, names lower-cased); False for a duplicate."""
        expected = hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("signature", "")):
            raise InvalidSignature("the Signature header does not match the body")
        key = headers["x-ofapi-idempotency-key"]
        if key in self.seen:
            return False
        self.seen.add(key)
        event = json.loads(raw)
        self.processed.append(event)
        if event["event"] == "messages.ppv.unlocked":
            self.revenue_cents += int(event["payload"]["amountCents"])
        return True
