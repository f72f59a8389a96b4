"""Webhooks: subscriptions, the event outbox, deliveries claimed by workers, and the attempts log."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)

from massdm.domain.webhooks import MESSAGE_SENT, TEST_EVENT
from massdm.store.tables import (
    accounts,
    deliveries,
    instance,
    webhook_accounts,
    webhook_attempts,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
    webhooks,
)


@dataclass(frozen=True)
class Webhook:
    id: str
    team_id: int
    endpoint_url: str
    account_scope: str
    signing_secret: str | None
    enabled: bool
    mass_message_sent: bool
    consecutive_failures: int
    paused_at: datetime | None
    pause_reason: str | None
    created_at: datetime
    updated_at: datetime
    events: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()


_WEBHOOK_COLUMNS = (
    webhooks.c.id, webhooks.c.team_id, webhooks.c.endpoint_url, webhooks.c.account_scope, webhooks.c.signing_secret,
    webhooks.c.enabled, webhooks.c.mass_message_sent, webhooks.c.consecutive_failures, webhooks.c.paused_at,
    webhooks.c.pause_reason, webhooks.c.created_at, webhooks.c.updated_at,
)
_SECRETS: "weakref.WeakKeyDictionary[Engine, str]" = weakref.WeakKeyDictionary()


def instance_secret(connection: Connection) -> str:
    """This database's random identity (written by its first migration; read once per process)."""
    secret = _SECRETS.get(connection.engine)
    if secret is None:
        secret = connection.execute(select(instance.c.secret).where(instance.c.id == 1)).scalar_one()
        _SECRETS[connection.engine] = secret
    return secret


# --- subscriptions ----------------------------------------------------------------------------


def insert_webhook(connection: Connection, *, events: list[str], account_ids: list[str], **values: Any) -> None:
    connection.execute(insert(webhooks).values(**values))
    _set_children(connection, values["id"], events, account_ids)


def _set_children(connection: Connection, webhook_id: str, events: list[str] | None,
                  account_ids: list[str] | None) -> None:
    if events is not None:
        connection.execute(delete(webhook_subscriptions).where(webhook_subscriptions.c.webhook_id == webhook_id))
        connection.execute(insert(webhook_subscriptions),
                           [{"webhook_id": webhook_id, "event": e} for e in dict.fromkeys(events)])
    if account_ids is not None:
        connection.execute(delete(webhook_accounts).where(webhook_accounts.c.webhook_id == webhook_id))
        if account_ids:
            connection.execute(insert(webhook_accounts),
                               [{"webhook_id": webhook_id, "account_id": a} for a in dict.fromkeys(account_ids)])


def _with_children(connection: Connection, rows) -> list[Webhook]:  # noqa: ANN001
    found = [Webhook(*row) for row in rows]
    ids = [w.id for w in found]
    if not ids:
        return []
    events: dict[str, list[str]] = {i: [] for i in ids}
    for webhook_id, event in connection.execute(
        select(webhook_subscriptions.c.webhook_id, webhook_subscriptions.c.event)
        .where(webhook_subscriptions.c.webhook_id.in_(ids)).order_by(webhook_subscriptions.c.event)
    ):
        events[webhook_id].append(event)
    listed: dict[str, list[str]] = {i: [] for i in ids}
    for webhook_id, account_id in connection.execute(
        select(webhook_accounts.c.webhook_id, webhook_accounts.c.account_id)
        .where(webhook_accounts.c.webhook_id.in_(ids)).order_by(webhook_accounts.c.account_id)
    ):
        listed[webhook_id].append(account_id)
    return [replace(w, events=tuple(events[w.id]), account_ids=tuple(listed[w.id])) for w in found]


def get_webhook(connection: Connection, team_id: int, webhook_id: str, *, lock: bool = False) -> Webhook | None:
    statement = select(*_WEBHOOK_COLUMNS).where(webhooks.c.id == webhook_id, webhooks.c.team_id == team_id)
    found = _with_children(connection, connection.execute(statement.with_for_update() if lock else statement))
    return found[0] if found else None


def list_webhooks(connection: Connection, team_id: int) -> list[Webhook]:
    rows = connection.execute(
        select(*_WEBHOOK_COLUMNS).where(webhooks.c.team_id == team_id).order_by(webhooks.c.created_at, webhooks.c.id)
    )
    return _with_children(connection, rows)


def update_webhook(connection: Connection, webhook_id: str, *, events: list[str] | None,
                   account_ids: list[str] | None, **values: Any) -> None:
    connection.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))
    _set_children(connection, webhook_id, events, account_ids)


def delete_webhook(connection: Connection, team_id: int, webhook_id: str) -> bool:
    """Remove the webhook with its pending deliveries and its log."""
    return connection.execute(
        delete(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.team_id == team_id)
    ).rowcount == 1


# --- the outbox -------------------------------------------------------------------------------

_LISTED = exists().where(webhook_accounts.c.webhook_id == webhooks.c.id,
                         webhook_accounts.c.account_id == bindparam("account_id"))
_LISTENING = (
    select(webhooks.c.id)
    .join(accounts, and_(accounts.c.team_id == webhooks.c.team_id, accounts.c.id == bindparam("account_id")))
    .join(webhook_subscriptions, and_(webhook_subscriptions.c.webhook_id == webhooks.c.id,
                                      webhook_subscriptions.c.event == bindparam("event")))
    .where(
        webhooks.c.enabled,
        or_(webhooks.c.account_scope == "global",
            and_(webhooks.c.account_scope == "inclusive", _LISTED),
            and_(webhooks.c.account_scope == "exclusive", not_(_LISTED))),
        # A fan's messages.sent of a mass message goes only to webhooks that asked for them.
        or_(webhook_subscriptions.c.event != MESSAGE_SENT, webhooks.c.mass_message_sent),
    )
    .order_by(webhooks.c.id)
)


def listening(connection: Connection, account_id: str, event: str) -> list[str]:
    """The enabled webhooks that want this account's `event` (one statement; usually none)."""
    return list(connection.execute(_LISTENING, {"account_id": account_id, "event": event}).scalars())


def insert_event(connection: Connection, *, account_id: str | None, event: str, payload: dict[str, Any] | None,
                 now: datetime, message_id: int | None = None, fan_id: int | None = None) -> int:
    return connection.execute(
        insert(webhook_events)
        .values(account_id=account_id, event=event, payload=payload, message_id=message_id, fan_id=fan_id,
                created_at=now)
        .returning(webhook_events.c.id)
    ).scalar_one()


def insert_events(connection: Connection, *, account_id: str, event: str,
                  events: list[tuple[dict[str, Any], int | None, int | None]], now: datetime) -> list[int]:
    """Many events of one kind at once, each (payload, message id, fan id); their ids, in the same order."""
    if not events:
        return []
    statement = insert(webhook_events).returning(webhook_events.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, [
        {"account_id": account_id, "event": event, "payload": payload, "message_id": message_id, "fan_id": fan_id,
         "created_at": now} for payload, message_id, fan_id in events
    ]).scalars())


def insert_deliveries_each(connection: Connection, event_ids: list[int], webhook_ids: list[str],
                           now: datetime) -> None:
    """One delivery of every event to every webhook, due now, in one call."""
    if event_ids and webhook_ids:
        connection.execute(insert(webhook_deliveries), [
            {"webhook_id": w, "event_id": e, "redelivery_of": None, "state": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now} for e in event_ids for w in webhook_ids
        ])


def insert_deliveries(connection: Connection, event_id: int, webhook_ids: list[str], now: datetime, *,
                      redelivery_of: int | None = None) -> list[int]:
    """One delivery of the event per webhook, due now; their ids."""
    return list(connection.execute(insert(webhook_deliveries).returning(webhook_deliveries.c.id, sort_by_parameter_order=True), [
        {"webhook_id": w, "event_id": event_id, "redelivery_of": redelivery_of, "state": "pending", "attempts": 0,
         "next_attempt_at": now, "created_at": now} for w in webhook_ids
    ]).scalars())


def insert_fan_events(connection: Connection, *, account_id: str, message_id: int, after: int, through: int | None,
                      webhook_ids: list[str], now: datetime) -> int:
    """messages.sent for every fan a chunk just delivered to, and their deliveries: set-based, two statements.

    The payloads are left to be built when each is first sent (a chunk holds thousands of fans).
    """
    in_chunk = [deliveries.c.message_id == message_id, deliveries.c.fan_id > after]
    if through is not None:
        in_chunk.append(deliveries.c.fan_id <= through)
    written = connection.execute(
        insert(webhook_events).from_select(
            ["account_id", "event", "message_id", "fan_id", "created_at"],
            select(literal(account_id), literal(MESSAGE_SENT), deliveries.c.message_id, deliveries.c.fan_id,
                   literal(now, webhook_events.c.created_at.type)).where(*in_chunk),
        )
    ).rowcount
    events_in_chunk = [webhook_events.c.message_id == message_id, webhook_events.c.fan_id > after,
                       webhook_events.c.event == MESSAGE_SENT]
    if through is not None:
        events_in_chunk.append(webhook_events.c.fan_id <= through)
    connection.execute(
        insert(webhook_deliveries).from_select(
            ["webhook_id", "event_id", "state", "attempts", "next_attempt_at", "created_at"],
            select(webhooks.c.id, webhook_events.c.id, literal("pending"), literal(0),
                   literal(now, webhook_deliveries.c.next_attempt_at.type),
                   literal(now, webhook_deliveries.c.created_at.type))
            .select_from(webhook_events.join(webhooks, webhooks.c.id.in_(webhook_ids)))
            .where(*events_in_chunk),
        )
    )
    return written


# --- dispatch ---------------------------------------------------------------------------------


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


_DUE_COLUMNS = (
    webhook_deliveries.c.id, webhook_deliveries.c.webhook_id, webhooks.c.endpoint_url, webhooks.c.signing_secret,
    webhook_deliveries.c.attempts + 1, webhook_deliveries.c.redelivery_of, webhook_deliveries.c.created_at,
    webhook_events.c.id, webhook_events.c.event, webhook_events.c.account_id, webhook_events.c.payload,
    webhook_events.c.message_id, webhook_events.c.fan_id,
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
    return DueDelivery(*row)


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
                error_type: str | None, error_message: str | None, now: datetime) -> None:
    connection.execute(insert(webhook_attempts).values(
        delivery_id=delivery.id, webhook_id=delivery.webhook_id, event=delivery.event, attempt=delivery.attempt,
        succeeded=succeeded, status_code=status_code, error_type=error_type, error_message=error_message,
        url=delivery.url, created_at=now,
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


# --- the log ----------------------------------------------------------------------------------


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


_LOG_COLUMNS = (
    webhook_attempts.c.id, webhook_attempts.c.delivery_id, webhook_attempts.c.event, webhook_attempts.c.attempt,
    webhook_attempts.c.succeeded, webhook_attempts.c.status_code, webhook_attempts.c.error_type,
    webhook_attempts.c.error_message, webhook_attempts.c.url, webhook_attempts.c.created_at,
    webhook_events.c.id, webhook_events.c.account_id, webhook_events.c.payload, webhook_deliveries.c.redelivery_of,
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
    return [LoggedAttempt(*r) for r in rows[:limit]], len(rows) > limit


def get_attempt(connection: Connection, webhook_id: str, attempt_id: int) -> LoggedAttempt | None:
    row = connection.execute(
        _LOG.where(webhook_attempts.c.webhook_id == webhook_id, webhook_attempts.c.id == attempt_id)
    ).first()
    return LoggedAttempt(*row) if row else None


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

