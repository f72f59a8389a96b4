"""Mass messages: send (now, scheduled or saved for later), change before sending, unsend or cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from massdm.domain import messages as rules
from massdm.domain.audience import parse_list_id
from massdm.domain.banned_words import BannedWords, Tier
from massdm.domain.queue import queue_state
from massdm.domain.webhooks import QUEUE_FINISHED, QUEUE_UPDATED
from massdm.errors import NotFound, ValidationFailed
from massdm.services import media as media_service
from massdm.store import audience as audience_store
from massdm.store import fans as fan_store
from massdm.store import media as media_store
from massdm.store import message_claims as claim_store
from massdm.store import message_views
from massdm.store import messages as message_store
from massdm.store import user_lists as list_store
from massdm.store.message_views import MessageView
from massdm.store.messages import MassMessage, MessageEdit, NewMessage
from massdm.webhooks import outbox, payloads

if TYPE_CHECKING:
    from massdm.config import Settings

QUEUE_RECENT_DAYS = 7
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class MessageDraft:
    """What a caller asked for. None means "not given" (for an edit: keep what is there)."""

    text: str
    user_lists: list[str] | None = None
    excluded_lists: list[str] | None = None
    user_ids: list[int] | None = None
    subscribed_within: int | None = None
    locked_text: bool | None = None
    price: Decimal | None = None
    media_files: list[str] | None = None
    previews: list[str | int] | None = None
    giphy_id: str | None = None
    release_forms: dict[str, list[str]] | None = None
    scheduled_at: datetime | None = None
    save_for_later: bool = False
    block_banned_words: Tier | None = None


@dataclass(frozen=True)
class Policy:
    """The deployment's settings a message is judged by."""

    banned_words: BannedWords
    unsend_window: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(BannedWords.load(settings.banned_words_file), settings.unsend_window_seconds)


# --- reading -----------------------------------------------------------------------------


def describe(
    connection: Connection, messages: list[MassMessage], now: datetime, policy: Policy, *, named_fans: bool
) -> list[MessageView]:
    """The messages as this deployment shows them (store/message_views.py, under its unsend window)."""
    return message_views.describe(connection, messages, now, policy.unsend_window, named_fans=named_fans)


def announce(connection: Connection, message: MassMessage, now: datetime, policy: Policy, *,
             event: str = QUEUE_UPDATED) -> None:
    """Tell the webhooks listening, in this transaction, what the message's queue item now says."""
    def queue_item() -> dict:
        return payloads.queue_item(describe(connection, [message], now, policy, named_fans=False)[0])

    outbox.record(connection, message.account_id, event, queue_item, now, message_id=message.id)


def announce_delivery(connection: Connection, message_id: int, *, finished: bool, now: datetime, policy: Policy,
                      progress_every: timedelta) -> None:
    """After a delivered chunk: chat_queue.finished if it was the last, else chat_queue.updated when the
    message's progress was not announced within `progress_every`."""
    message = message_store.get_message_by_id(connection, message_id)
    if message is None:
        return
    if finished:
        announce(connection, message, now, policy, event=QUEUE_FINISHED)
    elif outbox.listens(connection, message.account_id, QUEUE_UPDATED) and claim_store.take_progress_turn(
            connection, message_id, now, progress_every):
        announce(connection, message, now, policy)


def get_message_by_id(connection: Connection, message_id: int) -> MassMessage | None:
    """The message by its id alone (operators' tools; the API always goes through an account)."""
    return message_store.get_message_by_id(connection, message_id)


def get_message(connection: Connection, account_id: str, message_id: int, *, lock: bool = False) -> MassMessage:
    message = message_store.get_message(connection, account_id, message_id, lock=lock)
    if message is None:
        raise NotFound(f"Mass message {message_id} was not found.")
    return message


def view_message(
    connection: Connection, account_id: str, message_id: int, now: datetime, policy: Policy
) -> MessageView:
    return describe(connection, [get_message(connection, account_id, message_id)], now, policy, named_fans=True)[0]


def list_queue(connection: Connection, account_id: str, now: datetime, policy: Policy) -> list[MessageView]:
    since = now - timedelta(days=QUEUE_RECENT_DAYS)
    return describe(connection, message_store.list_queue(connection, account_id, sent_since=since,
                                                         limit=QUEUE_LIMIT), now, policy, named_fans=False)


@dataclass(frozen=True)
class AudienceSize:
    """Whom a draft would reach if sent now: `size` fans named by its lists and ids, less the
    excluded lists' members; `can_receive` of them have an active subscription (the worker's
    `total` and the fans it delivers to)."""

    size: int
    can_receive: int


def audience_size(connection: Connection, account_id: str, draft: MessageDraft, now: datetime) -> AudienceSize:
    """Count a draft's audience before sending it, by the conditions the worker delivers by
    (store/audience.py), in one query. Lists and fans are checked as `send` checks them."""
    user_lists = _list_refs(connection, account_id, draft.user_lists or [], "userLists")
    excluded = _list_refs(connection, account_id, draft.excluded_lists or [], "excludedLists")
    user_ids = _user_ids(connection, account_id, draft.user_ids or [])
    since = rules.subscribed_since(draft.subscribed_within, now) if draft.subscribed_within is not None else None
    if since is not None and not user_lists and not user_ids:
        user_lists = ["fans"]
    audience = audience_store.for_draft(connection, account_id, now, lists=user_lists, excluded=excluded,
                                        fan_ids=user_ids, subscribed_since=since)
    size, can_receive = audience_store.count(connection, audience)
    return AudienceSize(size, can_receive)


# --- validating a draft ------------------------------------------------------------------


def _list_refs(connection: Connection, account_id: str, raw: list[str], field_name: str) -> list[str | int]:
    parsed = [(r, parse_list_id(r)) for r in raw]
    custom = [p for _, p in parsed if isinstance(p, int)]
    known = list_store.existing_list_ids(connection, account_id, custom)
    bad = [str(r) for r, p in parsed if p is None or (isinstance(p, int) and p not in known)]
    if bad:
        raise ValidationFailed.field(field_name, f"Unknown user lists: {', '.join(bad)}.")
    return list(dict.fromkeys(p for _, p in parsed if p is not None))


def _user_ids(connection: Connection, account_id: str, ids: list[int]) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    known = fan_store.existing_fan_ids(connection, account_id, wanted)
    unknown = [f for f in wanted if f not in known]
    if unknown:
        shown = ", ".join(str(f) for f in unknown[:50]) + (" ..." if len(unknown) > 50 else "")
        raise ValidationFailed.field("userIds", f"These user ids are not fans of this account: {shown}.")
    return wanted


def _screen(text: str, block: Tier | None, policy: Policy) -> None:
    if block is None:
        return
    found = policy.banned_words.find(rules.raw_text(text), block)
    if found:
        raise ValidationFailed.field("text", f"Banned words found ({block}): {', '.join(found)}.")


def _check_text(text: str) -> str:
    if not text.strip():
        raise ValidationFailed.field("text", "The text field is required.")
    return text


def _attach(
    connection: Connection, message: MassMessage, media_files: list[str], previews: list[str | int], now: datetime
) -> None:
    items = media_service.attach_media(connection, message.account_id, list(media_files), message.id, now)
    preview_positions = set(rules.preview_positions([str(r).strip() for r in media_files], previews))
    message_store.set_media(connection, message.id, [(i.id, n in preview_positions) for n, i in enumerate(items)])
    media_store.release_uploads(connection, message.id, [r for r in media_files if isinstance(r, str)])


# --- commands ----------------------------------------------------------------------------


def send(connection: Connection, account_id: str, draft: MessageDraft, now: datetime, policy: Policy) -> MassMessage:
    """Create a mass message: due now, scheduled, or saved for later. Every rule is checked first;
    a failure leaves nothing behind (the caller's transaction rolls back)."""
    text = _check_text(draft.text)
    _screen(text, draft.block_banned_words, policy)
    cents = rules.price_cents(draft.price)
    rules.check_timing(scheduled_at=draft.scheduled_at, save_for_later=draft.save_for_later,
                       subscribed_within=draft.subscribed_within, now=now)
    since = rules.subscribed_since(draft.subscribed_within, now) if draft.subscribed_within is not None else None
    user_lists = _list_refs(connection, account_id, draft.user_lists or [], "userLists")
    excluded = _list_refs(connection, account_id, draft.excluded_lists or [], "excludedLists")
    user_ids = _user_ids(connection, account_id, draft.user_ids or [])
    if since is not None and not user_lists and not user_ids:
        user_lists = ["fans"]  # "everyone who subscribed in the last N days"
    if not user_lists and not user_ids:
        raise ValidationFailed.field("userLists", "Choose who receives the message: userLists and/or userIds.")
    rules.require_media_for_price(cents, len(draft.media_files or []))

    message_id = message_store.insert_message(connection, NewMessage(
        account_id=account_id, text=text, raw_text=rules.raw_text(text), locked_text=bool(draft.locked_text),
        price_cents=cents, giphy_id=draft.giphy_id, release_forms=draft.release_forms or {},
        user_lists=[str(r) for r in user_lists], excluded_lists=[str(r) for r in excluded],
        subscribed_since=since, created_at=now, saved_for_later=draft.save_for_later,
        scheduled_at=draft.scheduled_at,
        due_at=None if draft.save_for_later else (draft.scheduled_at or now),
    ))
    message_store.set_user_ids(connection, message_id, user_ids)
    message = message_store.get_message(connection, account_id, message_id)
    assert message is not None
    if draft.media_files:
        _attach(connection, message, draft.media_files, draft.previews or [], now)
    elif draft.previews:
        raise ValidationFailed.field("previews", "Every preview must also be in mediaFiles.")

    if message.due_at is not None and message.due_at <= now:
        audience = audience_store.for_message(connection, message, now, lists=user_lists, excluded=excluded)
        if not audience_store.anyone_eligible(connection, audience):  # counting is the worker's job
            raise ValidationFailed.field(
                "userIds" if user_ids and not user_lists else "userLists",
                "The audience is empty: nobody in these lists and ids can receive the message now.",
            )
    if not message.saved_for_later:
        announce(connection, message, now, policy)
    return message


def update(
    connection: Connection, account_id: str, message_id: int, draft: MessageDraft, now: datetime, policy: Policy
) -> MassMessage:
    """Change a message that has not started sending. Fields left out keep their value.

    The row stays locked until commit, so a worker cannot start it meanwhile; a worker that
    had already claimed it to count its audience loses the claim and counts again.
    """
    message = get_message(connection, account_id, message_id, lock=True)
    if message.canceled_at is not None:
        raise ValidationFailed.field("id", "This mass message was canceled; it can no longer be changed.")
    if message.started:
        raise ValidationFailed.field("id", "This mass message has already been sent; unsend it instead of editing.")
    text = _check_text(draft.text)
    _screen(text, draft.block_banned_words, policy)
    if draft.scheduled_at is not None:
        rules.check_timing(scheduled_at=draft.scheduled_at, save_for_later=False, subscribed_within=None, now=now)
    user_lists: list[str] | None = None
    if draft.user_lists is not None:
        user_lists = [str(r) for r in _list_refs(connection, account_id, draft.user_lists, "userLists")]
    if draft.user_ids is not None:
        message_store.set_user_ids(connection, message.id, _user_ids(connection, account_id, draft.user_ids))
    if draft.user_lists is not None or draft.user_ids is not None:
        lists = user_lists if user_lists is not None else message.user_lists
        if not lists and not message_store.user_ids(connection, message.id):
            raise ValidationFailed.field("userLists", "Choose who receives the message: userLists and/or userIds.")
    cents = rules.price_cents(draft.price) if draft.price is not None else message.price_cents
    if draft.media_files is not None:
        _attach(connection, message, draft.media_files, draft.previews or [], now)
    elif draft.previews is not None:
        current = message_store.media_of(connection, [message.id])[message.id]
        refs = [str(media_id) for media_id, _ in current]
        positions = set(rules.preview_positions(refs, draft.previews))
        message_store.set_media(connection, message.id, [(m, n in positions) for n, (m, _) in enumerate(current)])
    media_count = len(message_store.media_of(connection, [message.id])[message.id])
    rules.require_media_for_price(cents, media_count)
    message_store.edit_unsent(connection, message.id, MessageEdit(
        text=text, raw_text=rules.raw_text(text), price_cents=cents, locked_text=draft.locked_text,
        giphy_id=draft.giphy_id, user_lists=user_lists, scheduled_at=draft.scheduled_at,
    ))
    changed = get_message(connection, account_id, message.id)
    if not changed.saved_for_later:
        announce(connection, changed, now, policy)
    return changed


def delete(connection: Connection, account_id: str, message_id: int, now: datetime, policy: Policy) -> MassMessage:
    """Unsend a sent message (within its window), or cancel one that has not finished sending.

    Fans who did not buy it stop seeing it; buyers keep it; counters stay as they were. The
    change is announced like any other (chat_queue.updated); a cancel before the delivery ended
    also ends it, so it is announced as chat_queue.finished too: that event comes once for every
    queued message, when its item first says `isDone`.
    """
    message = get_message(connection, account_id, message_id, lock=True)
    if message.canceled_at is not None:
        raise ValidationFailed.field("id", "This mass message is already canceled.")
    state = queue_state(message.facts, now, policy.unsend_window)
    if message.started and not state.can_unsend:
        raise ValidationFailed.field("id", "The unsend window of this mass message has closed.")
    message_store.cancel(connection, message.id, now)
    canceled = get_message(connection, account_id, message.id)
    if not canceled.saved_for_later:
        announce(connection, canceled, now, policy)
        if message.finished_at is None:
            announce(connection, canceled, now, policy, event=QUEUE_FINISHED)
    return canceled
