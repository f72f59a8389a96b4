"""Saved for later (CONTRACT.md §7): the parked messages, and automatic sending of one per period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, page_url
from massdm.api.routes.media import url_of
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, iso
from massdm.api.schemas.saved_for_later import PeriodIn, PeriodOut, SavedItemOut, SavedPageOut, SettingsOut, entity
from massdm.services import mass_messaging as message_service
from massdm.services import saved_for_later as saved_service

router = APIRouter(tags=["Saved For Later (Messages)"], route_class=UnitOfWorkRoute)


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
    views = message_service.describe(connection, messages, now, request.app.state.policy, named_fans=True)
    settings = saved_service.get_settings(connection, account.id)
    to_url = url_of(request)
    items = []
    for position, view in enumerate(views, start=offset):
        publish: datetime | None = saved_service.publish_at(settings, position)
        items.append(SavedItemOut(
            id=view.message.id, created_date_time=iso(view.message.created_at) or "", publish_date_time=iso(publish),
            entity=entity(view, to_url),
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
