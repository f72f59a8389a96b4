"""Running and administering massdm: serve, migrate, accounts, keys, fans, credits, demo."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy.engine import make_url
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from massdm.cli.session import base_url, clock, console, fail, open_store, print_json
from massdm.config import Settings
from massdm.errors import MassdmError
from massdm.services import accounts as account_service
from massdm.services import demo as demo_service
from massdm.services import fans as fan_service
from massdm.store import accounts as account_store
from massdm.store import teams as team_store
from massdm.store.db import transaction

app = typer.Typer(help="massdm: mass messaging for creator platforms.", no_args_is_help=True)
accounts_app = typer.Typer(help="Creator accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
fans_app = typer.Typer(help="Fans.", no_args_is_help=True)
credits_app = typer.Typer(help="Team credits.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(fans_app, name="fans")
app.add_typer(credits_app, name="credits")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default MASSDM_HOST or 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default MASSDM_PORT or 8000).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API processes sharing the port.")] = 1,
    allow_private_webhooks: Annotated[bool, typer.Option(
        "--allow-private-webhooks", help="Let webhooks call loopback and private addresses (a local sandbox; "
        "the same as MASSDM_WEBHOOKS_ALLOW_PRIVATE=1).")] = False,
) -> None:
    """Serve the HTTP API (migrations run first). Each process also runs a delivery worker
    unless MASSDM_WORKER_ENABLED=false; run more with `massdm worker`."""
    import uvicorn

    from massdm.api.app import create_app

    settings = Settings()
    updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if allow_private_webhooks:
        updates["webhooks_allow_private"] = True
        os.environ["MASSDM_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # for the processes of --workers N
    settings = settings.model_copy(update=updates)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(f"massdm serving on {base_url(settings)} with {workers} process(es) (database {shown})")
    if workers == 1:
        application = create_app(settings)
        # Everything imported and built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which a request allocating many objects (a batch of 10,000 events)
        # otherwise sets off, each rescanning the whole startup heap (5-10x the request's own work).
        gc.freeze()
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")
        return

    if settings.redis_url is None:
        console.print("[yellow]warning:[/] without MASSDM_REDIS_URL each process keeps its own rate-limit windows")
    open_store(settings)  # migrate once, before the processes start
    os.environ.update({"MASSDM_HOST": settings.host, "MASSDM_PORT": str(settings.port)})
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics adds up every process
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="massdm-metrics-")
    uvicorn.run("massdm.api.app:app_from_environment", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level="info")


@app.command("migrate")
def migrate_command() -> None:
    """Apply database migrations up to the newest."""
    settings = Settings()
    open_store(settings)
    console.print(f"database at {make_url(settings.database_url).render_as_string(hide_password=True)} is up to date")


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option("--name", help="Display name of the creator account.")],
    team: Annotated[str, typer.Option(help="Team slug; created if missing.")] = account_service.DEFAULT_TEAM_SLUG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a creator account in a team."""
    settings = Settings()
    try:
        with transaction(open_store(settings)) as connection:
            owner = account_service.ensure_team(
                connection, slug=team, name=None, credits=settings.default_credits, now=clock.now()
            )
            account = account_service.create_account(
                connection, team=owner, display_name=name, username=None, now=clock.now()
            )
    except MassdmError as error:
        fail(error.message)
    if as_json:
        print_json({"id": account.id, "display_name": account.display_name, "team": owner.slug})
    else:
        console.print(f"created account [bold]{account.id}[/bold] ({account.display_name}) in team {owner.slug}")
        typer.echo(account.id)


@keys_app.command("create")
def keys_create(
    account: Annotated[
        Optional[list[str]], typer.Option("--account", help="Limit the key to this account (repeatable).")
    ] = None,
    team: Annotated[Optional[str], typer.Option(help="Team slug (default: the accounts' team, or 'default').")] = None,
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli",
    limit_minute: Annotated[Optional[int], typer.Option(help="Requests per minute.", min=1)] = None,
    limit_day: Annotated[Optional[int], typer.Option(help="Requests per day.", min=1)] = None,
    no_daily_limit: Annotated[bool, typer.Option("--no-daily-limit", help="A plan without a daily limit.")] = False,
    scope: Annotated[
        Optional[list[str]], typer.Option("--scope", help="api (the provider's API, default) and/or fan (fan side).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key. It is printed once; only its hash is stored."""
    settings = Settings()
    account_ids = account or []
    try:
        with transaction(open_store(settings)) as connection:
            slug = team
            if slug is None and account_ids:
                first = account_store.get_account(connection, account_ids[0])
                if first is None:
                    fail(f"account {account_ids[0]} does not exist")
                owner = team_store.get_team(connection, first.team_id)
            else:
                owner = account_service.ensure_team(
                    connection,
                    slug=slug or account_service.DEFAULT_TEAM_SLUG,
                    name=None,
                    credits=settings.default_credits,
                    now=clock.now(),
                )
            issued = account_service.create_api_key(
                connection,
                team=owner,
                name=name,
                account_ids=account_ids,
                limit_minute=limit_minute or settings.rate_limit_minute,
                limit_day=None if no_daily_limit else (limit_day or settings.rate_limit_day),
                now=clock.now(),
                scopes=frozenset(scope or ["api"]),
            )
    except MassdmError as error:
        fail(error.message)
    if as_json:
        print_json({"api_key": issued.api_key, "team": issued.team_slug, "accounts": issued.account_ids,
                     "scopes": sorted(scope or ["api"])})
    else:
        scope = ", ".join(issued.account_ids) if issued.account_ids else "every account of the team"
        console.print(f"key for team {issued.team_slug}, usable on {scope} (shown once, keep it):")
        typer.echo(issued.api_key)


@fans_app.command("import")
def fans_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file of fans.")],
    account: Annotated[str, typer.Option("--account", help="Account the fans belong to.")],
) -> None:
    """Import fans from CSV (columns: id, username, name, subscribed_at, expires_at, auto_renew,
    following, muted, tagged, friend). Idempotent by fan id; a bad row imports nothing."""
    settings = Settings()
    engine = open_store(settings)
    with transaction(engine) as connection:
        if account_store.get_account(connection, account) is None:
            fail(f"account {account} does not exist")
    with Progress(
        TextColumn("importing fans"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task("import", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = fan_service.import_fans_csv(engine, account, file, clock, on_progress=on_progress)
        except fan_service.CsvImportError as error:
            progress.stop()
            fail("nothing imported:\n  " + "\n  ".join(error.problems))
    console.print(f"imported {result.rows} rows: {result.created} new fans, {result.updated} updated")


@credits_app.command("add")
def credits_add(
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to take away).")],
    team: Annotated[str, typer.Option(help="Team slug.")] = account_service.DEFAULT_TEAM_SLUG,
) -> None:
    """Top up (or reduce) a team's credit balance."""
    with transaction(open_store(Settings())) as connection:
        owner = team_store.get_team_by_slug(connection, team)
        if owner is None:
            fail(f"team {team} does not exist")
        balance = max(0, owner.credit_balance + amount)
        team_store.set_balance(connection, owner.id, balance)
    typer.echo(f"team {team} balance: {balance}")


@app.command()
def demo(
    fans: Annotated[int, typer.Option(help="How many demo fans.", min=0, max=1_000_000)] = 500,
    api_key: Annotated[Optional[str], typer.Option(help="Use this key (created once, then reused).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create (or reuse) a demo team, account, key, fans and two lists; print how to call them."""
    settings = Settings()
    world = demo_service.set_up_demo(open_store(settings), settings, clock, fans=fans, api_key=api_key)
    info = {"account": world.account, "api_key": world.api_key, "base_url": base_url(settings)}
    if as_json:
        print_json(info)
        return
    console.print("[bold]massdm demo is ready[/bold]")
    console.print(f"  account:  {world.account}")
    console.print(f"  api key:  {world.api_key}")
    console.print(f"  base url: {info['base_url']}")
    console.print(f"  fans:     {world.fans}; lists: {', '.join(f'{n} ({i})' for n, i in world.lists.items())}")
    console.print(f"  try:      curl -H 'Authorization: Bearer {world.api_key}' {info['base_url']}/api/whoami", soft_wrap=True)
