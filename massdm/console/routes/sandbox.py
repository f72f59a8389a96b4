"""The sandbox page (sandbox mode only, docs/sandbox.md): the clock, seeding, simulated fans, faults,
reset and snapshots. Mounted only in sandbox mode (SANDBOX_ROUTERS): otherwise every /console/sandbox
path is a 404, as every /sandbox path is.

Each control calls the massdm.sandbox function the control API's route calls (api/routes/sandbox_*.py),
reads the form through the API's own input model, and is refused with the API's messages. Like those
routes it runs outside any request unit (unit.control_page): the sandbox's functions run transactions
of their own, and an advance runs, in the request, everything that falls due. The answer is the page
with the control's report (what an advance ran, what a seed made, what a reset deleted), which exists
only in that answer: a control does not redirect. Console calls are free of credits and outside the
API's rate limits, like every sandbox control.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from fastapi import APIRouter, Request
from starlette.responses import Response

from massdm.api.schemas.sandbox_engagement import EngagementIn
from massdm.api.schemas.sandbox_faults import FaultIn
from massdm.api.schemas.sandbox_seed import SeedIn
from massdm.console.sandbox_page import (
    PAGE,
    Done,
    body,
    checked,
    clock_of,
    confirmed,
    control,
    controlled,
    moment,
    numbers,
    show,
    target,
)
from massdm.console.unit import ConsoleCall
from massdm.domain import seed_profile
from massdm.domain.durations import parse_duration
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox import engagement as sandbox_engagement
from massdm.sandbox import faults as sandbox_faults
from massdm.sandbox import reset as sandbox_reset
from massdm.sandbox import seed as sandbox_seed
from massdm.sandbox import snapshots as sandbox_snapshots
from massdm.store.sandbox_faults import Fault

router = APIRouter(include_in_schema=False)


def _when(call: ConsoleCall) -> str:
    now, frozen = sandbox_clock.read(clock_of(call))
    return f"{now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, {'frozen' if frozen else 'running'}"


@router.get(PAGE)
async def sandbox_page(request: Request) -> Response:
    return await show(request)


# --- the clock -------------------------------------------------------------------------------------

def _set_frozen(frozen: bool) -> Callable[[ConsoleCall], Done]:
    def act(call: ConsoleCall) -> Done:
        sandbox_clock.set_frozen(call.state.engine, clock_of(call), frozen)
        return Done("clock", f"The clock is {'frozen' if frozen else 'running'}: {_when(call)}.")

    return act


@router.post(f"{PAGE}/clock/freeze")
async def freeze_clock(request: Request) -> Response:
    return await control(request, "clock", _set_frozen(True))


@router.post(f"{PAGE}/clock/run")
async def run_clock(request: Request) -> Response:
    return await control(request, "clock", _set_frozen(False))


def _advanced(call: ConsoleCall, advanced: sandbox_clock.Advanced) -> Done:
    return Done("clock", f"The clock moved to {_when(call)}. What ran on your accounts on the way:",
                ran=advanced.ran)


@router.post(f"{PAGE}/clock/advance")
async def advance_clock(request: Request) -> Response:
    """By a duration: a button's (1h, 1d, 25h, 7d) or one typed (90m, 2h30m, 3600)."""
    def act(call: ConsoleCall) -> Done:
        by = parse_duration(call.field("by"), "by")
        state = call.state
        advanced = sandbox_clock.advance(state.engine, clock_of(call), by=by, steps=sandbox_clock.default_steps(),
                                         config=sandbox_clock.advance_config(state.settings),
                                         account_ids=controlled(call), field="by")
        return _advanced(call, advanced)

    return await control(request, "clock", act)


@router.post(f"{PAGE}/clock/set")
async def set_clock(request: Request) -> Response:
    def act(call: ConsoleCall) -> Done:
        state = call.state
        advanced = sandbox_clock.set_now(state.engine, clock_of(call), moment(call.field("now"), "now"),
                                         steps=sandbox_clock.default_steps(),
                                         config=sandbox_clock.advance_config(state.settings),
                                         account_ids=controlled(call))
        return _advanced(call, advanced)

    return await control(request, "clock", act)


# --- seeding and simulated fans --------------------------------------------------------------------

@router.post(f"{PAGE}/seed")
async def seed(request: Request) -> Response:
    def act(call: ConsoleCall) -> Done:
        account = call.field("account") or None
        seeded_in = body(SeedIn, {"account": account, **numbers(call, "fans", "seed"),
                                  "magicFans": checked(call, "magicFans")})
        sandbox_seed.check_new_account(seeded_in.account, call.key.all_accounts)
        named = None if seeded_in.account is None else call.account(seeded_in.account).id
        wanted = sandbox_seed.SeedRequest(fans=seeded_in.fans, seed=seeded_in.seed,
                                          profile=seed_profile.from_document(seeded_in.profile),
                                          magic_fans=seeded_in.magic_fans, account_id=named, team_id=call.key.team_id)
        seeded = sandbox_seed.seed_audience(call.state.engine, call.state.clock, wanted)
        where = "a new account" if seeded.account_created else "the account"
        rows = [(f"list “{x.name}”", x.members) for x in seeded.lists]
        rows += [("magic fans", len(seeded.magic))] if seeded.magic else []
        return Done("seed", f"Seeded {seeded.fans:,} fans into {where} {seeded.account_id} with seed {seeded.seed} "
                    f"in {seeded.seconds:.2f} s.", rows=rows)

    return await control(request, "seed", act)


def _delay(call: ConsoleCall, name: str) -> dict[str, int | float] | None:
    given = numbers(call, f"{name}.minHours", f"{name}.maxHours")
    return {key.removeprefix(f"{name}."): value for key, value in given.items()} if given else None


@router.post(f"{PAGE}/engagement")
async def set_engagement(request: Request) -> Response:
    def act(call: ConsoleCall) -> Done:
        account = call.account(call.field("account"))
        fields = {"enabled": checked(call, "enabled"), **numbers(call, "seed", "viewRate", "purchaseRate"),
                  "viewDelay": _delay(call, "viewDelay"), "purchaseDelay": _delay(call, "purchaseDelay")}
        settings = body(EngagementIn, {k: v for k, v in fields.items() if v is not None}).settings()
        sandbox_engagement.write_settings(call.state.engine, account.id, settings, call.now)
        state = "on" if settings.enabled else "off"
        return Done("engagement", f"The simulated fans of {account.display_name} are {state}.")

    return await control(request, "engagement", act)


# --- faults ----------------------------------------------------------------------------------------

@router.post(f"{PAGE}/faults")
async def add_fault(request: Request) -> Response:
    """An API call's fault (`path`, `method`) or, from the webhook form, a webhook's (`webhook`, `mode`)."""
    def act(call: ConsoleCall) -> Done:
        if call.field("target") == "webhook":
            typed = {"webhook": call.field("webhook"), "mode": call.field("mode") or None,
                     **numbers(call, "status", "times", "probability")}
        else:
            typed = {"path": call.field("path"), "method": call.field("method") or None,
                     **numbers(call, "status", "times", "probability", "latencyMs", "retryAfter")}
        spec = body(FaultIn, typed).spec()
        fault = sandbox_faults.add_fault(call.state.engine, call.state.clock, call.key.team_id, spec)
        return Done("faults", f"Fault {fault.id} added: {_fault_text(fault)}.")

    return await control(request, "faults", act)


def _fault_text(fault: Fault) -> str:
    what = f"{fault.method or 'any method'} {fault.path}" if fault.path else f"deliveries to {fault.webhook_id}"
    answer = fault.mode if fault.mode == "timeout" else f"status {fault.status}" if fault.status else "a delay"
    return f"{what} get {answer}"


@router.post(f"{PAGE}/faults/clear")
async def clear_faults(request: Request) -> Response:
    def act(call: ConsoleCall) -> Done:
        deleted = sandbox_faults.clear_faults(call.state.engine, call.key.team_id)
        return Done("faults", f"Cleared {deleted} fault{'' if deleted == 1 else 's'}.")

    return await control(request, "faults", act)


@router.post(f"{PAGE}/faults/{{fault_id}}/delete")
async def delete_fault(request: Request, fault_id: str) -> Response:
    def act(call: ConsoleCall) -> Done:
        sandbox_faults.clear_faults(call.state.engine, call.key.team_id, fault_id)
        return Done("faults", f"Fault {fault_id} deleted.")

    return await control(request, "faults", act)


# --- reset and snapshots ---------------------------------------------------------------------------

def _deleted(deleted: dict[str, int]) -> list[tuple[str, int]]:
    return [(table.replace("_", " "), rows) for table, rows in sorted(deleted.items()) if rows]


@router.post(f"{PAGE}/reset")
async def reset(request: Request) -> Response:
    """One account, or everything the key controls (for a key of every account: the whole team,
    its webhooks and the clock too); only with the box ticked."""
    def act(call: ConsoleCall) -> Done:
        confirmed(call, "a reset deletes the sandbox data for good.")
        done = sandbox_reset.reset(call.state.engine, target(call, call.field("account") or None))
        what = "the whole team" if done.whole else ", ".join(done.accounts)
        total = sum(done.deleted.values())
        return Done("reset", f"Reset {what}: {total:,} rows deleted in {done.seconds * 1000:.0f} ms.",
                    rows=_deleted(done.deleted))

    return await control(request, "reset", act)


@router.post(f"{PAGE}/snapshots")
async def save_snapshot(request: Request) -> Response:
    def act(call: ConsoleCall) -> Done:
        saved = sandbox_snapshots.save(call.state.engine, call.state.clock, target(call), call.field("name"))
        return Done("snapshots", f"Snapshot {saved.name} saved: {saved.total:,} rows.")

    return await control(request, "snapshots", act)


@router.post(f"{PAGE}/snapshots/{{name}}/restore")
async def restore_snapshot(request: Request, name: str) -> Response:
    def act(call: ConsoleCall) -> Done:
        confirmed(call, "restoring replaces the team's whole sandbox state, and the clock.")
        restored = sandbox_snapshots.restore(call.state.engine, target(call), name)
        return Done("snapshots", f"Snapshot {restored.snapshot.name} restored ({restored.snapshot.total:,} rows) "
                    f"in {restored.seconds * 1000:.0f} ms; the clock is {_when(call)}.")

    return await control(request, "snapshots", act)


@router.post(f"{PAGE}/snapshots/{{name}}/delete")
async def delete_snapshot(request: Request, name: str) -> Response:
    def act(call: ConsoleCall) -> Done:
        deleted = sandbox_snapshots.delete(call.state.engine, target(call), name)
        return Done("snapshots", f"Snapshot {deleted.name} deleted.")

    return await control(request, "snapshots", act)
