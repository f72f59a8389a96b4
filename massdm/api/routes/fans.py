"""Fans of an account: the provider's listing endpoints (with their targeting filters), plus the platform's
bulk upsert."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from massdm.api.caller import Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.fan_filters import FanFilters
from massdm.api.schemas.fans import FanIn, FanPageOut, SourceOut, UpsertOut, UserOut
from massdm.api.urls import page_url
from massdm.domain.fans import FanStatus
from massdm.services import fans as fan_service

router = APIRouter(tags=["Fans"], route_class=UnitOfWorkRoute, responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=50, description="Fans per page (1-50).")]
Offset = Annotated[int, Query(ge=0, le=2**62, description="Fans to skip.")]
Search = Annotated[Text | None, Query(max_length=200, description="Search within fan name/username.")]


def _lister(endpoint: FanStatus):  # noqa: ANN202 - one endpoint per subscription status
    def list_fans(
        request: Request,
        caller: Metered,
        filters: Annotated[FanFilters, Query()],
        limit: Limit = 10,
        offset: Offset = 0,
        query: Search = None,
    ) -> PagedEnvelope[FanPageOut]:
        now = caller.now
        status, targeting = filters.status(endpoint), filters.targeting(request.query_params.multi_items())
        page = fan_service.list_fans(caller.connection, caller.account.id, status=status, query=query, limit=limit,
                                     offset=offset, now=now, targeting=targeting)
        data = FanPageOut(list=[UserOut.of(v, now) for v in page.fans], has_more=page.has_more,
                          source=SourceOut() if filters.max_total_spent is not None else None)
        next_page = page_url(request, offset=offset + limit, limit=limit) if page.has_more else None
        return PagedEnvelope.page(data, next_page, caller.charge())

    list_fans.__name__ = f"list_{endpoint}_fans"
    return list_fans


_LISTINGS: tuple[tuple[FanStatus, str], ...] = (("all", "All fans"), ("active", "Active fans"),
                                                ("expired", "Expired fans"))
for _status, _summary in _LISTINGS:
    router.add_api_route(
        f"/api/{{account}}/fans/{_status}",
        _lister(_status),
        methods=["GET"],
        response_model=PagedEnvelope[FanPageOut],
        summary=_summary,
    )


@router.post(
    "/api/{account}/fans",
    response_model=Envelope[UpsertOut],
    summary="Create or update fans (platform)",
    description="Bulk upsert for the creator platform: up to 10,000 fans per call, idempotent by fan id.",
)
def upsert_fans(
    caller: Metered,
    fans: Annotated[list[FanIn], Body(max_length=10_000)],
) -> Envelope[UpsertOut]:
    now = caller.now
    result = fan_service.upsert_fans(caller.connection, caller.account.id, [f.record(now) for f in fans], now)
    data = UpsertOut(received=result.received, created=result.created, updated=result.updated)
    return Envelope(data=data, meta=caller.charge())
