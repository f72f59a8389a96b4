"""`massdm sandbox faults add|list|clear` and `massdm sandbox trigger`: the twins of /sandbox/v1/faults and
/sandbox/v1/events (docs/sandbox.md), on the store MASSDM_DATABASE_URL names.

A running `massdm serve --sandbox` applies a fault added here from its next call (faults live in the
database), and its dispatcher sends a triggered event at its next poll. With --json each prints what
the API answers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from massdm.api.schemas.sandbox_faults import FaultOut
from massdm.cli.session import clock_for, console, fail, open_store, print_json
from massdm.config import Settings
from massdm.errors import MassdmError
from massdm.sandbox import events as sandbox_events
from massdm.sandbox import faults as sandbox_faults
from massdm.sandbox.faults import Fault, FaultSpec
from massdm.services.demo import DEMO_TEAM

faults_app = typer.Typer(help="Faults on purpose: fail or delay the team's API calls, or a webhook's deliveries.",
                         no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TeamOption = Annotated[str, typer.Option("--team", help="The team's slug (default: the demo's).")]


def _store() -> tuple[Settings, Any]:
    settings = Settings().model_copy(update={"sandbox": True})
    return settings, open_store(settings)


def _shown(fault: Fault) -> dict[str, Any]:
    return FaultOut.of(fault).model_dump(mode="json", by_alias=True)


def _line(fault: Fault) -> str:
    shown = _shown(fault)
    what = (f"{shown['method'] or 'ANY'} {shown['path']}" if shown["path"]
            else f"webhook {shown['webhook']} ({shown['mode']})")
    how = (f"next {shown['remaining']} of {shown['times']}" if shown["times"] is not None
           else f"probability {shown['probability']} seed {shown['seed']}" if shown["probability"] is not None
           else "every call")
    answer = f"status {shown['status']}" if shown["status"] is not None else "latency only"
    latency = f", +{shown['latencyMs']} ms" if shown["latencyMs"] else ""
    return f"{shown['id']}  {what}  {answer}{latency}, {how}; hits {shown['hits']} of {shown['calls']} calls"


@faults_app.command("add")
def add(
    path: Annotated[str | None, typer.Option(help="API path template, {x} one segment: /api/{account}/mass-messaging")]
    = None,
    method: Annotated[str | None, typer.Option(help="GET, POST, PUT, PATCH or DELETE (default: any).")] = None,
    status: Annotated[int | None, typer.Option(help="429, 500, 502, 503, 504 (a webhook's: any 4xx/5xx).")] = None,
    times: Annotated[int | None, typer.Option(help="Fault the next N matching calls.")] = None,
    probability: Annotated[float | None, typer.Option(help="Or fault each matching call with this chance.")] = None,
    seed: Annotated[int | None, typer.Option(help="The seed of the draws (replays them).")] = None,
    latency_ms: Annotated[int, typer.Option("--latency-ms", help="Delay the answer this long.")] = 0,
    retry_after: Annotated[float | None, typer.Option("--retry-after", help="Seconds, for Retry-After.")] = None,
    webhook: Annotated[str | None, typer.Option(help="A webhook id: fault its deliveries instead.")] = None,
    mode: Annotated[str | None, typer.Option(help="A webhook's: timeout or status.")] = None,
    team: TeamOption = DEMO_TEAM,
    as_json: JsonOption = False,
) -> None:
    """Add a fault for the team's API calls (--path) or one of its webhooks (--webhook --mode)."""
    settings, engine = _store()
    spec = FaultSpec(path=path, method=method.upper() if method else None, webhook=webhook, mode=mode, status=status,
                     times=times, probability=probability, seed=seed, latency_ms=latency_ms, retry_after=retry_after)
    try:
        if method is not None and method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            fail(f"{method!r} is not one of GET, POST, PUT, PATCH, DELETE")
        fault = sandbox_faults.add_fault(engine, clock_for(settings, engine), sandbox_faults.team_id_for(engine, team),
                                         spec)
    except MassdmError as error:
        fail(_reason(error))
    if as_json:
        print_json(_shown(fault))
    else:
        console.print(f"added {_line(fault)}")


@faults_app.command("list")
def list_faults(team: TeamOption = DEMO_TEAM, as_json: JsonOption = False) -> None:
    """The team's faults, with their hits and what remains of them."""
    _, engine = _store()
    try:
        faults = sandbox_faults.list_faults(engine, sandbox_faults.team_id_for(engine, team))
    except MassdmError as error:
        fail(_reason(error))
    if as_json:
        print_json({"faults": [_shown(f) for f in faults]})
        return
    for fault in faults:
        console.print(_line(fault))
    if not faults:
        console.print("no faults")


@faults_app.command("clear")
def clear(
    fault_id: Annotated[str | None, typer.Argument(help="The fault to clear (default: all of the team's).")] = None,
    team: TeamOption = DEMO_TEAM,
    as_json: JsonOption = False,
) -> None:
    """Clear one fault, or every fault of the team."""
    _, engine = _store()
    try:
        deleted = sandbox_faults.clear_faults(engine, sandbox_faults.team_id_for(engine, team), fault_id)
    except MassdmError as error:
        fail(_reason(error))
    if as_json:
        print_json({"deleted": deleted})
    else:
        console.print(f"cleared {deleted} fault(s)")


def trigger(
    event: Annotated[str, typer.Argument(help=f"One of: {', '.join(sandbox_events.EVENTS)}.")],
    account: Annotated[str, typer.Option(help="The account (acct_...) whose event it is.")],
    override: Annotated[list[str] | None, typer.Option(
        help="key=value merged into the payload (repeatable); dotted keys nest (user.id=7); JSON values "
        "(7, true, null, {...}) are parsed, anything else is a string.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Send a webhook event of the account to the team's subscribed webhooks, through the normal outbox."""
    settings, engine = _store()
    try:
        overrides = parse_overrides(override or [])
        sandbox_events.check_event(event)
        triggered = sandbox_events.trigger(engine, clock_for(settings, engine), account, event, overrides,
                                           unsend_window=settings.unsend_window_seconds)
    except (MassdmError, ValueError) as error:
        fail(_reason(error) if isinstance(error, MassdmError) else str(error))
    if as_json:
        print_json({"event": triggered.event, "account": triggered.account_id, "eventId": triggered.event_id,
                    "eventKey": triggered.event_key, "deliveries": triggered.deliveries,
                    "payload": triggered.payload})
    else:
        console.print(f"{event} for {account}: {triggered.deliveries} delivery(ies) queued"
                      + (f" (event {triggered.event_key})" if triggered.event_key else " (no webhook listens)"))


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs as a nested object: dotted keys nest, JSON values are parsed, others kept as text."""
    merged: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{pair!r} is not key=value")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *parents, last = key.strip().split(".")
        nested: dict[str, Any] = {last: value}
        for parent in reversed(parents):
            nested = {parent: nested}
        merged = sandbox_events.merge(merged, nested)
    return merged


def _reason(error: MassdmError) -> str:
    if error.errors:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.errors.items())
    return error.message
