"""Webhook deliveries as workers take them: claimed under a lease, attempted, counted; failing endpoints paused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from massdm.domain.webhooks import TEST_EVENT
from massdm.store.tables import webhook_attempts, webhook_deliveries, webhook_events, webhooks


@dataclass(frozen=True)
class DueDelivery:
    id: int
    webhook_id: str
    url: str
    signing_secret: str | None
    attempt: int  # the number of the attempt about to be made
    redelivery_of: int | None
    created_at: datetime
    event_id: int
    event: str
    account_id: str | None
    payload: dict[str, Any] | None
    message_id: int | None
    fan_id: int | None


# Labelled as DueDelivery names them; the row is then built by name.
_DUE_COLUMNS = (
    webhook_deliveries.c.id, webhook_deliveries.c.webhook_id, webhooks.c.endpoint_url.label("url"),
    webhooks.c.signing_secret, (webhook_deliveries.c.attempts + 1).label("attempt"),
    webhook_deliveries.c.redelivery_of, webhook_deliveries.c.created_at, webhook_events.c.id.label("event_id"),
    webhook_events.c.event, webhook_events.c.account_id, webhook_events.c.payload, webhook_events.c.message_id,
    webhook_events.c.fan_id,
)


def _claimable(now: datetime):  # noqa: ANN202 - a SQL condition
    return and_(
        webhook_deliveries.c.state == "pending",
        webhook_deliveries.c.next_attempt_at <= now,
        or_(webhook_deliveries.c.claimed_by.is_(None), webhook_deliveries.c.lease_until < now),
    )


def _due(now: datetime):  # noqa: ANN202 - a statement
    """The longest-waiting due delivery to an enabled webhook, or one a user asked for (test, redelivery)."""
    return (
        select(webhook_deliveries.c.id)
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .join(webhook_events, webhook_events.c.id == webhook_deliveries.c.event_id)
        .where(_claimable(now), or_(webhooks.c.enabled, webhook_deliveries.c.redelivery_of.is_not(None),
                                    webhook_events.c.event == TEST_EVENT))
        .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
        .limit(1)
    )


def any_due(connection: Connection, now: datetime) -> bool:
    """Whether a claim would find something (a read: on SQLite it does not take the write lock)."""
    return connection.execute(_due(now)).first() is not None


def claim_due(connection: Connection, worker: str, now: datetime, lease: timedelta) -> DueDelivery | None:
    """Take the longest-waiting due delivery of an enabled webhook (or a redelivery or test a user asked for).

    The guarded UPDATE makes the claim atomic; SKIP LOCKED keeps PostgreSQL workers from queueing
    on the same row. A claim whose worker dies runs out and the delivery is claimed again.
    """
    candidate = connection.execute(
        _due(now).with_for_update(of=webhook_deliveries, skip_locked=True)
    ).scalar_one_or_none()
    if candidate is None:
        return None
    claimed = connection.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == candidate, _claimable(now))
        .values(claimed_by=worker, lease_until=now + lease)
    ).rowcount
    if claimed != 1:
        return None
    row = connection.execute(
        select(*_DUE_COLUMNS)
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .join(webhook_events, webhook_events.c.id == webhook_deliveries.c.event_id)
        .where(webhook_deliveries.c.id == candidate)
    ).one()
    return DueDelivery(**row._mapping)


def keep_payload(connection: Connection, event_id: int, payload: dict[str, Any]) -> None:
    """Keep a payload built at first send, so every later attempt sends the same bytes."""
    connection.execute(update(webhook_events).where(webhook_events.c.id == event_id, webhook_events.c.payload.is_(None))
                       .values(payload=payload))


def finish_attempt(connection: Connection, delivery: DueDelivery, worker: str, *, succeeded: bool,
                   retry_at: datetime | None, now: datetime) -> bool:
    """Count the attempt on the delivery and hand it back (to wait for `retry_at`, or finished).

    False if this worker no longer holds the claim (it ran out and another took over): roll back.
    """
    state = "succeeded" if succeeded else ("pending" if retry_at is not None else "failed")
    return connection.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery.id, webhook_deliveries.c.claimed_by == worker,
               webhook_deliveries.c.state == "pending")
        .values(attempts=webhook_deliveries.c.attempts + 1, state=state, next_attempt_at=retry_at,
                claimed_by=None, lease_until=None, finished_at=None if state == "pending" else now)
    ).rowcount == 1


def log_attempt(connection: Connection, delivery: DueDelivery, *, succeeded: bool, status_code: int | None,
                error_type: str | None, error_message: str | None, now: datetime, duration_ms: int | None = None,
                request_headers: dict[str, str] | None = None,
                response_headers: dict[str, str] | None = None) -> None:
    connection.execute(insert(webhook_attempts).values(
        delivery_id=delivery.id, webhook_id=delivery.webhook_id, event=delivery.event, attempt=delivery.attempt,
        succeeded=succeeded, status_code=status_code, error_type=error_type, error_message=error_message,
        url=delivery.url, created_at=now, duration_ms=duration_ms, request_headers=request_headers,
        response_headers=response_headers,
    ))


def reset_failures(connection: Connection, webhook_id: str) -> None:
    connection.execute(update(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.consecutive_failures != 0)
                       .values(consecutive_failures=0))


def count_failure(connection: Connection, webhook_id: str) -> int:
    """One more delivery failed for good; the failures in a row now."""
    return connection.execute(
        update(webhooks).where(webhooks.c.id == webhook_id)
        .values(consecutive_failures=webhooks.c.consecutive_failures + 1)
        .returning(webhooks.c.consecutive_failures)
    ).scalar_one()


def pause(connection: Connection, webhook_id: str, reason: str, now: datetime) -> bool:
    return connection.execute(
        update(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.enabled)
        .values(enabled=False, paused_at=now, pause_reason=reason, updated_at=now)
    ).rowcount == 1


