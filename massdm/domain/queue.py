"""What a queue item says about a mass message: derived from its facts and the time, never stored."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

DEFAULT_UNSEND_WINDOW = 1_000_000  # seconds, as the provider's examples show


@dataclass(frozen=True)
class MessageFacts:
    created_at: datetime
    scheduled_at: datetime | None
    saved_for_later: bool
    sent_at: datetime | None
    finished_at: datetime | None
    canceled_at: datetime | None
    total: int
    sent_count: int
    skipped_count: int
    error: str | None
    media_ready: bool = True
    failed_count: int = 0  # fans it could not reach (sandbox mode's magic fans), counted in total


@dataclass(frozen=True)
class QueueState:
    date: datetime
    is_ready: bool
    is_done: bool
    total: int
    pending: int
    can_unsend: bool
    unsend_seconds: int
    has_error: bool
    is_canceled: bool


def unsend_seconds_left(sent_at: datetime | None, now: datetime, window: int) -> int:
    """Seconds left to unsend: the whole window before sending, counting down after, 0 once closed."""
    if sent_at is None:
        return window
    return max(0, math.ceil(window - (now - sent_at).total_seconds()))


def queue_state(facts: MessageFacts, now: datetime, window: int = DEFAULT_UNSEND_WINDOW) -> QueueState:
    """The queue item's numbers and flags.

    `isDone` means nothing more will happen to the delivery: it ended (`finished_at`), or the
    message was canceled, which stops it before its next chunk. A canceled item is done at once,
    with nothing `pending` and `total` and the sent counts as they stood, so a client polling
    for `isDone` stops whichever way the message ended (`isCanceled` tells which). Fans it could
    not reach (sandbox mode's magic fans) count in `total` like skipped ones and set `hasError`.
    """
    canceled = facts.canceled_at is not None
    left = 0 if canceled else unsend_seconds_left(facts.sent_at, now, window)
    counted = facts.total >= 0
    pending = max(0, facts.total - facts.sent_count - facts.skipped_count - facts.failed_count) if counted else 0
    return QueueState(
        date=facts.sent_at or facts.scheduled_at or facts.created_at,
        is_ready=facts.media_ready,
        is_done=facts.finished_at is not None or canceled,
        total=facts.total,
        pending=0 if canceled else pending,
        can_unsend=not canceled and left > 0,
        unsend_seconds=left,
        has_error=facts.error is not None or facts.failed_count > 0,
        is_canceled=canceled,
    )


def status(facts: MessageFacts) -> str:
    """One word for where the message is: saved, scheduled, queued, sending, sent, canceled, failed."""
    if facts.canceled_at is not None:
        return "canceled"
    if facts.error is not None:
        return "failed"
    if facts.finished_at is not None:
        return "sent"
    if facts.sent_at is not None:
        return "sending"
    if facts.saved_for_later:
        return "saved"
    if facts.scheduled_at is not None:
        return "scheduled"
    return "queued"
