"""Saved for later: messages parked instead of sent, and the automation that sends one every period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.errors import ValidationFailed
from massdm.services.mass_messaging import Policy, announce
from massdm.store import messages as message_store
from massdm.store import saved_for_later as settings_store
from massdm.store.db import lock
from massdm.store.messages import MassMessage
from massdm.store.saved_for_later import AutoSettings

PERIODS = (6, 12, 24, 48)


def list_saved(connection: Connection, account_id: str, *, limit: int, offset: int) -> tuple[list[MassMessage], bool]:
    """Saved messages, oldest first: the order automation sends them in."""
    return message_store.page_saved(connection, account_id, limit=limit, offset=offset)


def get_settings(connection: Connection, account_id: str) -> AutoSettings:
    return settings_store.get_settings(connection, account_id)


def enable(connection: Connection, account_id: str, period: int, now: datetime) -> AutoSettings:
    """Send the oldest saved message every `period` hours, the first one `period` hours from now."""
    if period not in PERIODS:
        raise ValidationFailed.field("period", "The period must be one of 6, 12, 24 or 48 (hours).")
    settings = AutoSettings(account_id, True, period, now + timedelta(hours=period))
    settings_store.put_settings(connection, settings)
    return settings


def disable(connection: Connection, account_id: str) -> AutoSettings:
    current = settings_store.get_settings(connection, account_id)
    settings = AutoSettings(account_id, False, current.period_hours, None)
    settings_store.put_settings(connection, settings)
    return settings


def release_due(connection: Connection, now: datetime, policy: Policy) -> list[tuple[str, int]]:
    """For every account whose period has come round, hand its oldest saved message to delivery
    (it enters the queue: webhooks hear chat_queue.updated).

    After downtime only one message goes out, and the next period counts from now. Workers
    take turns here (a lock), so with many of them each period still releases one message.
    """
    lock(connection, "massdm:saved-for-later")
    released = []
    for settings in settings_store.due_settings(connection, now):
        oldest = message_store.oldest_saved(connection, settings.account_id)
        if oldest is not None:
            message_store.release_saved(connection, oldest.id, now)
            released.append((settings.account_id, oldest.id))
            queued = message_store.get_message_by_id(connection, oldest.id)
            assert queued is not None
            announce(connection, queued, now, policy)
        settings_store.put_settings(
            connection,
            AutoSettings(settings.account_id, True, settings.period_hours,
                         now + timedelta(hours=settings.period_hours or PERIODS[0])),
        )
    return released


def publish_at(settings: AutoSettings, position: int) -> datetime | None:
    """When the saved message at `position` (0 = oldest) will go out, if automation is on."""
    if not settings.is_enabled or settings.next_send_at is None or settings.period_hours is None:
        return None
    return settings.next_send_at + timedelta(hours=settings.period_hours * position)
