"""Engagement (CONTRACT.md §4): sent mass messages and their numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, page_url, public_base
from massdm.api.routes.mass_messaging import message_page
from massdm.api.routes.media import url_of
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.engagement import (
    BuyerOut,
    BuyersOut,
    ChartOut,
    ChartSeries,
    Link,
    Relationships,
    TopMessageOut,
    TopOut,
)
from massdm.api.schemas.mass_messaging import MessageItemOut, MessagePageOut
from massdm.domain.messages import format_price
from massdm.services import engagement as engagement_service

router = APIRouter(tags=["Engagement / Messages"], route_class=UnitOfWorkRoute)

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
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    query: Annotated[Text | None, Query(max_length=200)] = None,
    before_id: Annotated[int | None, Query(alias="beforeId", ge=1, le=2**63 - 1,
                                           description="massdm's tie-breaker in next_page links")] = None,
) -> PagedEnvelope[MessagePageOut]:
    return message_page(request, connection, meter, clock, account, start_date, end_date, limit, query, before_id)


@router.get("/api/{account}/engagement/messages/mass-messages/chart", response_model=Envelope[ChartOut],
            summary="Mass messages and their purchases per day")
def mass_messages_chart(
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
    with_total: Annotated[bool, Query(alias="withTotal")] = True,
) -> Envelope[ChartOut]:
    sent, revenue = engagement_service.chart(connection, account.id, start=start_date, end=end_date,
                                             with_total=with_total, now=clock.now())
    return meter.envelope(ChartOut(group_messages=ChartSeries.of(sent, True),
                                   group_messages_purchases=ChartSeries.of(revenue, False)))


@router.get("/api/{account}/engagement/messages/top-message", response_model=Envelope[TopOut],
            summary="The mass message that earned most")
def top_message(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Envelope[TopOut]:
    view = engagement_service.top_message(connection, account.id, start=start_date, end=end_date, now=clock.now(),
                                          policy=request.app.state.policy)
    if view is None:
        return meter.envelope(TopOut(purchases=None))
    item = MessageItemOut.of(view, url_of(request))
    href = f"{public_base(request)}/api/{account.id}/engagement/messages/{view.message.id}/buyers"
    top = TopMessageOut(**item.model_dump(), total_revenue_generated=format_price(view.message.revenue_cents),
                        relationships=Relationships(buyers=Link(href=href)))
    return meter.envelope(TopOut(purchases=top))


@router.get("/api/{account}/engagement/messages/{message_id}/buyers", response_model=PagedEnvelope[BuyersOut],
            summary="Buyers of a mass message")
def message_buyers(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    message_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    marker: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="Continue after this marker.")] = None,
    skip_users: Annotated[Text | None, Query(max_length=20)] = None,
    skip_users_dups: Annotated[int, Query(ge=0, le=1, description="Buyers are unique anyway.")] = 1,
) -> PagedEnvelope[BuyersOut]:
    page = engagement_service.buyers(connection, account.id, message_id, limit=limit, offset=offset, marker=marker)
    now = clock.now()
    data = BuyersOut(list=[BuyerOut.of(b, now) for b in page.buyers], marker=page.marker, has_more=page.has_more)
    next_page = page_url(request, marker=page.marker, limit=limit, offset=0) if page.has_more else None
    return meter.paged(data, next_page)
