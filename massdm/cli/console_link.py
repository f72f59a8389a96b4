"""`massdm console link`: a one-time sign-in link to the web console, for a team's key.

The link names no key: it carries a random token (only its hash is stored) that signs the first
browser to open it in as the key, within 15 minutes, once. Those minutes are the wall clock's, also in
sandbox mode: the server judges sessions and links by the wall clock, whatever the sandbox's says.
"""

from __future__ import annotations

from typing import Annotated

import typer

from massdm.cli.session import base_url, clock, console, fail, open_store
from massdm.config import Settings
from massdm.errors import MassdmError
from massdm.services import accounts as account_service
from massdm.services import console as console_service
from massdm.services.demo import DEMO_TEAM
from massdm.store.db import transaction

app = typer.Typer(help="The web console (/console).", no_args_is_help=True)


@app.command()
def link(
    team: Annotated[str | None, typer.Option(help="Team slug (default: 'default', the team `massdm accounts create` "
                                                  "makes; else 'demo', the one `make run` makes).")] = None,
    key_id: Annotated[int | None, typer.Option("--key-id", min=1, help="Sign in as this key of the team (its # on "
                                               "the keys page); default: its oldest key for every account.")] = None,
) -> None:
    """Print a one-time sign-in link to the console (valid 15 minutes, for one browser)."""
    settings = Settings()
    engine = open_store(settings)
    now = clock.now()
    try:
        with transaction(engine) as connection:
            slug = team or next((s for s in (account_service.DEFAULT_TEAM_SLUG, DEMO_TEAM)
                                 if account_service.team_exists(connection, s)), None)
            if slug is None:
                fail(f"there is no team {account_service.DEFAULT_TEAM_SLUG!r} or {DEMO_TEAM!r}: create an account "
                     "first (massdm accounts create), or name the team with --team")
            token = console_service.issue_link(connection, slug, now, key_id=key_id)
    except MassdmError as error:
        fail(error.message)
    console.print("Open this within 15 minutes to sign in (it works once):")
    typer.echo(f"{base_url(settings)}/console/link/{token}")
