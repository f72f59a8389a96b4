"""Snapshots (docs/sandbox.md): save a team's whole sandbox state under a name, bring it back.

Saving copies every data table's rows of the team (store.snapshots) and records the clock; restoring
is a whole-team reset and the rows put back, ids and all, in one transaction, then the clock as it
was. Media files are not copied: a snapshot holds the media records, whose files (random names,
never rewritten) stay on disk until deleted by hand.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from massdm.clock import Clock
from massdm.errors import Conflict, NotFound, ValidationFailed
from massdm.store import message_claims as claim_store
from massdm.store import sandbox_clock as clock_store
from massdm.store import snapshots as snapshot_store
from massdm.store import team_state
from massdm.store.db import transaction
from massdm.store.snapshots import Snapshot
from massdm.store.team_state import Target

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1 to 64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit."


@dataclass(frozen=True)
class Restored:
    snapshot: Snapshot
    seconds: float


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ValidationFailed.field("name", f"A snapshot's name is {NAME_RULE}")
    return name


def _whole(target: Target) -> Target:
    if not target.whole:
        raise NotFound("Snapshots are of the whole team: use a key of every account of the team.")
    return target


def _find(connection, team_id: int, name: str) -> Snapshot:  # noqa: ANN001 - a Connection
    found = snapshot_store.find(connection, team_id, check_name(name))
    if found is None:
        raise NotFound(f"Snapshot {name} was not found.")
    return found


def save(engine: Engine, clock: Clock, target: Target, name: str) -> Snapshot:
    """Save the team's state as `name`; a name already saved is a 409 (delete it first to replace it)."""
    check_name(name)
    with transaction(engine) as connection:
        snapshot_store.read_one_moment(connection)
        team_state.lock_team(connection, _whole(target).team_id)
        if snapshot_store.find(connection, target.team_id, name) is not None:
            raise Conflict(f"A snapshot named {name} already exists; delete it first to save another under it.")
        return snapshot_store.create(connection, target, name, clock_store.read_state(connection), clock.now())


def restore(engine: Engine, target: Target, name: str) -> Restored:
    started = time.perf_counter()
    with team_state.state_transaction(engine) as connection:
        team_state.lock_team(connection, _whole(target).team_id)
        snapshot = _find(connection, target.team_id, name)
        revision = snapshot_store.schema_revision(connection)
        if snapshot.revision != revision:
            raise Conflict(f"Snapshot {name} was saved at schema revision {snapshot.revision}; this store is at "
                           f"{revision}, so it cannot be restored.")
        team_state.delete_rows(connection, target)
        try:
            snapshot_store.restore_rows(connection, snapshot, target)
        except snapshot_store.IdsTaken as taken:
            raise Conflict(f"Snapshot {name} cannot be restored: ids of its {taken} are taken by rows made since "
                           "(by another team of this store). Nothing was changed.") from taken
        # Leases held when the snapshot was taken belong to workers that are not delivering these rows now.
        claim_store.release_all(connection, list(target.account_ids))
        clock_store.write_state(connection, snapshot.clock)
    return Restored(snapshot, time.perf_counter() - started)


def listing(engine: Engine, team_id: int) -> list[Snapshot]:
    with transaction(engine) as connection:
        return snapshot_store.list_for_team(connection, team_id)


def delete(engine: Engine, target: Target, name: str) -> Snapshot:
    with transaction(engine) as connection:
        team_state.lock_team(connection, _whole(target).team_id)
        snapshot = _find(connection, target.team_id, name)
        snapshot_store.remove(connection, snapshot.id)
    return snapshot
