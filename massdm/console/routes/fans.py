"""Audience: an account's fans, searched and filtered by status, as the API's /fans/all|active|expired.

Console pages are free: no credits are charged and the API's rate limits do not apply (the session
is the signed-in key's, but a page is no API call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from massdm.api.schemas.common import Text
from massdm.console.api_rules import checked
from massdm.console.unit import ConsoleCall, console_page
from massdm.domain.audience import is_active
from massdm.errors import ValidationFailed
from massdm.services import fans as fan_service
from massdm.services.fans import FanView

router = APIRouter(include_in_schema=False)

STATUSES = (("all", "All"), ("active", "Active"), ("expired", "Expired"))
# System lists a fan's row shows in its own columns: status (fans), subscribed (recent), auto-renew.
_SHOWN_BY_COLUMNS = frozenset({"fans", "recent", "rebill_on", "rebill_off"})


class FanQuery(BaseModel):
    """The page's query, with the bounds of the API's fan listings (limit 1-50, query up to 200)."""

    status: Literal["all", "active", "expired"] = "all"
    query: Annotated[Text, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=50)] = 50
    offset: Annotated[int, Field(ge=0, le=2**62)] = 0


@dataclass(frozen=True)
class ListTag:
    name: str
    href: str | None  # a custom list's page; system lists follow fan state and have none here


@dataclass(frozen=True)
class FanRow:
    """One fan as the audience tables show it."""

    id: int
    name: str
    username: str
    active: bool
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    spent_cents: int
    messages_cents: int
    tips_cents: int
    subscriptions_cents: int
    lists: list[ListTag]

    @property
    def subscribed_day(self) -> str:
        return _day(self.subscribed_at)

    @property
    def expires_day(self) -> str | None:
        return None if self.expires_at is None else _day(self.expires_at)


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def fan_rows(views: list[FanView], account_id: str, now: datetime) -> list[FanRow]:
    """The fans' rows; of the system lists only those the other columns do not already say."""
    rows = []
    for view in views:
        fan = view.fan
        tags = [ListTag(s.name, None if s.is_system else f"/console/accounts/{account_id}/lists/{s.id}")
                for s in view.lists if s.has_user and s.id not in _SHOWN_BY_COLUMNS]
        rows.append(FanRow(fan.id, fan.name, fan.username, is_active(fan.expires_at, now), fan.subscribed_at,
                           fan.expires_at, fan.auto_renew, fan.total_spent_cents, fan.purchases_cents,
                           fan.tips_cents, fan.subscriptions_cents, tags))
    return rows


def page_link(path: str, **params: object) -> str:
    """`path` with the query `params` that are set (None and "" are left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def _query_of(request: Request) -> dict[str, str]:
    """The page's query as typed; a blank search is no search, and spaces around it count for nothing."""
    given = dict(request.query_params)
    search = given.get("query", "").strip()
    if search:
        given["query"] = search
    else:
        given.pop("query", None)
    return given


@router.get("/console/accounts/{account_id}/fans")
async def fans_page(request: Request, account_id: str) -> Response:
    given = _query_of(request)

    def work(call: ConsoleCall) -> Response:
        account = call.account(account_id)
        counts = fan_service.count_fans(call.connection, account.id, call.now)
        path = request.url.path
        status = given.get("status", "all")
        context: dict[str, object] = {
            "counts": counts, "statuses": STATUSES, "status": status, "query": given.get("query"), "errors": {},
            "rows": [], "first": 0, "previous_page": None, "next_page": None,
            "status_link": {s: page_link(path, status=None if s == "all" else s, query=given.get("query"))
                            for s, _ in STATUSES},
        }
        try:
            query = checked(FanQuery, given, location="query")
        except ValidationFailed as invalid:
            context["errors"] = invalid.errors or {}
            return call.page("audience/fans.html", context, account=account, status_code=invalid.status_code)
        page = fan_service.list_fans(call.connection, account.id, status=query.status, query=query.query,
                                     limit=query.limit, offset=query.offset, now=call.now)
        limit = None if query.limit == FanQuery.model_fields["limit"].default else query.limit

        def link(offset: int) -> str:
            return page_link(path, status=None if query.status == "all" else query.status, query=query.query,
                             limit=limit, offset=offset or None)

        context.update(
            rows=fan_rows(page.fans, account.id, call.now), first=query.offset,
            next_page=link(query.offset + query.limit) if page.has_more else None,
            previous_page=link(max(0, query.offset - query.limit)) if query.offset > 0 else None,
        )
        return call.page("audience/fans.html", context, account=account)

    return await console_page(request, "read", work)
