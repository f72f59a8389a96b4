"""Seeded audiences (docs/sandbox.md): `POST /sandbox/v1/seed` and `massdm sandbox seed`.

One transaction: the account (a new one, unless given), the fans of the seed (store.sandbox_seed, one
INSERT … SELECT), the magic fans if asked, the account's tallies recounted from its rows, the custom
lists and their members. Either all of it is there afterwards or none of it. Fan ids are fixed by the
index (domain.seed_profile), so seeding ids the account already has is a 409: seeding never changes a
fan that exists. Dates are offsets from the sandbox clock's now (to the second): freeze the clock, and
the same seed gives byte-identical rows.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from massdm.clock import Clock
from massdm.domain import seed_profile as sp
from massdm.domain.seed_profile import MagicSeed, SeedProfile
from massdm.errors import Conflict, NotFound, ValidationFailed
from massdm.services import accounts as account_service
from massdm.store import fan_tallies, sandbox_seed
from massdm.store import teams as team_store
from massdm.store import user_lists as list_store
from massdm.store.db import transaction


@dataclass(frozen=True)
class SeedRequest:
    fans: int
    seed: int | None = None  # None: a random one, reported back
    profile: SeedProfile = SeedProfile()
    magic_fans: bool = False
    account_id: str | None = None  # None: a new account in `team_id`
    team_id: int | None = None


@dataclass(frozen=True)
class SeededList:
    id: int
    name: str
    rule: str
    members: int


@dataclass(frozen=True)
class Seeded:
    account_id: str
    account_created: bool
    seed: int
    now: datetime  # what the fans' dates are offsets from
    fans: int
    first_id: int | None
    last_id: int | None
    profile: SeedProfile
    lists: list[SeededList]
    magic: list[MagicSeed]
    seconds: float


def check(request: SeedRequest) -> None:
    """The limits of a seed, as 422s naming the field (the API's schema checks them too)."""
    if not 0 <= request.fans <= sp.MAX_FANS:
        raise ValidationFailed.field("fans", f"The fans field must be a whole number from 0 to {sp.MAX_FANS:,}.")
    if request.seed is not None and not 0 <= request.seed <= sp.MAX_SEED:
        raise ValidationFailed.field("seed", f"The seed field must be a whole number from 0 to {sp.MAX_SEED:,}.")


def check_new_account(account_id: str | None, all_accounts: bool) -> None:
    """A new account (no `account_id`) is made only for a key of every account of the team; a
    limited key names one of its own (422 on `account`)."""
    if account_id is None and not all_accounts:
        raise ValidationFailed.field("account", "This key may use only some of the team's accounts: name one of "
                                     "them in `account`. Seeding a new account takes a key for every account.")


def seed_audience(engine: Engine, clock: Clock, request: SeedRequest) -> Seeded:
    """Make what `request` asks for, in one transaction; 409 if any of its fan ids exist in the account."""
    check(request)
    started = time.monotonic()
    seed = request.seed if request.seed is not None else secrets.randbelow(sp.MAX_SEED + 1)
    magic = sp.magic_fans() if request.magic_fans else []
    count, profile = request.fans, request.profile
    with transaction(engine) as connection, sandbox_seed.bulk_cache(connection):
        now = sandbox_seed.anchor(clock.now())
        if request.account_id is None:
            team = team_store.get_team(connection, request.team_id) if request.team_id is not None else None
            if team is None:
                raise NotFound("The team to create the seeded account in was not found.")
            account_id = account_service.create_account(connection, team=team, display_name=f"Sandbox {seed}",
                                                        username=f"sandbox{seed}", now=now).id
        else:
            account_id = request.account_id
            if account_service.get_account(connection, account_id) is None:
                raise NotFound(f"Account {account_id} was not found.")
        fan_tallies.begin_change(connection, account_id)  # one seed of an account at a time (PostgreSQL)
        ranges = ([(sp.fan_id(1), sp.fan_id(count))] if count else []) + [(m.id, m.id) for m in magic]
        taken, lowest, highest = sandbox_seed.taken_ids(connection, account_id, ranges)
        if taken:
            raise Conflict(f"Account {account_id} already has {taken:,} of the fan ids this seed makes "
                           f"({lowest}..{highest}): seeding never changes a fan that exists. Seed a new account "
                           "(leave out `account`), or reset this one first.")
        sandbox_seed.insert_seeded_fans(connection, account_id, seed, count, profile, now)
        sandbox_seed.insert_magic_fans(connection, account_id, magic, now)
        fan_tallies.recount(connection, account_id)
        lists = []
        if profile.custom_lists:
            for rule in sp.CUSTOM_LISTS:
                custom = list_store.create_list(connection, account_id, rule.name, now)
                members = sandbox_seed.add_seeded_members(connection, custom.id, account_id, rule.rule, count, now)
                lists.append(SeededList(custom.id, rule.name, rule.rule, members))
        if count >= 10_000:
            sandbox_seed.analyze(connection)
    return Seeded(account_id=account_id, account_created=request.account_id is None, seed=seed, now=now,
                  fans=count, first_id=sp.fan_id(1) if count else None, last_id=sp.fan_id(count) if count else None,
                  profile=profile, lists=lists, magic=magic, seconds=time.monotonic() - started)
