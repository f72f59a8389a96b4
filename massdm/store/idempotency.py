"""Stored first responses, per idempotency scope, and the claims of requests still in flight."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from massdm.domain.idempotency import StoredAttempt
from massdm.store.dialect import upsert
from massdm.store.tables import idempotency_keys as keys


def get_attempt(connection: Connection, scope: str) -> StoredAttempt | None:
    row = connection.execute(
        select(keys.c.request_hash, keys.c.state, keys.c.status_code, keys.c.content_type, keys.c.body,
               keys.c.created_at, keys.c.expires_at, keys.c.lease_until).where(keys.c.scope_hash == scope)
    ).first()
    return StoredAttempt(**row._mapping) if row else None


def put_in_flight(connection: Connection, scope: str, request_hash: str, token: str, now: datetime,
                  lease_until: datetime, expires_at: datetime, team_id: int) -> None:
    """Record (or take over) the scope for a request of `team_id`'s caller now being processed, held by `token`."""
    values = {"scope_hash": scope, "request_hash": request_hash, "state": "in_flight", "status_code": None,
              "content_type": None, "body": None, "created_at": now, "expires_at": expires_at,
              "claim_token": token, "lease_until": lease_until, "team_id": team_id}
    statement = upsert(connection, keys).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[keys.c.scope_hash], set_={k: statement.excluded[k] for k in values if k != "scope_hash"}
    ))


def _held(scope: str, token: str):  # noqa: ANN202
    return (keys.c.scope_hash == scope) & (keys.c.claim_token == token) & (keys.c.state == "in_flight")


def renew(connection: Connection, scope: str, token: str, lease_until: datetime) -> bool:
    """Extend a claim's lease; False if the claim is no longer this token's."""
    return connection.execute(update(keys).where(_held(scope, token)).values(lease_until=lease_until)).rowcount == 1


def complete(connection: Connection, scope: str, token: str, status_code: int, content_type: str | None,
             body: bytes) -> bool:
    """Store the response under the scope, only if `token` still holds it (one guarded statement)."""
    result = connection.execute(
        update(keys).where(_held(scope, token))
        .values(state="done", status_code=status_code, content_type=content_type, body=body, lease_until=None)
    )
    return result.rowcount == 1


def release(connection: Connection, scope: str, token: str) -> None:
    """Give up a claim that will store nothing (its request failed in a way never replayed)."""
    connection.execute(delete(keys).where(_held(scope, token)))


def purge_expired(connection: Connection, now: datetime) -> int:
    return connection.execute(delete(keys).where(keys.c.expires_at <= now)).rowcount
