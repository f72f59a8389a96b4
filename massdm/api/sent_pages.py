"""The endDate-paged list of sent mass messages, which two resources answer with: the mass
messaging overview and the engagement list. Paging by `next_page` or by the oldest item's
`date` as the next `endDate` is exact (docs/mass-messaging.md, "Paging the sent lists")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.requests import Request

from massdm.api.caller import Caller
from massdm.api.schemas.common import PagedEnvelope
from massdm.api.schemas.mass_messaging import MessageItemOut, MessagePageOut
from massdm.api.urls import media_urls, page_url
from massdm.services import engagement as engagement_service

CursorEndDate = Annotated[str | None, Query(
    alias="endDate", description="Y-m-d H:i:s, UTC, after startDate: inclusive of that whole second. With a "
    "fraction of a second, as an item's `date` has: that instant, exclusive (so the oldest item's date is the "
    "next page's endDate).")]


def sent_page(request: Request, caller: Caller, start_date: str | None, end_date: str | None, limit: int,
              query: str | None, before_id: int | None) -> PagedEnvelope[MessagePageOut]:
    page = engagement_service.sent_messages(
        caller.connection, caller.account.id, start=start_date, end=end_date, before_id=before_id, query=query,
        limit=limit, now=caller.now, policy=caller.state.policy,
    )
    to_url = media_urls(request)
    data = MessagePageOut(has_more=page.has_more, items=[MessageItemOut.of(v, to_url) for v in page.views])
    next_page = None
    if page.has_more and page.cursor is not None:
        next_page = page_url(request, endDate=page.cursor[0], beforeId=page.cursor[1], limit=limit)
    return PagedEnvelope.page(data, next_page, caller.charge())
