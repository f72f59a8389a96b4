"""The webhook outbox: events, written in the transaction of their cause, and a delivery per listening webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, insert, literal, not_, or_, select

from massdm.domain.webhooks import MESSAGE_SENT
from massdm.store.tables import (
    accounts,
    deliveries,
    webhook_accounts,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
    webhooks,
)

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
    statement = insert(webhook_deliveries).returning(webhook_deliveries.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, [
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


