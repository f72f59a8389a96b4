"""Saved for later (CONTRACT.md §7): the parked messages, and automatic sending of one per period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, page_url
from massdm.api.routes.media import url_of
from massdm.api.schemas.common import Envelope, PagedEnvelope, WireModel, iso
from massdm.api.schemas.media import MediaOut, UrlOf
from massdm.domain.messages import format_price
from massdm.services import mass_messaging as message_service
from massdm.services import saved_for_later as saved_service
from massdm.services.mass_messaging import MessageView
from massdm.store import messages as message_store

router = APIRouter(tags=["Saved For Later (Messages)"])


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


def _entity(view: MessageView, user_ids: list[int], to_url: UrlOf) -> SavedEntityOut:
    m = view.message
    cents = m.price_cents
    return SavedEntityOut(
        id=m.id, queue_id=m.id, text=m.text, raw_text=m.raw_text, locked_text=m.locked_text,
        price=cents // 100 if cents % 100 == 0 else float(format_price(cents)), is_free=cents == 0,
        giphy_id=m.giphy_id, media=[MediaOut.of(i, to_url) for i in view.media], previews=view.preview_ids,
        media_count=len(view.media), is_media_ready=bool(view.state and view.state.is_ready),
        created_at=iso(m.created_at) or "", changed_at=iso(m.created_at) or "", scheduled_at=iso(m.scheduled_at),
        user_ids=[str(u) for u in user_ids], user_lists=list(m.user_lists), excluded_lists=list(m.excluded_lists),
        release_forms=[{"type": k, "ids": v} for k, v in sorted(m.release_forms.items())],
    )


@router.get("/api/{account}/saved-for-later/messages", response_model=PagedEnvelope[SavedPageOut],
            summary="Messages saved for later")
def list_saved(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> PagedEnvelope[SavedPageOut]:
    now = clock.now()
    messages, has_more = saved_service.list_saved(connection, account.id, limit=limit, offset=offset)
    views = message_service.describe(connection, messages, now, request.app.state.policy)
    settings = saved_service.get_settings(connection, account.id)
    to_url = url_of(request)
    items = []
    for position, view in enumerate(views, start=offset):
        publish: datetime | None = saved_service.publish_at(settings, position)
        items.append(SavedItemOut(
            id=view.message.id, created_date_time=iso(view.message.created_at) or "", publish_date_time=iso(publish),
            entity=_entity(view, message_store.user_ids(connection, view.message.id), to_url),
        ))
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return meter.paged(SavedPageOut(list=items, has_more=has_more), next_page)


@router.get("/api/{account}/saved-for-later/messages/settings", response_model=Envelope[SettingsOut],
            summary="Automatic sending settings")
def get_settings(account: CurrentAccount, connection: Db, meter: Metered) -> Envelope[SettingsOut]:
    settings = saved_service.get_settings(connection, account.id)
    return meter.envelope(SettingsOut(is_enabled=settings.is_enabled,
                                      current_code=settings.period_hours if settings.is_enabled else 0,
                                      options=list(saved_service.PERIODS)))


@router.patch("/api/{account}/saved-for-later/messages/settings/enable-or-update-automatic-messaging",
              response_model=Envelope[PeriodOut], summary="Send one saved message every period")
def enable(body: PeriodIn, account: CurrentAccount, connection: Db, meter: Metered,
           clock: ClockDep) -> Envelope[PeriodOut]:
    settings = saved_service.enable(connection, account.id, body.period, clock.now())
    return meter.envelope(PeriodOut(period=settings.period_hours or body.period))


@router.patch("/api/{account}/saved-for-later/messages/settings/disable-automatic-messaging",
              response_model=Envelope[list[int]], summary="Stop automatic sending")
def disable(account: CurrentAccount, connection: Db, meter: Metered) -> Envelope[list[int]]:
    saved_service.disable(connection, account.id)
    return meter.envelope([])
