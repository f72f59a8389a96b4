"""The webhook deliveries log: every attempt, read back page by page and forgotten after a week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, func, or_, select

from massdm.store.tables import webhook_attempts, webhook_deliveries, webhook_events


@dataclass(frozen=True)
class LoggedAttempt:
    id: int
    delivery_id: int
    event: str
    attempt: int
    succeeded: bool
    status_code: int | None
    error_type: str | None
    error_message: str | None
    url: str
    created_at: datetime
    event_id: int
    account_id: str | None
    payload: dict[str, Any] | None
    redelivery_of: int | None
    duration_ms: int | None = None  # None: nothing was sent (or the row predates migration 0020)
    request_headers: dict[str, str] | None = None
    response_headers: dict[str, str] | None = None


_LOG_COLUMNS = (
    webhook_attempts.c.id, webhook_attempts.c.delivery_id, webhook_attempts.c.event, webhook_attempts.c.attempt,
    webhook_attempts.c.succeeded, webhook_attempts.c.status_code, webhook_attempts.c.error_type,
    webhook_attempts.c.error_message, webhook_attempts.c.url, webhook_attempts.c.created_at,
    webhook_events.c.id.label("event_id"), webhook_events.c.account_id, webhook_events.c.payload,
    webhook_deliveries.c.redelivery_of, webhook_attempts.c.duration_ms, webhook_attempts.c.request_headers,
    webhook_attempts.c.response_headers,
)
_LOG = (
    select(*_LOG_COLUMNS)
    .join(webhook_deliveries, webhook_deliveries.c.id == webhook_attempts.c.delivery_id)
    .join(webhook_events, webhook_events.c.id == webhook_deliveries.c.event_id)
)


def page_attempts(
    connection: Connection, webhook_id: str, *, start: datetime | None, end: datetime | None, event: str | None,
    succeeded: bool | None, limit: int, offset: int,
) -> tuple[list[LoggedAttempt], bool]:
    """The webhook's attempts, newest first, filtered; and whether more follow."""
    statement = _LOG.where(webhook_attempts.c.webhook_id == webhook_id)
    if start is not None:
        statement = statement.where(webhook_attempts.c.created_at >= start)
    if end is not None:
        statement = statement.where(webhook_attempts.c.created_at <= end)
    if event is not None:
        statement = statement.where(webhook_attempts.c.event == event)
    if succeeded is not None:
        statement = statement.where(webhook_attempts.c.succeeded.is_(succeeded))
    rows = connection.execute(
        statement.order_by(webhook_attempts.c.created_at.desc(), webhook_attempts.c.id.desc())
        .limit(limit + 1).offset(offset)
    ).all()
    return [LoggedAttempt(**r._mapping) for r in rows[:limit]], len(rows) > limit


def get_attempt(connection: Connection, webhook_id: str, attempt_id: int) -> LoggedAttempt | None:
    row = connection.execute(
        _LOG.where(webhook_attempts.c.webhook_id == webhook_id, webhook_attempts.c.id == attempt_id)
    ).first()
    return LoggedAttempt(**row._mapping) if row else None


def latest_attempts(connection: Connection, webhook_ids: list[str]) -> dict[str, LoggedAttempt]:
    """Each webhook's last attempt (the one made last, by id), for those that have one: one query for
    a page of webhooks."""
    if not webhook_ids:
        return {}
    last = (select(func.max(webhook_attempts.c.id)).where(webhook_attempts.c.webhook_id.in_(webhook_ids))
            .group_by(webhook_attempts.c.webhook_id))
    rows = connection.execute(
        _LOG.add_columns(webhook_attempts.c.webhook_id.label("of_webhook")).where(webhook_attempts.c.id.in_(last))
    ).all()
    return {row.of_webhook: LoggedAttempt(**{k: v for k, v in row._mapping.items() if k != "of_webhook"})
            for row in rows}


def count_pending(connection: Connection, webhook_id: str) -> int:
    """The webhook's deliveries still to be attempted (queued, or waiting for a retry)."""
    return connection.execute(
        select(func.count()).select_from(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.state == "pending")
    ).scalar_one()


def prune(connection: Connection, before: datetime) -> int:
    """Forget what is older than `before`: attempts, deliveries (finished, or still waiting) and their events."""
    removed = connection.execute(delete(webhook_attempts).where(webhook_attempts.c.created_at < before)).rowcount
    removed += connection.execute(
        delete(webhook_deliveries).where(webhook_deliveries.c.created_at < before,
                                         or_(webhook_deliveries.c.state != "pending",
                                             webhook_deliveries.c.claimed_by.is_(None)))
    ).rowcount
    removed += connection.execute(
        delete(webhook_events).where(
            webhook_events.c.created_at < before,
            ~exists().where(webhook_deliveries.c.event_id == webhook_events.c.id),
        )
    ).rowcount
    return removed

