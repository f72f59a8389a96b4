"""When time-driven work next falls due, and what a team's accounts have done so far: what advancing
the sandbox clock steps through and reports (massdm.sandbox.clock).

Work that falls due at a moment: a scheduled mass message (its `due_at`), a saved-for-later release
(`saved_for_later_settings.next_send_at`, for an account with a saved message), a webhook retry
(`webhook_deliveries.next_attempt_at`). Everything else time changes (unsend windows, expiries, the
`recent` list) is judged when read, so it needs no step of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from massdm.store.message_claims import PLANNABLE
from massdm.store.messages import OPEN
from massdm.store.tables import mass_messages, saved_for_later_settings, webhook_deliveries, webhook_events


def next_due(connection: Connection, after: datetime, up_to: datetime) -> datetime | None:
    """The earliest moment in (after, up_to] at which some work falls due; None if none does."""
    m, s, w = mass_messages.c, saved_for_later_settings.c, webhook_deliveries.c
    saved = select(m.id).where(m.account_id == s.account_id, m.saved_for_later.is_(True), OPEN).exists()
    candidates = [
        select(func.min(m.due_at)).where(PLANNABLE, m.due_at > after, m.due_at <= up_to),
        select(func.min(s.next_send_at)).where(s.is_enabled.is_(True), s.next_send_at > after,
                                               s.next_send_at <= up_to, saved),
        select(func.min(w.next_attempt_at)).where(w.state == "pending", w.next_attempt_at > after,
                                                  w.next_attempt_at <= up_to),
    ]
    found = [connection.execute(query).scalar() for query in candidates]
    moments = [moment for moment in found if moment is not None]
    return min(moments) if moments else None


@dataclass(frozen=True)
class Totals:
    """What a set of accounts' mass messages and events add up to at one moment."""

    sent: int = 0  # messages that went out (have a send time)
    delivered: int = 0
    views: int = 0
    purchases: int = 0
    events: int = 0  # webhook events written

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.sent - other.sent, self.delivered - other.delivered, self.views - other.views,
                      self.purchases - other.purchases, self.events - other.events)


def totals(connection: Connection, account_ids: list[str] | None) -> Totals:
    """The totals of `account_ids` (None: of every account)."""
    if account_ids is not None and not account_ids:
        return Totals()
    m = mass_messages.c
    messages = select(func.count(m.sent_at), func.coalesce(func.sum(m.sent_count), 0),
                      func.coalesce(func.sum(m.viewed_count), 0), func.coalesce(func.sum(m.purchased_count), 0))
    events = select(func.count()).select_from(webhook_events)
    if account_ids is not None:
        messages = messages.where(m.account_id.in_(account_ids))
        events = events.where(webhook_events.c.account_id.in_(account_ids))
    sent, delivered, views, purchases = connection.execute(messages).one()
    events_count = connection.execute(events).scalar_one()
    return Totals(int(sent), int(delivered), int(views), int(purchases), int(events_count))


def delivering(connection: Connection, now: datetime) -> int:
    """Messages due by `now` that are not finished yet: planned with chunks left, or plannable (another
    process's worker may hold the claim to plan it right now). A message whose media is not ready
    yet is neither, so waiting for these never waits for one that cannot go out."""
    m = mass_messages.c
    return connection.execute(
        select(func.count()).select_from(mass_messages)
        .where(and_(OPEN, m.due_at <= now, or_(m.total >= 0, PLANNABLE)))
    ).scalar_one()
