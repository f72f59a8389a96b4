"""Seeded audiences (docs/sandbox.md): `POST /sandbox/v1/seed` makes N reproducible fans, a few custom
lists and, if asked, magic fans, in an account the key controls or a new one of its team."""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCaller
from massdm.api.schemas.common import ErrorBody
from massdm.api.schemas.sandbox_seed import SeedIn, SeedOut
from massdm.domain import seed_profile
from massdm.sandbox import seed as sandbox_seed

_CONFLICT = {"model": ErrorBody, "description": "CONFLICT: the account already has fan ids this seed makes"}
router = APIRouter(tags=["Sandbox"], responses={**ERRORS, 409: _CONFLICT})


@router.post("/sandbox/v1/seed", response_model=SeedOut, response_model_by_alias=True,
             summary="Seed an audience: N reproducible fans, custom lists, magic fans")
def seed(call: SandboxCaller, body: SeedIn) -> SeedOut:
    sandbox_seed.check_new_account(body.account, call.key.all_accounts)
    account = None if body.account is None else call.account(body.account)
    request = sandbox_seed.SeedRequest(fans=body.fans, seed=body.seed, profile=seed_profile.from_document(body.profile),
                                       magic_fans=body.magic_fans, account_id=account, team_id=call.team_id)
    return SeedOut.of(sandbox_seed.seed_audience(call.state.engine, call.state.clock, request))
