"""`massdm sandbox ...`: the sandbox's controls (docs/sandbox.md) on the command line, on the store itself.

Each command is the twin of a call of /sandbox/v1 and acts on the database MASSDM_DATABASE_URL names,
so it works whether or not a server is running; a running `massdm serve --sandbox` sees the change
at once (its clock reads the same row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy import Engine

from massdm.cli import sandbox_engagement, sandbox_faults, sandbox_recipients, sandbox_seed, sandbox_state
from massdm.cli.session import console, fail, open_store, print_json
from massdm.config import Settings
from massdm.domain.durations import parse_duration
from massdm.errors import MassdmError
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox.clock import Totals

app = typer.Typer(help="The sandbox's controls: the clock, seeding, engagement, faults, reset, snapshots.",
                  no_args_is_help=True)
clock_app = typer.Typer(help="The sandbox clock: show, freeze, run, set, advance.", no_args_is_help=True)
app.add_typer(clock_app, name="clock")
app.add_typer(sandbox_faults.faults_app, name="faults")
app.command("trigger")(sandbox_faults.trigger)
app.command("recipients")(sandbox_recipients.recipients)
sandbox_state.attach(app)
app.add_typer(sandbox_engagement.app, name="engagement")
app.command("seed")(sandbox_seed.seed)


def _store() -> tuple[Settings, Engine]:
    settings = Settings().model_copy(update={"sandbox": True})
    return settings, open_store(settings)


def _show(now: datetime, frozen: bool, as_json: bool, ran: Totals | None = None) -> None:
    if as_json:
        print_json({"now": now.isoformat(), "frozen": frozen, **({"ran": vars(ran)} if ran is not None else {})})
        return
    console.print(f"sandbox clock: {now.isoformat()} ({'frozen' if frozen else 'running'})")
    if ran is not None:
        console.print("ran: " + ", ".join(f"{k} {v}" for k, v in vars(ran).items()))


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@clock_app.command("show")
def show(as_json: JsonOption = False) -> None:
    """The clock's time and whether it is frozen."""
    _, engine = _store()
    _show(*sandbox_clock.read(sandbox_clock.driven_clock(engine)), as_json)


@clock_app.command("freeze")
def freeze(as_json: JsonOption = False) -> None:
    """Stop the clock where it is."""
    _, engine = _store()
    _show(*sandbox_clock.set_frozen(engine, sandbox_clock.driven_clock(engine), True), as_json)


@clock_app.command("run")
def run(as_json: JsonOption = False) -> None:
    """Let the clock run on from where it shows."""
    _, engine = _store()
    _show(*sandbox_clock.set_frozen(engine, sandbox_clock.driven_clock(engine), False), as_json)


@clock_app.command("set")
def set_moment(
    moment: Annotated[str, typer.Argument(help="A later ISO 8601 moment, with a zone (2026-12-24T18:00:00Z).")],
    as_json: JsonOption = False,
) -> None:
    """Set the clock to a later moment, running everything that falls due on the way (as advance --to)."""
    settings, engine = _store()
    clock = sandbox_clock.driven_clock(engine)
    try:
        advanced = sandbox_clock.set_now(engine, clock, _moment(moment), steps=sandbox_clock.default_steps(),
                                         config=sandbox_clock.advance_config(settings))
    except MassdmError as error:
        fail(str(error))
    _show(advanced.now, sandbox_clock.read(clock)[1], as_json, advanced.ran)


@clock_app.command("advance")
def advance(
    by: Annotated[str | None, typer.Argument(help="How far: 90s, 15m, 2h, 1d, 2h30m, or seconds.")] = None,
    to: Annotated[str | None, typer.Option(help="Or up to this ISO 8601 moment (with a zone).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Advance the clock, running everything that falls due on the way (sends, deliveries, engagement, webhooks)."""
    if (by is None) == (to is None):
        fail("give how far (massdm sandbox clock advance 2h) or --to MOMENT, not both")
    settings, engine = _store()
    try:
        moment = None if to is None else _moment(to)
        delta = None if by is None else parse_duration(by, "by")
        clock = sandbox_clock.driven_clock(engine)
        advanced = sandbox_clock.advance(engine, clock, to=moment, by=delta,
                                         steps=sandbox_clock.default_steps(),
                                         config=sandbox_clock.advance_config(settings))
    except MassdmError as error:
        fail(str(error))
    _show(advanced.now, sandbox_clock.read(clock)[1], as_json, advanced.ran)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{text!r} is not an ISO 8601 moment, such as 2026-12-24T18:00:00+00:00")
    if moment.tzinfo is None:
        fail(f"{text!r} has no time zone: add one, such as +00:00 or Z")
    return moment
