"""Running and administering massdm: serve, migrate, accounts, keys, fans, credits, demo."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from massdm.cli.session import base_url, clock, console, fail, open_store, print_json
from massdm.config import Settings
from massdm.errors import MassdmError
from massdm.services import accounts as account_service
from massdm.services import demo as demo_service
from massdm.services import fans as fan_service
from massdm.store.db import shown_url, transaction

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
    host: Annotated[str | None, typer.Option(help="Interface to bind (default MASSDM_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MASSDM_PORT or 8000).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API processes sharing the port.")] = 1,
    allow_private_webhooks: Annotated[bool, typer.Option(
        "--allow-private-webhooks", help="Let webhooks call loopback and private addresses (a local sandbox; "
        "the same as MASSDM_WEBHOOKS_ALLOW_PRIVATE=1).")] = False,
    sandbox: Annotated[bool, typer.Option(
        "--sandbox", help="Sandbox mode: the control API under /sandbox/v1 and the driven clock (docs/sandbox.md; "
        "the same as MASSDM_SANDBOX=true).")] = False,
) -> None:
    """Serve the HTTP API (migrations run first). Each process also runs a delivery worker
    unless MASSDM_WORKER_ENABLED=false; run more with `massdm worker`."""
    import uvicorn

    from massdm.app import create_app

    settings = Settings()
    updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if allow_private_webhooks:
        updates["webhooks_allow_private"] = True
        os.environ["MASSDM_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # for the processes of --workers N
    if sandbox:
        updates["sandbox"] = True
        os.environ["MASSDM_SANDBOX"] = "true"
    settings = settings.model_copy(update=updates)
    shown = shown_url(settings.database_url)
    mode = " in sandbox mode" if settings.sandbox else ""
    console.print(f"massdm serving on {base_url(settings)}{mode} with {workers} process(es) (database {shown})")
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
    open_store(settings, create=True)  # migrate once, before the processes start
    os.environ.update({"MASSDM_HOST": settings.host, "MASSDM_PORT": str(settings.port)})
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics adds up every process
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="massdm-metrics-")
    uvicorn.run("massdm.app:app_from_environment", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level="info")


@app.command("migrate")
def migrate_command() -> None:
    """Apply database migrations up to the newest."""
    settings = Settings()
    open_store(settings, create=True)
    console.print(f"database at {shown_url(settings.database_url)} is up to date")


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option("--name", help="Display name of the creator account.")],
    team: Annotated[str, typer.Option(help="Team slug; created if missing.")] = account_service.DEFAULT_TEAM_SLUG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a creator account in a team."""
    settings = Settings()
    try:
        with transaction(open_store(settings, create=True)) as connection:
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
        list[str] | None, typer.Option("--account", help="Limit the key to this account (repeatable).")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Team slug (default: the accounts' team, or 'default').")] = None,
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli",
    limit_minute: Annotated[int | None, typer.Option(help="Requests per minute.", min=1)] = None,
    limit_day: Annotated[int | None, typer.Option(help="Requests per day.", min=1)] = None,
    no_daily_limit: Annotated[bool, typer.Option("--no-daily-limit", help="A plan without a daily limit.")] = False,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="api (the provider's API, default) and/or fan (fan side).")
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
                first = account_service.get_account(connection, account_ids[0])
                if first is None:
                    fail(f"account {account_ids[0]} does not exist")
                owner = account_service.team_of(connection, first)
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
        print_json({"id": issued.id, "api_key": issued.api_key, "team": issued.team_slug,
                    "accounts": issued.account_ids, "scopes": sorted(scope or ["api"])})
    else:
        usable = ", ".join(issued.account_ids) if issued.account_ids else "every account of the team"
        console.print(f"key #{issued.id} for team {issued.team_slug}, usable on {usable} (shown once, keep it):")
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
        if account_service.get_account(connection, account) is None:
            fail(f"account {account} does not exist")
    try:
        total = fan_service.check_csv(file)
    except fan_service.CsvImportError as error:
        fail("nothing imported:\n  " + "\n  ".join(error.problems))
    rows = created = updated = 0
    with Progress(
        TextColumn("importing fans"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task("import", total=total)
        for batch in fan_service.csv_batches(file):  # one transaction per batch (services/fans.py says why)
            with transaction(engine) as connection:
                result = fan_service.upsert_fans(connection, account, batch, clock.now())
            rows, created, updated = rows + result.received, created + result.created, updated + result.updated
            progress.update(task, completed=rows)
    console.print(f"imported {rows} rows: {created} new fans, {updated} updated")


@credits_app.command("add")
def credits_add(
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to take away).")],
    team: Annotated[str, typer.Option(help="Team slug.")] = account_service.DEFAULT_TEAM_SLUG,
) -> None:
    """Top up (or reduce) a team's credit balance."""
    with transaction(open_store(Settings())) as connection:
        balance = account_service.add_credits(connection, team, amount)
    if balance is None:
        fail(f"team {team} does not exist")
    typer.echo(f"team {team} balance: {balance}")


@app.command()
def demo(
    fans: Annotated[int, typer.Option(help="How many demo fans.", min=0, max=1_000_000)] = 500,
    api_key: Annotated[str | None, typer.Option(help="Use this key (created once, then reused).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create (or reuse) a demo team, account, key, fans and two lists; print how to call them."""
    settings = Settings()
    with transaction(open_store(settings, create=True)) as connection:
        world = demo_service.set_up_demo(connection, settings, clock.now(), fans=fans, api_key=api_key)
    info = {"account": world.account, "api_key": world.api_key, "base_url": base_url(settings),
            "console_url": f"{base_url(settings)}/console"}
    if as_json:
        print_json(info)
        return
    console.print("[bold]massdm demo is ready[/bold]")
    console.print(f"  account:  {world.account}")
    console.print(f"  api key:  {world.api_key}")
    console.print(f"  base url: {info['base_url']}")
    console.print(f"  console:  {info['console_url']}  (sign in with the api key)")
    console.print(f"  fans:     {world.fans}; lists: {', '.join(f'{n} ({i})' for n, i in world.lists.items())}")
    curl = f"curl -H 'Authorization: Bearer {world.api_key}' {info['base_url']}/api/whoami"
    console.print(f"  try:      {curl}", soft_wrap=True)
