"""`massdm sandbox reset` and `massdm sandbox snapshot save|restore|list|delete`: twins of
POST /sandbox/v1/reset and /sandbox/v1/snapshots…, acting on the store MASSDM_DATABASE_URL names.

There is no key on the command line, so `--team SLUG` names the team (`massdm accounts` shows the
slugs); it may be left out when the store has exactly one team.
"""

from __future__ import annotations

from typing import Annotated

import typer

from massdm.cli.session import console, fail, open_store, print_json
from massdm.config import Settings
from massdm.errors import MassdmError
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox import reset as sandbox_reset
from massdm.sandbox import snapshots as sandbox_snapshots
from massdm.sandbox.snapshots import Snapshot

snapshot_app = typer.Typer(help="Save a team's sandbox state under a name, restore it, list or delete snapshots.",
                           no_args_is_help=True)

TeamOption = Annotated[str | None, typer.Option("--team", help="The team's slug (needed when the store has several).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameArgument = Annotated[str, typer.Argument(help=sandbox_snapshots.NAME_RULE)]


def _engine():  # noqa: ANN202 - an Engine
    return open_store(Settings().model_copy(update={"sandbox": True}))


def _run(work):  # noqa: ANN001, ANN202 - what the command does, and what it returned
    try:
        return work()
    except MassdmError as error:
        fail(str(error))


def _show(snapshot: Snapshot, as_json: bool, verb: str) -> None:
    sizes = {k: v for k, v in snapshot.sizes.items() if v}
    if as_json:
        print_json({"name": snapshot.name, "created": snapshot.created_at.isoformat(), "rows": snapshot.total,
                    "sizes": sizes})
        return
    console.print(f"{verb} {snapshot.name} ({snapshot.created_at.isoformat()}): {snapshot.total} rows "
                  + ", ".join(f"{k} {v}" for k, v in sizes.items()))


def reset(
    account: Annotated[str | None, typer.Option("--account", help="Reset this account only.")] = None,
    team: TeamOption = None, as_json: JsonOption = False,
) -> None:
    """Delete the team's sandbox data (or one account's); keys and accounts stay. A whole-team reset
    also deletes its webhooks and sets the clock (shared by the whole store) back to the wall clock."""
    engine = _engine()
    done = _run(lambda: sandbox_reset.reset(engine, sandbox_reset.team_target(engine, team, account)))
    deleted = {k: v for k, v in done.deleted.items() if v}
    if as_json:
        print_json({"accounts": list(done.accounts), "team": done.whole, "deleted": deleted,
                    "milliseconds": round(done.seconds * 1000, 1)})
        return
    console.print(f"reset {', '.join(done.accounts) or 'no accounts'}{' and the team' if done.whole else ''} "
                  f"in {done.seconds * 1000:.0f} ms: " + (", ".join(f"{k} {v}" for k, v in deleted.items()) or "empty"))


@snapshot_app.command("save")
def save(name: NameArgument, team: TeamOption = None, as_json: JsonOption = False) -> None:
    """Save the team's whole sandbox state (and the clock) as NAME."""
    engine = _engine()
    clock = sandbox_clock.driven_clock(engine)
    _show(_run(lambda: sandbox_snapshots.save(engine, clock, sandbox_reset.team_target(engine, team), name)),
          as_json, "saved")


@snapshot_app.command("restore")
def restore(name: NameArgument, team: TeamOption = None, as_json: JsonOption = False) -> None:
    """Bring the team's state and the clock back to snapshot NAME."""
    engine = _engine()
    restored = _run(lambda: sandbox_snapshots.restore(engine, sandbox_reset.team_target(engine, team), name))
    _show(restored.snapshot, as_json, f"restored in {restored.seconds * 1000:.0f} ms:")


@snapshot_app.command("list")
def list_snapshots(team: TeamOption = None, as_json: JsonOption = False) -> None:
    """The team's snapshots, oldest first."""
    engine = _engine()
    target = _run(lambda: sandbox_reset.team_target(engine, team))
    found = sandbox_snapshots.listing(engine, target.team_id)
    if as_json:
        print_json([{"name": s.name, "created": s.created_at.isoformat(), "rows": s.total,
                     "sizes": {k: v for k, v in s.sizes.items() if v}} for s in found])
        return
    for snapshot in found:
        _show(snapshot, False, "")
    if not found:
        console.print("no snapshots")


@snapshot_app.command("delete")
def delete(name: NameArgument, team: TeamOption = None, as_json: JsonOption = False) -> None:
    """Delete snapshot NAME."""
    engine = _engine()
    _show(_run(lambda: sandbox_snapshots.delete(engine, sandbox_reset.team_target(engine, team), name)),
          as_json, "deleted")


def attach(app: typer.Typer) -> None:
    """Mount these commands on `massdm sandbox`."""
    app.command("reset")(reset)
    app.add_typer(snapshot_app, name="snapshot")
