"""The console's home: the team, its balance and the accounts the signed-in key may use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from massdm.console.unit import ConsoleCall, console_page
from massdm.services import accounts as account_service

router = APIRouter(include_in_schema=False)


@router.get("/console")
async def home(request: Request) -> Response:
    def work(call: ConsoleCall) -> Response:
        team = account_service.team_usage(call.connection, call.key)
        return call.page("home.html", {"team": team})

    return await console_page(request, "read", work)


@router.get("/console/")
async def home_slash() -> Response:
    return RedirectResponse("/console", status_code=307)


@router.get("/api-keys")
async def api_keys() -> Response:
    """The page the provider's 401 message names: the console's keys page."""
    return RedirectResponse("/console/keys", status_code=307)
