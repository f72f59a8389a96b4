"""Mass messages on the wire (CONTRACT.md §3, §4): request bodies, queue items, message items."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from massdm.api.schemas.common import IdLike, Instant, Text, WireModel, iso, iso_instant
from massdm.api.schemas.media import MediaOut, UrlOf
from massdm.domain.messages import crop, format_price
from massdm.services.mass_messaging import MessageDraft
from massdm.store.message_views import MessageView
from massdm.webhooks import payloads


def _comma_list(value: object) -> object:
    """Release-form ids (and list fields sent as form strings) may come as "1,2,3"."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return value


def _ref(value: object) -> object:
    """A list or media reference: ints are accepted and kept as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Ref = Annotated[Text, BeforeValidator(_ref), Field(min_length=1, max_length=100)]
RefList = Annotated[list[Ref], BeforeValidator(_comma_list), Field(max_length=1000)]
# A media reference keeps its JSON type: an int preview may be an index into mediaFiles.
MediaRef = Annotated[int | Annotated[Text, Field(min_length=1, max_length=100)], Field(union_mode="left_to_right")]
IdList = Annotated[list[IdLike], BeforeValidator(_comma_list), Field(max_length=100_000)]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, allow_inf_nan=False, description="USD: 0, or 3 to 200.")]
BannedTier = Literal["strict_ban", "risky", "replace_soften"]


class _MessageFields(WireModel):
    text: Annotated[Text, Field(min_length=1, max_length=20_000, description="HTML allowed.")]
    user_lists: RefList | None = Field(default=None, description="`fans`, `recent`, ... or custom list ids.")
    user_ids: IdList | None = Field(default=None, description="Individual fans; combined with userLists.")
    locked_text: bool | None = Field(default=None, description="Hide the text until purchase.")
    price: Price | None = None
    media_files: Annotated[list[MediaRef], BeforeValidator(_comma_list), Field(max_length=100)] | None = Field(
        default=None, description="`ofapi_media_...` upload ids, vault ids, or direct file parts (multipart)."
    )
    previews: Annotated[list[MediaRef], BeforeValidator(_comma_list), Field(max_length=100)] | None = Field(
        default=None, description="Free previews: the same kinds, or integer indices into mediaFiles."
    )
    giphy_id: Annotated[Text, Field(max_length=200)] | None = None
    scheduled_date: Instant | None = Field(default=None, description="ISO 8601, UTC, in the future.")
    block_banned_words: BannedTier | None = None


class MassMessageCreate(_MessageFields):
    excluded_lists: RefList | None = Field(default=None, description="List ids NOT to send to.")
    subscribed_within_last_days: Annotated[int, Field(ge=1, le=30)] | None = None
    rf_tag: RefList | None = None
    rf_partner: RefList | None = None
    rf_guest: RefList | None = None
    save_for_later: bool = False

    def draft(self, extra_media: list[str] | None = None, extra_previews: list[str] | None = None) -> MessageDraft:
        media = [*(self.media_files or []), *(extra_media or [])]
        previews = [*(self.previews or []), *(extra_previews or [])]
        forms = {k: v for k, v in (("rfTag", self.rf_tag), ("rfPartner", self.rf_partner),
                                   ("rfGuest", self.rf_guest)) if v}
        return MessageDraft(
            text=self.text, user_lists=self.user_lists, excluded_lists=self.excluded_lists,
            user_ids=[int(i) for i in self.user_ids] if self.user_ids is not None else None,
            subscribed_within=self.subscribed_within_last_days, locked_text=self.locked_text, price=self.price,
            media_files=[str(m) for m in media] if media else None, previews=previews or None,
            giphy_id=self.giphy_id, release_forms=forms, scheduled_at=self.scheduled_date,
            save_for_later=self.save_for_later, block_banned_words=self.block_banned_words,
        )


class MassMessageUpdate(_MessageFields):
    """PUT: the fields given replace the message's; the ones left out stay."""

    def draft(self) -> MessageDraft:
        return MessageDraft(
            text=self.text, user_lists=self.user_lists,
            user_ids=[int(i) for i in self.user_ids] if self.user_ids is not None else None,
            locked_text=self.locked_text, price=self.price,
            media_files=[str(m) for m in self.media_files] if self.media_files is not None else None,
            previews=self.previews, giphy_id=self.giphy_id, scheduled_at=self.scheduled_date,
            block_banned_words=self.block_banned_words,
        )


class QueueItemOut(WireModel):
    """The provider's queue item; `status` and `error` are massdm extras."""

    id: int
    date: str
    is_ready: bool
    is_done: bool
    total: int
    pending: int
    can_unsend: bool
    unsend_seconds: int
    has_error: bool
    is_canceled: bool
    is_couple_people_media: bool = False
    status: str
    error: str | None

    @classmethod
    def of(cls, view: MessageView) -> QueueItemOut:
        """The item webhooks send as chat_queue.* payloads, built in one place (webhooks/payloads.py)."""
        return cls.model_validate(payloads.queue_item(view))


class QueueOut(WireModel):
    """The `queue` object of GET and DELETE, with the message's content and settings (extras after
    `releaseForms`)."""

    id: int
    date: str
    text: str
    giphy_id: str | None
    text_cropped: str
    is_free: bool
    sent_count: int
    viewed_count: int
    can_unsend: bool
    unsend_seconds: int
    is_canceled: bool
    media_types: str | None
    has_error: bool
    release_forms: list[dict[str, object]]
    raw_text: str
    locked_text: bool
    price: str | None
    purchased_count: int
    total: int
    pending: int
    is_done: bool
    status: str
    error: str | None
    scheduled_date: str | None
    is_saved_for_later: bool
    user_lists: list[str]
    excluded_lists: list[str]
    user_ids: list[int]
    media_files: list[int]
    previews: list[int]
    subscribed_since: str | None

    @classmethod
    def of(cls, view: MessageView) -> QueueOut:
        m, state = view.message, view.state
        assert state is not None
        kinds = sorted({i.type for i in view.media})
        forms = [{"type": kind, "ids": ids} for kind, ids in sorted(m.release_forms.items())]
        return cls(
            id=m.id, date=iso(state.date) or "", text=m.text, giphy_id=m.giphy_id, text_cropped=crop(m.raw_text),
            is_free=m.price_cents == 0, sent_count=m.sent_count, viewed_count=m.viewed_count,
            can_unsend=state.can_unsend, unsend_seconds=state.unsend_seconds, is_canceled=state.is_canceled,
            media_types=",".join(kinds) or None, has_error=state.has_error, release_forms=forms,
            raw_text=m.raw_text, locked_text=m.locked_text,
            price=format_price(m.price_cents) if m.price_cents else None, purchased_count=m.purchased_count,
            total=state.total, pending=state.pending, is_done=state.is_done, status=view.status, error=view.error,
            scheduled_date=iso(m.scheduled_at), is_saved_for_later=m.saved_for_later,
            user_lists=list(m.user_lists), excluded_lists=list(m.excluded_lists), user_ids=view.user_ids,
            media_files=[i.id for i in view.media], previews=view.preview_ids,
            subscribed_since=iso(m.subscribed_since),
        )


class QueueEnvelopeData(WireModel):
    success: bool = True
    queue: QueueOut


def _absent(value: object) -> bool:
    return value is None


class MessageItemOut(WireModel):
    """A sent mass message with its engagement (overview and engagement lists)."""

    id: int
    date: str
    response_type: str = "message"
    text: str
    raw_text: str
    giphy_id: str | None
    is_free: bool
    is_media_ready: bool
    media_count: int
    media: list[MediaOut]
    previews: list[int]
    is_tip: bool = False
    is_reported_by_me: bool = False
    viewed_count: int
    sent_count: int
    is_canceled: bool
    template: str = "group"
    can_unsend: bool
    unsend_seconds: int
    price: str | None = Field(default=None, exclude_if=_absent)
    purchased_count: int | None = Field(default=None, exclude_if=_absent)
    can_send_message_to_buyers: bool | None = Field(default=None, exclude_if=_absent)

    @classmethod
    def of(cls, view: MessageView, url_of: UrlOf) -> MessageItemOut:
        m, state = view.message, view.state
        assert state is not None
        paid = m.price_cents > 0
        return cls(
            id=m.id, date=iso_instant(state.date), text=m.text, raw_text=m.raw_text, giphy_id=m.giphy_id,
            is_free=not paid, is_media_ready=state.is_ready, media_count=len(view.media),
            media=[MediaOut.of(i, url_of) for i in view.media], previews=view.preview_ids,
            viewed_count=m.viewed_count, sent_count=m.sent_count, is_canceled=state.is_canceled,
            can_unsend=state.can_unsend, unsend_seconds=state.unsend_seconds,
            price=format_price(m.price_cents) if paid else None,
            purchased_count=m.purchased_count if paid else None,
            can_send_message_to_buyers=(m.purchased_count > 0) if paid else None,
        )


class MessagePageOut(WireModel):
    has_more: bool
    items: list[MessageItemOut]
