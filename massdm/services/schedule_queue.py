"""The scheduling queue (SDK `queue`): what will go out when, per day, and "publish now".

Its chat items are the account's mass messages that have a publish moment ahead: scheduled
ones (at their `scheduledAt`) and saved-for-later ones while automatic sending is on (the k-th
oldest at `nextSendAt + k × period`, as the saved-for-later page says). massdm has no posts, so
`post` items never appear. Publishing sends a scheduled or saved message now, as if it had been
sent without a date; one that has started sending, or was canceled, cannot be published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.domain.schedule import ItemType, Window
from massdm.errors import ValidationFailed
from massdm.services.mass_messaging import Policy, announce, get_message
from massdm.store import messages as message_store
from massdm.store import saved_for_later as settings_store
from massdm.store.messages import MassMessage


@dataclass(frozen=True)
class QueueEntry:
    message: MassMessage
    publish_at: datetime


def entries(connection: Connection, account_id: str, window: Window, types: frozenset[ItemType], limit: int
            ) -> list[QueueEntry]:
    """The first `limit` items publishing within the window, soonest first."""
    if "chat" not in types:
        return []
    scheduled = [QueueEntry(m, m.scheduled_at) for m in
                 message_store.scheduled_between(connection, account_id, window.start, window.end, limit=limit)
                 if m.scheduled_at is not None]
    saved: list[QueueEntry] = []
    if (run := _saved_run(connection, account_id, window)) is not None:
        page, _ = message_store.page_saved(connection, account_id, limit=min(limit, run.stop - run.first),
                                           offset=run.first)
        saved = [QueueEntry(m, run.at(run.first + n)) for n, m in enumerate(page)]
    return sorted([*scheduled, *saved], key=lambda e: (e.publish_at, e.message.id))[:limit]


def counts(connection: Connection, account_id: str, window: Window) -> dict[str, dict[ItemType, int]]:
    """Items publishing within the window per day (in its zone), for the days that have any."""
    moments = message_store.scheduled_times(connection, account_id, window.start, window.end)
    if (run := _saved_run(connection, account_id, window)) is not None:
        moments += [run.at(k) for k in range(run.first, run.stop)]
    days: dict[str, dict[ItemType, int]] = {}
    for moment in sorted(moments):
        day = days.setdefault(window.day_of(moment), {"chat": 0, "post": 0})
        day["chat"] += 1
    return days


@dataclass(frozen=True)
class _SavedRun:
    """The saved messages a window takes in: positions first…stop-1 of the oldest-first order,
    the one at position k publishing at `next_send + k × period`."""

    first: int
    stop: int
    next_send: datetime
    period: timedelta

    def at(self, position: int) -> datetime:
        return self.next_send + self.period * position


def _saved_run(connection: Connection, account_id: str, window: Window) -> _SavedRun | None:
    """Bounded by the window, not by how many messages are saved: one position per period in it.
    None while automatic sending is off, or when no saved message publishes in the window."""
    settings = settings_store.get_settings(connection, account_id)
    if not settings.is_enabled or settings.next_send_at is None or not settings.period_hours:
        return None
    next_send, period = settings.next_send_at, timedelta(hours=settings.period_hours)
    first = max(0, math.ceil((window.start - next_send) / period))
    stop = max(first, math.ceil((window.end - next_send) / period))  # positions before `stop` publish before the end
    stop = min(stop, message_store.count_saved(connection, account_id))
    return _SavedRun(first, stop, next_send, period) if stop > first else None


def publish(connection: Connection, account_id: str, message_id: int, now: datetime, policy: Policy) -> MassMessage:
    """Send a scheduled or saved-for-later message now (one already due is left as it is)."""
    message = get_message(connection, account_id, message_id, lock=True)
    if message.canceled_at is not None:
        raise ValidationFailed.field("queue_id", "This mass message was canceled; it can no longer be published.")
    if message.started:
        raise ValidationFailed.field("queue_id", "This mass message has already been sent.")
    if message.saved_for_later or message.due_at is None or message.due_at > now:
        message_store.publish_now(connection, message.id, now)
        message = get_message(connection, account_id, message.id)
        announce(connection, message, now, policy)  # it is in the queue now, due: chat_queue.updated
    return message
