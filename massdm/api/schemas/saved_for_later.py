"""Saved-for-later shapes (CONTRACT.md §7)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from massdm.api.schemas.common import WireModel, iso
from massdm.api.schemas.media import MediaOut, UrlOf
from massdm.domain.messages import format_price
from massdm.store.message_views import MessageView


class SavedEntityOut(WireModel):
    id: int
    queue_id: int
    text: str
    raw_text: str
    locked_text: bool
    price: int | float
    is_free: bool
    giphy_id: str | None
    media: list[MediaOut]
    previews: list[int]
    media_count: int
    is_media_ready: bool
    created_at: str
    changed_at: str
    scheduled_at: str | None
    user_ids: list[str]
    user_lists: list[str]
    excluded_lists: list[str]
    release_forms: list[dict[str, object]]
    response_type: str = "message"
    is_tip: bool = False


class SavedItemOut(WireModel):
    id: int
    type: str = "message"
    created_date_time: str
    publish_date_time: str | None
    entity: SavedEntityOut


class SavedPageOut(WireModel):
    list: list[SavedItemOut]
    has_more: bool
    sync_in_process: bool = False


class SettingsOut(WireModel):
    is_enabled: bool
    current_code: int = Field(description="The period in hours while enabled; 0 when off.")
    options: list[int]


class PeriodIn(BaseModel):
    period: Literal[6, 12, 24, 48]


class PeriodOut(BaseModel):
    period: int


def entity(view: MessageView, to_url: UrlOf) -> SavedEntityOut:
    m = view.message
    cents = m.price_cents
    return SavedEntityOut(
        id=m.id, queue_id=m.id, text=m.text, raw_text=m.raw_text, locked_text=m.locked_text,
        price=cents // 100 if cents % 100 == 0 else float(format_price(cents)), is_free=cents == 0,
        giphy_id=m.giphy_id, media=[MediaOut.of(i, to_url) for i in view.media], previews=view.preview_ids,
        media_count=len(view.media), is_media_ready=bool(view.state and view.state.is_ready),
        created_at=iso(m.created_at) or "", changed_at=iso(m.created_at) or "", scheduled_at=iso(m.scheduled_at),
        user_ids=[str(u) for u in view.user_ids], user_lists=list(m.user_lists), excluded_lists=list(m.excluded_lists),
        release_forms=[{"type": k, "ids": v} for k, v in sorted(m.release_forms.items())],
    )
