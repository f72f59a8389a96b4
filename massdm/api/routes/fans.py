"""Fans of an account: the provider's listing endpoints, plus the platform's bulk upsert."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, page_url
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.fans import FanIn, FanPageOut, UpsertOut, UserOut
from massdm.services import fans as fan_service

router = APIRouter(tags=["Fans"])

Limit = Annotated[int, Query(ge=1, le=50, description="Fans per page (1-50).")]
Offset = Annotated[int, Query(ge=0, le=2**62, description="Fans to skip.")]
Search = Annotated[Text | None, Query(max_length=200, description="Search within fan name/username.")]


def _list(
    status: Literal["all", "active", "expired"],
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    limit: int,
    offset: int,
    query: str | None,
) -> PagedEnvelope[FanPageOut]:
    now = clock.now()
    page = fan_service.list_fans(
        connection, account.id, status=status, query=query, limit=limit, offset=offset, now=now
    )
    data = FanPageOut(list=[UserOut.of(v, now) for v in page.fans], has_more=page.has_more)
    next_page = page_url(request, offset=offset + limit, limit=limit) if page.has_more else None
    return meter.paged(data, next_page)


@router.get("/api/{account}/fans/all", response_model=PagedEnvelope[FanPageOut], summary="All fans")
def list_all_fans(
    request: Request, account: CurrentAccount, connection: Db, meter: Metered, clock: ClockDep,
    limit: Limit = 10, offset: Offset = 0, query: Search = None,
) -> PagedEnvelope[FanPageOut]:
    return _list("all", request, account, connection, meter, clock, limit, offset, query)


@router.get("/api/{account}/fans/active", response_model=PagedEnvelope[FanPageOut], summary="Active fans")
def list_active_fans(
    request: Request, account: CurrentAccount, connection: Db, meter: Metered, clock: ClockDep,
    limit: Limit = 10, offset: Offset = 0, query: Search = None,
) -> PagedEnvelope[FanPageOut]:
    return _list("active", request, account, connection, meter, clock, limit, offset, query)


@router.get("/api/{account}/fans/expired", response_model=PagedEnvelope[FanPageOut], summary="Expired fans")
def list_expired_fans(
    request: Request, account: CurrentAccount, connection: Db, meter: Metered, clock: ClockDep,
    limit: Limit = 10, offset: Offset = 0, query: Search = None,
) -> PagedEnvelope[FanPageOut]:
    return _list("expired", request, account, connection, meter, clock, limit, offset, query)


@router.post(
    "/api/{account}/fans",
    response_model=Envelope[UpsertOut],
    summary="Create or update fans (platform)",
    description="Bulk upsert for the creator platform: up to 10,000 fans per call, idempotent by fan id.",
)
def upsert_fans(
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    fans: Annotated[list[FanIn], Body(max_length=10_000)],
) -> Envelope[UpsertOut]:
    now = clock.now()
    result = fan_service.upsert_fans(connection, account.id, [f.record(now) for f in fans], now)
    return meter.envelope(UpsertOut(received=result.received, created=result.created, updated=result.updated))
