"""Idempotent POSTs: the first response under a key is stored for 24 h and replayed to repeats.

Each function works in the caller's transaction: the claim and its renewals in short ones of
their own, the completion in the very transaction of the request's effect (api/transaction.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain import idempotency as rules
from massdm.domain.idempotency import Claim, Decision, StoredAttempt
from massdm.errors import IdempotencyConflict
from massdm.store import idempotency as key_store
from massdm.store.db import lock


def claim(connection: Connection, scope: str, request_hash: str, now: datetime,
          team_id: int) -> tuple[Decision, StoredAttempt | Claim]:
    """Claim the key for this request of `team_id`'s caller (proceed, with the claim), or say to replay
    (with the stored attempt); raises 409 / 422 as the rules say. The team is stored with the key so a
    whole-team sandbox reset forgets it (store.team_state).

    Check-and-claim holds a lock on the scope, so of many simultaneous requests, to however
    many API processes, exactly one proceeds.
    """
    lock(connection, f"massdm:idempotency:{scope}")
    attempt = key_store.get_attempt(connection, scope)
    decision = rules.decide(attempt, request_hash, now)
    if decision == "replay":
        assert attempt is not None
        return decision, attempt
    held = Claim(scope, secrets.token_hex(16))
    key_store.put_in_flight(connection, scope, request_hash, held.token, now, now + rules.LEASE, now + rules.KEEP_FOR,
                            team_id)
    return decision, held


def renew(connection: Connection, held: Claim, now: datetime) -> bool:
    return key_store.renew(connection, held.scope, held.token, now + rules.LEASE)


def complete(connection: Connection, held: Claim, status_code: int, content_type: str | None, body: bytes) -> None:
    """Store the response a retry gets (or forget the key, for answers never replayed), in the
    transaction of the request's effect. 409 if the claim was lost meanwhile (its lease ran out
    and a retry took over): the caller must then roll its effect back."""
    if not rules.storable(status_code):
        key_store.release(connection, held.scope, held.token)
        return
    if not key_store.complete(connection, held.scope, held.token, status_code, content_type, body):
        raise IdempotencyConflict("Another request with this Idempotency-Key took over; retry to get its answer.")


def release(connection: Connection, held: Claim) -> None:
    key_store.release(connection, held.scope, held.token)


def purge_expired(connection: Connection, now: datetime) -> int:
    return key_store.purge_expired(connection, now)
