"""Simulated fans (docs/sandbox.md): `GET`/`PUT /sandbox/v1/accounts/{account}/engagement`."""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCaller
from massdm.api.schemas.sandbox_engagement import EngagementIn, EngagementOut
from massdm.sandbox import engagement

router = APIRouter(tags=["Sandbox"], responses=ERRORS)


@router.get("/sandbox/v1/accounts/{account}/engagement", response_model=EngagementOut,
            summary="The account's simulated fans: their settings, defaults filled in")
def get_engagement(call: SandboxCaller, account: str) -> EngagementOut:
    account_id = call.account(account)
    return EngagementOut.of(account_id, engagement.read_settings(call.state.engine, account_id))


@router.put("/sandbox/v1/accounts/{account}/engagement", response_model=EngagementOut,
            summary="Set the account's simulated fans (or turn them off with enabled: false)")
def put_engagement(call: SandboxCaller, account: str, body: EngagementIn) -> EngagementOut:
    account_id = call.account(account)
    state = call.state
    settings = engagement.write_settings(state.engine, account_id, body.settings(), state.clock.now())
    return EngagementOut.of(account_id, settings)
