"""`massdm sandbox seed`: the twin of POST /sandbox/v1/seed (docs/sandbox.md), on the store itself."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from massdm.cli.session import console, fail, open_store, print_json
from massdm.config import Settings
from massdm.domain import seed_profile
from massdm.errors import MassdmError
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox import seed as sandbox_seed
from massdm.services import accounts as account_service
from massdm.store.db import transaction


def seed(
    fans: Annotated[int, typer.Option(help="How many fans (0 to 1,000,000).")] = 1000,
    seed: Annotated[int | None, typer.Option(help="Same seed, same fans; default: a random one.")] = None,
    account: Annotated[str | None, typer.Option(help="Seed this account (default: a new one in --team).")] = None,
    team: Annotated[str, typer.Option(help="Team slug of the new account; created if missing.")] =
        account_service.DEFAULT_TEAM_SLUG,
    profile: Annotated[str | None, typer.Option(help='The profile as JSON, e.g. \'{"expiredShare": 0.5}\'.')] = None,
    magic_fans: Annotated[bool, typer.Option("--magic-fans", help="Also make a few magic fans of each kind.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Seed an audience: N reproducible fans, a few custom lists, magic fans if asked."""
    settings = Settings().model_copy(update={"sandbox": True})
    engine = open_store(settings)
    clock = sandbox_clock.driven_clock(engine)
    try:
        document = None if profile is None else json.loads(profile)
        team_id = None
        if account is None:
            with transaction(engine) as connection:
                team_id = account_service.ensure_team(connection, slug=team, name=None,
                                                      credits=settings.default_credits, now=clock.now()).id
        seeded = sandbox_seed.seed_audience(engine, clock, sandbox_seed.SeedRequest(
            fans=fans, seed=seed, profile=seed_profile.from_document(document), magic_fans=magic_fans,
            account_id=account, team_id=team_id))
    except json.JSONDecodeError as error:
        fail(f"--profile is not JSON: {error}")
    except MassdmError as error:
        fail(str(error) if not error.errors else "; ".join(f"{k}: {v[0]}" for k, v in error.errors.items()))
    if as_json:
        from massdm.api.schemas.sandbox_seed import SeedOut

        print_json(SeedOut.of(seeded).model_dump(by_alias=True))
        return
    console.print(f"seeded {seeded.fans:,} fans (seed {seeded.seed}) into {seeded.account_id} "
                  f"in {seeded.seconds:.2f} s")
    for custom in seeded.lists:
        console.print(f"list {custom.id} {custom.name!r}: {custom.members:,} fans")
    for magic in seeded.magic:
        console.print(f"magic fan {magic.id} {magic.username} ({magic.reason})")
