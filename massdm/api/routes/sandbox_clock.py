"""The sandbox's clock (docs/sandbox.md): `GET`/`POST /sandbox/v1/clock`, `POST /sandbox/v1/clock/advance`.

One clock for the whole store (every team's sandbox shares it, as every process does); advancing
it reports what ran on the caller's accounts.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from massdm.api.responses import ERRORS
from massdm.api.sandbox import SandboxCall, SandboxCaller
from massdm.api.schemas.sandbox import AdvancedOut, AdvanceIn, ClockIn, ClockOut, RanOut
from massdm.clock import DrivenClock
from massdm.sandbox import clock as sandbox_clock

router = APIRouter(tags=["Sandbox"], responses=ERRORS)


def _clock(call: SandboxCall) -> DrivenClock:
    clock = call.state.clock
    assert isinstance(clock, DrivenClock), "sandbox mode runs on the driven clock (massdm/app.py)"
    return clock


def _advanced(call: SandboxCall, advanced: sandbox_clock.Advanced) -> AdvancedOut:
    _, frozen = sandbox_clock.read(_clock(call))
    return AdvancedOut(now=ClockOut.of(advanced.now, frozen).now, frozen=frozen, ran=RanOut.of(advanced.ran))


@router.get("/sandbox/v1/clock", response_model=ClockOut, summary="The sandbox clock's time")
def get_clock(call: SandboxCaller) -> ClockOut:
    return ClockOut.of(*sandbox_clock.read(_clock(call)))


@router.post("/sandbox/v1/clock", response_model=ClockOut | AdvancedOut,
             summary="Freeze or run the clock, or set it to a later moment (running what falls due on the way)")
def set_clock(call: SandboxCaller, body: ClockIn) -> ClockOut | AdvancedOut:
    state = call.state
    if body.frozen is not None:
        return ClockOut.of(*sandbox_clock.set_frozen(state.engine, _clock(call), body.frozen))
    assert body.now is not None
    advanced = sandbox_clock.set_now(state.engine, _clock(call), body.now, steps=sandbox_clock.default_steps(),
                                     config=sandbox_clock.advance_config(state.settings),
                                     account_ids=list(call.account_ids))
    return _advanced(call, advanced)


@router.post("/sandbox/v1/clock/advance", response_model=AdvancedOut,
             summary="Advance the clock, running everything that falls due in between, in time order")
def advance_clock(call: SandboxCaller, body: AdvanceIn) -> AdvancedOut:
    state = call.state
    by = None if body.seconds is None else timedelta(seconds=body.seconds)
    advanced = sandbox_clock.advance(state.engine, _clock(call), to=body.to, by=by,
                                     steps=sandbox_clock.default_steps(),
                                     config=sandbox_clock.advance_config(state.settings),
                                     account_ids=list(call.account_ids), field="to" if body.to else "seconds")
    return _advanced(call, advanced)
