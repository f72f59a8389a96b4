"""Messages as every reader shows them: the row with its media, previews, named fans and queue state.

A read model built by a few queries however many messages there are; the queue state is derived
(domain/queue.py) from the row, its media's readiness and the time, never stored, and so is the
`error` of a message some fans could not receive (sandbox mode's magic fans, domain/recipients.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.queue import QueueState, queue_state, status
from massdm.domain.recipients import failure_summary
from massdm.store import delivery_failures as failure_store
from massdm.store import media as media_store
from massdm.store import messages as message_store
from massdm.store.media import MediaItem
from massdm.store.messages import MassMessage


@dataclass(frozen=True)
class MessageView:
    message: MassMessage
    media: list[MediaItem] = field(default_factory=list)
    preview_ids: list[int] = field(default_factory=list)
    state: QueueState | None = None
    user_ids: list[int] = field(default_factory=list)  # the fans the message names directly
    failures: dict[str, int] = field(default_factory=dict)  # fans it could not reach, by reason

    @property
    def status(self) -> str:
        return status(self.message.facts)

    @property
    def error(self) -> str | None:
        """Why `hasError`: the message's own error, else what its failed fans say."""
        return self.message.error or failure_summary(self.failures)


def describe(
    connection: Connection, messages: list[MassMessage], now: datetime, unsend_window: int, *, named_fans: bool
) -> list[MessageView]:
    """Messages with their media and derived queue state, in a few queries however many there are;
    with `named_fans`, also the fans each names (`userIds`: only a message's full settings show them)."""
    ids = [m.id for m in messages]
    media_refs = message_store.media_of(connection, ids)
    named = message_store.user_ids_of(connection, ids) if named_fans else {i: [] for i in ids}
    failed = failure_store.by_reason(connection, [m.id for m in messages if m.failed_count > 0])
    by_account: dict[str, set[int]] = {}
    for m in messages:
        by_account.setdefault(m.account_id, set()).update(media_id for media_id, _ in media_refs[m.id])
    items: dict[int, MediaItem] = {}
    for account_id, media_ids in by_account.items():
        items.update({i.id: i for i in media_store.media_by_ids(connection, account_id, sorted(media_ids))})
    views = []
    for m in messages:
        attached = [items[media_id] for media_id, _ in media_refs[m.id] if media_id in items]
        ready = all(i.is_ready for i in attached)
        state = queue_state(replace(m.facts, media_ready=ready), now, unsend_window)
        previews = [media_id for media_id, is_preview in media_refs[m.id] if is_preview]
        views.append(MessageView(m, attached, previews, state, named[m.id], failed.get(m.id, {})))
    return views
