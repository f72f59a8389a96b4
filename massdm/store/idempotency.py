"""Stored first responses, per idempotency scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from massdm.domain.idempotency import StoredAttempt
from massdm.store.dialect import upsert
from massdm.store.tables import idempotency_keys as keys


def get_attempt(connection: Connection, scope: str) -> StoredAttempt | None:
    row = connection.execute(
        select(keys.c.request_hash, keys.c.state, keys.c.status_code, keys.c.content_type, keys.c.body,
               keys.c.created_at, keys.c.expires_at).where(keys.c.scope_hash == scope)
    ).first()
    return StoredAttempt(*row) if row else None


def put_in_flight(connection: Connection, scope: str, request_hash: str, now: datetime, expires_at: datetime) -> None:
    """Record (or take over) the scope for a request now being processed."""
    values = {"scope_hash": scope, "request_hash": request_hash, "state": "in_flight", "status_code": None,
              "content_type": None, "body": None, "created_at": now, "expires_at": expires_at}
    statement = upsert(connection, keys).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[keys.c.scope_hash], set_={k: statement.excluded[k] for k in values if k != "scope_hash"}
    ))


def complete(connection: Connection, scope: str, status_code: int, content_type: str | None, body: bytes) -> None:
    connection.execute(
        update(keys).where(keys.c.scope_hash == scope)
        .values(state="done", status_code=status_code, content_type=content_type, body=body)
    )


def forget(connection: Connection, scope: str) -> None:
    connection.execute(delete(keys).where(keys.c.scope_hash == scope))


def purge_expired(connection: Connection, now: datetime) -> int:
    return connection.execute(delete(keys).where(keys.c.expires_at <= now)).rowcount
