"""Reset (docs/sandbox.md): a team's sandbox data back to empty, keys and accounts kept.

One transaction of set-based DELETEs (store.team_state). An account's reset removes that account's
data; the whole team's also its webhooks, their events, deliveries and log, and sets the clock,
which the whole store shares, back to the wall clock, running.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from massdm.clock import ClockState
from massdm.errors import NotFound, ValidationFailed
from massdm.store import sandbox_clock as clock_store
from massdm.store import team_state
from massdm.store.accounts import list_team_accounts
from massdm.store.db import transaction
from massdm.store.team_state import Target
from massdm.store.teams import get_team_by_slug


@dataclass(frozen=True)
class Reset:
    accounts: tuple[str, ...]
    whole: bool  # the team's own rows and the clock too
    deleted: dict[str, int]  # rows by table
    seconds: float


def target(team_id: int, controlled: Sequence[str], all_accounts: bool, account_id: str | None) -> Target:
    """What a key resets: the account it names, or every account it controls (the whole team, webhooks
    and clock included, only for a key of every account)."""
    if account_id is not None:
        return Target(team_id, (account_id,), whole=False)
    return Target(team_id, tuple(controlled), whole=all_accounts)


def reset(engine: Engine, to_reset: Target) -> Reset:
    started = time.perf_counter()
    with team_state.state_transaction(engine) as connection:
        team_state.lock_team(connection, to_reset.team_id)
        deleted = team_state.delete_rows(connection, to_reset)
        if to_reset.whole:
            clock_store.write_state(connection, ClockState())
    return Reset(to_reset.account_ids, to_reset.whole, deleted, time.perf_counter() - started)


def team_target(engine: Engine, slug: str | None, account_id: str | None = None) -> Target:
    """The CLI's target: the team of `slug` (None: the store's only team), whole or one of its
    accounts (404 for another team's)."""
    with transaction(engine) as connection:
        slug = slug if slug is not None else team_state.sole_team_slug(connection)
        if slug is None:
            raise ValidationFailed.field("team", "Name the team with --team SLUG: the store has several (or none).")
        team = get_team_by_slug(connection, slug)
        if team is None:
            raise NotFound(f"Team {slug} was not found.")
        accounts = tuple(sorted(a.id for a in list_team_accounts(connection, team.id)))
    if account_id is not None and account_id not in accounts:
        raise NotFound(f"Account {account_id} was not found.")
    return target(team.id, accounts, True, account_id)
