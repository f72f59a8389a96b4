"""Idempotent POSTs: the first response under a key is stored for 24 h and replayed to repeats."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from massdm.domain import idempotency as rules
from massdm.domain.idempotency import Decision, StoredAttempt
from massdm.store import idempotency as key_store
from massdm.store.db import lock, transaction

ABANDONED_AFTER = timedelta(minutes=10)


def begin(engine: Engine, scope: str, request_hash: str, now: datetime) -> tuple[Decision, StoredAttempt | None]:
    """Claim the key for this request, or say to replay; raises 409 / 422 as the rules say.

    Check-and-claim is one transaction holding a lock on the scope, so of many simultaneous
    requests, to however many API processes, exactly one proceeds.
    """
    with transaction(engine) as connection:
        lock(connection, f"massdm:idempotency:{scope}")
        attempt = key_store.get_attempt(connection, scope)
        decision = rules.decide(attempt, request_hash, now, ABANDONED_AFTER)
        if decision == "proceed":
            key_store.put_in_flight(connection, scope, request_hash, now, now + rules.KEEP_FOR)
    return decision, attempt


def finish(engine: Engine, scope: str, status_code: int, content_type: str | None, body: bytes) -> None:
    with transaction(engine) as connection:
        if rules.storable(status_code):
            key_store.complete(connection, scope, status_code, content_type, body)
        else:
            key_store.forget(connection, scope)


def abandon(engine: Engine, scope: str) -> None:
    with transaction(engine) as connection:
        key_store.forget(connection, scope)


def purge_expired(connection: Connection, now: datetime) -> int:
    return key_store.purge_expired(connection, now)
