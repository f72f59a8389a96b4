"""Idempotency-Key rules (CONTRACT.md §8): what a valid key is, and what a repeat gets.

A request claims its key with a short lease (renewed while it runs) and stores its response
in the same transaction as its effect (api/transaction.py). So a key is either done (its
answer committed with the effect: replay it), claimed by a live request (409, retry shortly),
or free: nothing was ever stored, or its claimant died (a crash lets the lease run out within
`LEASE` and the next attempt proceeds; nothing of the dead attempt had committed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from massdm.domain import json_body
from massdm.errors import IdempotencyConflict, IdempotencyKeyInvalid, IdempotencyMismatch, ValidationFailed

KEEP_FOR = timedelta(hours=24)
LEASE = timedelta(seconds=10)  # how long a claim lives unrenewed; its holder renews it every LEASE / 3
NEVER_STORED = frozenset({408, 429})  # and every 5xx


@dataclass(frozen=True)
class StoredAttempt:
    request_hash: str
    state: Literal["in_flight", "done"]
    status_code: int | None
    content_type: str | None
    body: bytes | None
    created_at: datetime
    expires_at: datetime
    lease_until: datetime | None = None  # while in flight: until when its claimant is presumed alive


@dataclass(frozen=True)
class Claim:
    """One request's hold on a key: only the holder of `token` may store the key's response."""

    scope: str
    token: str


def check_key(key: str) -> str:
    if not 1 <= len(key) <= 255 or not all(0x20 <= ord(c) <= 0x7E for c in key):
        raise IdempotencyKeyInvalid("Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return key


def json_body_hash(raw: bytes) -> str | None:
    """A JSON body's hash by meaning (key order and white space do not make it another request);
    None if it is not JSON the route could accept (not JSON at all, or nested too deeply): the
    caller then hashes it byte for byte, and the route answers it with its own 422."""
    try:
        value = json_body.decode(raw or b"null")
    except (ValueError, ValidationFailed):
        return None
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def scope_hash(credential: str, method: str, path: str, key: str) -> str:
    """Keys are scoped to the caller's credential, the endpoint and the account (in the path)."""
    return hashlib.sha256("\n".join((credential, method.upper(), path, key)).encode("utf-8", "replace")).hexdigest()


Decision = Literal["proceed", "replay"]


def decide(attempt: StoredAttempt | None, request_hash: str, now: datetime) -> Decision:
    """What to do with a request, given what is stored under its key.

    proceed: nothing (usable) is stored, run the request; replay: return the stored response.
    Raises for a different body (422) or a first attempt still in flight under a live lease (409).
    """
    if attempt is None or attempt.expires_at <= now:
        return "proceed"
    if attempt.request_hash != request_hash:
        raise IdempotencyMismatch("This Idempotency-Key was already used with a different request.")
    if attempt.state == "done":
        return "replay"
    if attempt.lease_until is None or attempt.lease_until <= now:
        return "proceed"  # the first attempt died without an answer, and nothing of it committed
    raise IdempotencyConflict("A request with this Idempotency-Key is still in progress.")


def storable(status_code: int) -> bool:
    return status_code < 500 and status_code not in NEVER_STORED
