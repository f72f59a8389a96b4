"""Reset and snapshots (docs/sandbox.md): `POST /sandbox/v1/reset`, `/sandbox/v1/snapshots…`.

A reset covers what the key controls (one account it names, or all of them); snapshots are of the
whole team, so saving, restoring and deleting take a key of every account of the team.
"""

from __future__ import annotations

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCall, SandboxCaller
from massdm.api.schemas.sandbox_state import (
    ResetIn,
    ResetOut,
    RestoredOut,
    SnapshotIn,
    SnapshotListOut,
    SnapshotOut,
)
from massdm.sandbox import reset as sandbox_reset
from massdm.sandbox import snapshots as sandbox_snapshots
from massdm.store.team_state import Target

router = APIRouter(tags=["Sandbox"], responses=ERRORS)


def _target(call: SandboxCall, account_id: str | None = None) -> Target:
    named = None if account_id is None else call.account(account_id)
    return sandbox_reset.target(call.team_id, call.account_ids, call.key.all_accounts, named)


@router.post("/sandbox/v1/reset", response_model=ResetOut,
             summary="Delete the sandbox data of one account or of the whole team (keys and accounts stay)")
def reset(call: SandboxCaller, body: ResetIn | None = None) -> ResetOut:
    account = body.account if body is not None else None
    return ResetOut.of(sandbox_reset.reset(call.state.engine, _target(call, account)))


@router.get("/sandbox/v1/snapshots", response_model=SnapshotListOut, summary="The team's snapshots, oldest first")
def list_snapshots(call: SandboxCaller) -> SnapshotListOut:
    return SnapshotListOut(snapshots=[SnapshotOut.of(s) for s in sandbox_snapshots.listing(call.state.engine,
                                                                                           call.team_id)])


@router.post("/sandbox/v1/snapshots", response_model=SnapshotOut, status_code=201,
             summary="Save the team's whole sandbox state (and the clock) under a name")
def save_snapshot(call: SandboxCaller, body: SnapshotIn) -> SnapshotOut:
    state = call.state
    return SnapshotOut.of(sandbox_snapshots.save(state.engine, state.clock, _target(call), body.name))


@router.post("/sandbox/v1/snapshots/{name}/restore", response_model=RestoredOut,
             summary="Bring the team's state (and the clock) back to a snapshot")
def restore_snapshot(call: SandboxCaller, name: str) -> RestoredOut:
    restored = sandbox_snapshots.restore(call.state.engine, _target(call), name)
    return RestoredOut(snapshot=SnapshotOut.of(restored.snapshot), milliseconds=round(restored.seconds * 1000, 1))


@router.delete("/sandbox/v1/snapshots/{name}", response_model=SnapshotOut, summary="Delete a snapshot")
def delete_snapshot(call: SandboxCaller, name: str) -> SnapshotOut:
    return SnapshotOut.of(sandbox_snapshots.delete(call.state.engine, _target(call), name))
