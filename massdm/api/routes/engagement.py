"""Engagement (CONTRACT.md §4): sent mass messages and their numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from massdm.api.caller import Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.engagement import (
    BuyerOut,
    BuyersOut,
    ChartOut,
    Link,
    Relationships,
    TopMessageOut,
    TopOut,
    revenue_series,
    sent_series,
)
from massdm.api.schemas.mass_messaging import MessageItemOut, MessagePageOut
from massdm.api.sent_pages import CursorEndDate, sent_page
from massdm.api.urls import media_urls, page_url, public_base
from massdm.domain.ids import MAX_DB_ID
from massdm.domain.messages import format_price
from massdm.services import engagement as engagement_service

router = APIRouter(tags=["Engagement / Messages"], route_class=UnitOfWorkRoute, responses=ERRORS)

StartDate = Annotated[str | None, Query(alias="startDate", description="Y-m-d H:i:s, UTC")]
EndDate = Annotated[str | None, Query(alias="endDate", description="Y-m-d H:i:s, UTC; after startDate")]


@router.get(
    "/api/{account}/engagement/messages/mass-messages",
    response_model=PagedEnvelope[MessagePageOut],
    summary="Mass messages with engagement",
    description="Sent mass messages, newest first. `endDate` is also the pagination cursor.",
)
def mass_messages(
    request: Request,
    caller: Metered,
    start_date: StartDate = None,
    end_date: CursorEndDate = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    query: Annotated[Text | None, Query(max_length=200)] = None,
    before_id: Annotated[int | None, Query(alias="beforeId", ge=1, le=MAX_DB_ID,
                                           description="massdm's tie-breaker in next_page links")] = None,
) -> PagedEnvelope[MessagePageOut]:
    return sent_page(request, caller, start_date, end_date, limit, query, before_id)


@router.get("/api/{account}/engagement/messages/mass-messages/chart", response_model=Envelope[ChartOut],
            summary="Mass messages and their purchases per day")
def mass_messages_chart(
    caller: Metered,
    start_date: StartDate = None,
    end_date: EndDate = None,
    with_total: Annotated[bool, Query(alias="withTotal")] = True,
) -> Envelope[ChartOut]:
    sent, revenue = engagement_service.chart(caller.connection, caller.account.id, start=start_date, end=end_date,
                                             with_total=with_total, now=caller.now)
    data = ChartOut(group_messages=sent_series(sent), group_messages_purchases=revenue_series(revenue))
    return Envelope(data=data, meta=caller.charge())


@router.get("/api/{account}/engagement/messages/top-message", response_model=Envelope[TopOut],
            summary="The mass message that earned most")
def top_message(
    request: Request,
    caller: Metered,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Envelope[TopOut]:
    view = engagement_service.top_message(caller.connection, caller.account.id, start=start_date, end=end_date,
                                          now=caller.now, policy=caller.state.policy)
    if view is None:
        return Envelope(data=TopOut(purchases=None), meta=caller.charge())
    item = MessageItemOut.of(view, media_urls(request))
    href = f"{public_base(request)}/api/{caller.account.id}/engagement/messages/{view.message.id}/buyers"
    top = TopMessageOut(**item.model_dump(), total_revenue_generated=format_price(view.message.revenue_cents),
                        relationships=Relationships(buyers=Link(href=href)))
    return Envelope(data=TopOut(purchases=top), meta=caller.charge())


@router.get("/api/{account}/engagement/messages/{message_id}/buyers", response_model=PagedEnvelope[BuyersOut],
            summary="Buyers of a mass message")
def message_buyers(
    request: Request,
    caller: Metered,
    message_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    marker: Annotated[int | None, Query(ge=0, le=MAX_DB_ID, description="Continue after this marker.")] = None,
    skip_users: Annotated[Text | None, Query(max_length=20)] = None,
    skip_users_dups: Annotated[int, Query(ge=0, le=1, description="Buyers are unique anyway.")] = 1,
) -> PagedEnvelope[BuyersOut]:
    page = engagement_service.buyers(caller.connection, caller.account.id, message_id, limit=limit, offset=offset,
                                     marker=marker)
    data = BuyersOut(list=[BuyerOut.of(b, caller.now) for b in page.buyers], marker=page.marker, has_more=page.has_more)
    next_page = page_url(request, marker=page.marker, limit=limit, offset=0) if page.has_more else None
    return PagedEnvelope.page(data, next_page, caller.charge())
