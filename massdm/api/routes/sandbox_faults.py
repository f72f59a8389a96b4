"""Faults on purpose (docs/sandbox.md): `POST`/`GET`/`DELETE /sandbox/v1/faults`,
`GET`/`DELETE /sandbox/v1/faults/{fault_id}`. A fault belongs to the caller's team and applies to that
team's calls only (api/fault_injection.py) or to deliveries to one of its webhooks (the dispatcher)."""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCaller
from massdm.api.schemas.sandbox_faults import ClearedOut, FaultIn, FaultOut, FaultsOut
from massdm.sandbox import faults as sandbox_faults

router = APIRouter(tags=["Sandbox"], responses=ERRORS)


@router.post("/sandbox/v1/faults", response_model=FaultOut, response_model_by_alias=True,
             summary="Fail (or delay) the team's matching API calls, or deliveries to one of its webhooks")
def add_fault(call: SandboxCaller, body: FaultIn) -> FaultOut:
    return FaultOut.of(sandbox_faults.add_fault(call.state.engine, call.state.clock, call.team_id, body.spec()))


@router.get("/sandbox/v1/faults", response_model=FaultsOut, summary="The team's faults, with their hits")
def list_faults(call: SandboxCaller) -> FaultsOut:
    return FaultsOut(faults=[FaultOut.of(f) for f in sandbox_faults.list_faults(call.state.engine, call.team_id)])


@router.get("/sandbox/v1/faults/{fault_id}", response_model=FaultOut, summary="One of the team's faults")
def get_fault(call: SandboxCaller, fault_id: str) -> FaultOut:
    return FaultOut.of(sandbox_faults.get_fault(call.state.engine, call.team_id, fault_id))


@router.delete("/sandbox/v1/faults", response_model=ClearedOut, summary="Clear every fault of the team")
def clear_faults(call: SandboxCaller) -> ClearedOut:
    return ClearedOut(deleted=sandbox_faults.clear_faults(call.state.engine, call.team_id))


@router.delete("/sandbox/v1/faults/{fault_id}", response_model=ClearedOut, summary="Clear one fault")
def delete_fault(call: SandboxCaller, fault_id: str) -> ClearedOut:
    return ClearedOut(deleted=sandbox_faults.clear_faults(call.state.engine, call.team_id, fault_id))
