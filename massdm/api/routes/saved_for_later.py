"""Saved for later (CONTRACT.md §7): the parked messages, and automatic sending of one per period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from massdm.api.caller import Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, iso
from massdm.api.schemas.saved_for_later import PeriodIn, PeriodOut, SavedItemOut, SavedPageOut, SettingsOut, entity
from massdm.api.urls import media_urls, page_url
from massdm.services import mass_messaging as message_service
from massdm.services import saved_for_later as saved_service

router = APIRouter(tags=["Saved For Later (Messages)"], route_class=UnitOfWorkRoute, responses=ERRORS)


@router.get("/api/{account}/saved-for-later/messages", response_model=PagedEnvelope[SavedPageOut],
            summary="Messages saved for later")
def list_saved(
    request: Request,
    caller: Metered,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> PagedEnvelope[SavedPageOut]:
    now = caller.now
    messages, has_more = saved_service.list_saved(caller.connection, caller.account.id, limit=limit, offset=offset)
    views = message_service.describe(caller.connection, messages, now, caller.state.policy, named_fans=True)
    settings = saved_service.get_settings(caller.connection, caller.account.id)
    to_url = media_urls(request)
    items = []
    for position, view in enumerate(views, start=offset):
        publish: datetime | None = saved_service.publish_at(settings, position)
        items.append(SavedItemOut(
            id=view.message.id, created_date_time=iso(view.message.created_at) or "", publish_date_time=iso(publish),
            entity=entity(view, to_url),
        ))
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return PagedEnvelope.page(SavedPageOut(list=items, has_more=has_more), next_page, caller.charge())


@router.get("/api/{account}/saved-for-later/messages/settings", response_model=Envelope[SettingsOut],
            summary="Automatic sending settings")
def get_settings(caller: Metered) -> Envelope[SettingsOut]:
    settings = saved_service.get_settings(caller.connection, caller.account.id)
    period = (settings.period_hours or 0) if settings.is_enabled else 0
    data = SettingsOut(is_enabled=settings.is_enabled, current_code=period, options=list(saved_service.PERIODS))
    return Envelope(data=data, meta=caller.charge())


@router.patch("/api/{account}/saved-for-later/messages/settings/enable-or-update-automatic-messaging",
              response_model=Envelope[PeriodOut], summary="Send one saved message every period")
def enable(body: PeriodIn, caller: Metered) -> Envelope[PeriodOut]:
    settings = saved_service.enable(caller.connection, caller.account.id, body.period, caller.now)
    return Envelope(data=PeriodOut(period=settings.period_hours or body.period), meta=caller.charge())


@router.patch("/api/{account}/saved-for-later/messages/settings/disable-automatic-messaging",
              response_model=Envelope[list[int]], summary="Stop automatic sending")
def disable(caller: Metered) -> Envelope[list[int]]:
    saved_service.disable(caller.connection, caller.account.id)
    return Envelope(data=[], meta=caller.charge())
