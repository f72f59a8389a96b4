"""The outbox: events written in the caller's transaction, with one delivery per webhook that wants them.

Nothing is sent from here. If the transaction commits, the event and its deliveries exist and a
worker will send them, however the process that caused them fares afterwards; if it rolls
back, the event never happened. Payloads are built only when some webhook listens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from massdm.domain.webhooks import MESSAGE_SENT, TEST_EVENT
from massdm.store import webhook_outbox as outbox_store
from massdm.store.webhook_log import LoggedAttempt
from massdm.webhooks import payloads


def record(connection: Connection, account_id: str, event: str, payload: Callable[[], dict[str, Any]],
           now: datetime, *, message_id: int | None = None, fan_id: int | None = None) -> int | None:
    """Write `event` for the webhooks listening to it on this account; its id, or None if none listen."""
    webhook_ids = outbox_store.listening(connection, account_id, event)
    if not webhook_ids:
        return None
    event_id = outbox_store.insert_event(connection, account_id=account_id, event=event, payload=payload(),
                                          now=now, message_id=message_id, fan_id=fan_id)
    outbox_store.insert_deliveries(connection, event_id, webhook_ids, now)
    return event_id


def record_each(connection: Connection, account_id: str, event: str,
                events: Callable[[], list[tuple[dict[str, Any], int | None, int | None]]], now: datetime) -> int:
    """`record` for many events of one kind at once, each (payload, message id, fan id), built only if
    some webhook listens; how many were written."""
    webhook_ids = outbox_store.listening(connection, account_id, event)
    if not webhook_ids:
        return 0
    event_ids = outbox_store.insert_events(connection, account_id=account_id, event=event, events=events(), now=now)
    outbox_store.insert_deliveries_each(connection, event_ids, webhook_ids, now)
    return len(event_ids)


def listens(connection: Connection, account_id: str, event: str) -> bool:
    """Whether any webhook would take this account's `event` (to skip work nobody wants)."""
    return bool(outbox_store.listening(connection, account_id, event))


def record_fans_reached(connection: Connection, *, account_id: str, message_id: int, after: int,
                        through: int | None, now: datetime) -> int:
    """messages.sent for each fan a delivery chunk reached, for the webhooks that opted in; how many."""
    webhook_ids = outbox_store.listening(connection, account_id, MESSAGE_SENT)
    if not webhook_ids:
        return 0
    return outbox_store.insert_fan_events(connection, account_id=account_id, message_id=message_id, after=after,
                                           through=through, webhook_ids=webhook_ids, now=now)


def record_test(connection: Connection, webhook_id: str, now: datetime) -> tuple[int, int]:
    """A test-event for one webhook, whatever it subscribes to; (event id, delivery id)."""
    event_id = outbox_store.insert_event(connection, account_id=None, event=TEST_EVENT,
                                          payload=payloads.test_event(webhook_id, now), now=now)
    return event_id, outbox_store.insert_deliveries(connection, event_id, [webhook_id], now)[0]


def record_redelivery(connection: Connection, webhook_id: str, attempt: LoggedAttempt, now: datetime) -> int:
    """Send a logged event again: a new delivery (three attempts of its own), the same event and key; its id."""
    return outbox_store.insert_deliveries(connection, attempt.event_id, [webhook_id], now,
                                           redelivery_of=attempt.id)[0]
