"""`GET /api/whoami` and `GET /api/accounts`: bare shapes, free of credits."""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.caller import TeamCaller
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.identity import AccountOut, Whoami
from massdm.services import accounts as account_service

router = APIRouter(tags=["Account"], route_class=UnitOfWorkRoute, responses=ERRORS)


@router.get("/api/whoami", response_model=Whoami, summary="Who the API key belongs to")
def whoami(caller: TeamCaller) -> Whoami:
    return Whoami.of(caller.key)


@router.get("/api/accounts", response_model=list[AccountOut], summary="Accounts this API key may use")
def list_accounts(caller: TeamCaller) -> list[AccountOut]:
    return [AccountOut.of(a) for a in account_service.accounts_for_key(caller.connection, caller.key)]
