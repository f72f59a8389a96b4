"""Which rows of the store are a team's sandbox state: every table of `tables.metadata`, classified.

A table is one of:

- **data** (`DATA`): rows of the team, reached through a column or a parent (`by_account`, `via`,
  `by_team`, …). `level` says what removes them: "account" rows go with a reset of their account
  (and of the whole team), "team" rows (webhooks and their log) only with a whole-team reset.
  Reset deletes them; a snapshot copies them; restore puts them back, ids and all, except the few
  marked `saved=False` (stored idempotent responses), which reset and restore delete and no snapshot holds.
- **derived** (`DERIVED`): counts and versions kept from the data (fan tallies, expiry tallies,
  spend versions). Never copied: reset and restore rebuild them (store.snapshots.rebuild_derived),
  which also moves the versions page marks (store.page_marks) are checked against past every
  value they ever had, so no mark made before serves a position after.
- **kept** (`KEPT`): what a reset leaves, with why.
- **store-wide** (`STORE_WIDE`): belongs to no team.

tests/sandbox/test_reset.py fails when a table is in none of these (or in two): a new table is
one line here, such as `"engagement_settings": by_account(),`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Connection, Engine, Table, case, delete, exists, or_, select, text
from sqlalchemy.exc import DBAPIError

from massdm.store import fan_tallies
from massdm.store import tables as t
from massdm.store.db import lock, writing
from massdm.store.dialect import upsert
from massdm.store.sandbox_seed import bulk_cache

Level = Literal["account", "team"]


@dataclass(frozen=True)
class Target:
    """What a reset or a snapshot covers: some accounts of a team, and (whole) the team's own rows too."""

    team_id: int
    account_ids: tuple[str, ...]
    whole: bool  # every account of the team plus its team-level rows (webhooks, their log)

    def covers(self, level: Level) -> bool:
        return level == "account" or self.whole


Rows = Callable[[Table, Target], ColumnElement[bool]]


@dataclass(frozen=True)
class Data:
    level: Level
    rows: Rows  # the condition selecting the target's rows of the table
    saved: bool = True  # copied by a snapshot and put back by its restore (else only deleted)


def by_account(column: str = "account_id") -> Data:
    """Rows carrying the account's id."""
    return Data("account", lambda table, target: table.c[column].in_(target.account_ids))


def via(column: str, parent: Table, parent_key: str = "id", account_column: str = "account_id") -> Data:
    """Rows whose `column` names a row of `parent` that carries the account's id."""
    return Data("account", lambda table, target: table.c[column].in_(
        select(parent.c[parent_key]).where(parent.c[account_column].in_(target.account_ids))))


def by_team(column: str = "team_id", *, saved: bool = True) -> Data:
    return Data("team", lambda table, target: table.c[column] == target.team_id, saved)


def via_team(column: str, parent: Table, parent_key: str = "id") -> Data:
    """Team-level rows whose `column` names a row of `parent` that carries the team's id."""
    return Data("team", lambda table, target: table.c[column].in_(
        select(parent.c[parent_key]).where(parent.c.team_id == target.team_id)))


def _webhook_events(table: Table, target: Target) -> ColumnElement[bool]:
    """An event is the team's if it happened on one of its accounts, or (a test event, no account) was
    delivered to one of its webhooks."""
    deliveries = t.webhook_deliveries
    return or_(table.c.account_id.in_(select(t.accounts.c.id).where(t.accounts.c.team_id == target.team_id)),
               table.c.id.in_(select(deliveries.c.event_id).where(deliveries.c.webhook_id.in_(
                   select(t.webhooks.c.id).where(t.webhooks.c.team_id == target.team_id)))))


DATA: dict[str, Data] = {
    "fans": by_account(),
    "user_lists": by_account(),
    "user_list_members": by_account(),
    "media": by_account(),
    "media_files": via("media_id", t.media),
    "vault_lists": by_account(),
    "vault_list_media": via("list_id", t.vault_lists),
    "mass_messages": by_account(),
    "mass_message_user_ids": via("message_id", t.mass_messages),
    "mass_message_media": via("message_id", t.mass_messages),
    "delivery_chunks": via("message_id", t.mass_messages),
    "deliveries": by_account(),
    "purchases": by_account(),
    "saved_for_later_settings": by_account(),
    "webhooks": by_team(),
    "webhook_subscriptions": via_team("webhook_id", t.webhooks),
    "webhook_accounts": via_team("webhook_id", t.webhooks),
    "webhook_events": Data("team", _webhook_events),
    "webhook_deliveries": via_team("webhook_id", t.webhooks),
    "webhook_attempts": via_team("webhook_id", t.webhooks),
    "delivery_failures": by_account(),
    "sandbox_faults": by_team(),
    "sandbox_engagement": by_account(),
    # A stored response replays what a request did to the state it met; after a reset (or a restore) that
    # state is gone, so the same Idempotency-Key must run again. Not saved in snapshots: a restored state
    # replaying a response would answer for rows a later restore may not hold, and the bodies are bytes.
    # Team level: a limited key's reset of some accounts keeps them (a key's responses are not an account's).
    "idempotency_keys": by_team(saved=False),
}

DERIVED: dict[str, str] = {
    "fan_tallies": "recounted from the fans (store.fan_tallies.recount), its version moved on",
    "fan_expiry_tallies": "recounted from the fans with fan_tallies",
    "fan_spend_versions": "moved on: spend itself is a column of the fans",
}

KEPT: dict[str, str] = {
    "teams": "the team itself; its credit balance is the team's account with massdm, not sandbox data",
    "accounts": "the creator accounts: keys name them, so they outlive their data",
    "api_keys": "keys survive a reset, limits and all",
    "api_key_accounts": "a limited key's accounts, with the keys",
    "console_sessions": "console sign-ins are made with keys, and survive with them",
    "console_links": "one-time console sign-in links, with the keys they sign in",
    "sandbox_snapshots": "snapshots are what a reset is undone with",
    "sandbox_snapshot_rows": "the rows of the snapshots",
}

STORE_WIDE: dict[str, str] = {
    "instance": "this database's identity",
    "sandbox_clock": "one clock for the whole store; a whole-team reset sets it back to the wall clock",
}


def data_tables(target: Target) -> list[tuple[Table, Data]]:
    """The data tables `target` covers, parents before children (the order to insert in; delete reversed)."""
    return [(table, DATA[table.name]) for table in t.metadata.sorted_tables
            if table.name in DATA and target.covers(DATA[table.name].level)]


def saved_tables(target: Target) -> list[tuple[Table, Data]]:
    """The data tables a snapshot of `target` copies (as `data_tables`, without the unsaved ones)."""
    return [(table, data) for table, data in data_tables(target) if data.saved]


@dataclass(frozen=True)
class Holding:
    table: Table
    data: Data
    alone: bool  # every row of the table is the target's (asked only when a bare DELETE would be cheaper)


def holding_rows(connection: Connection, target: Target, *, ask_alone: bool = False) -> list[Holding]:
    """The data tables (as `data_tables`) in which the target has rows, asked in one statement: a small
    state is reset with a few DELETEs rather than one per table. With `ask_alone`, a second statement
    asks of just those whether they hold any row that is not the target's (a NULL condition, such as a
    test event of no account, counts as not the target's)."""
    tables = data_tables(target)
    found = connection.execute(select(*(exists().where(data.rows(table, target)).label(table.name)
                                        for table, data in tables))).one()._mapping
    held = [(table, data) for table, data in tables if found[table.name]]
    others: dict[str, bool] = {}
    if ask_alone and held:
        others = dict(connection.execute(select(*(exists().where(case((data.rows(table, target), 0), else_=1) == 1)
                                                  .label(table.name) for table, data in held))).one()._mapping)
    return [Holding(table, data, ask_alone and not others[table.name]) for table, data in held]


def classified() -> Sequence[str]:
    """Every table name the registry knows, once per class it is in (a name twice is a mistake)."""
    return [*DATA, *DERIVED, *KEPT, *STORE_WIDE]


def lock_team(connection: Connection, team_id: int) -> None:
    """Serialise resets, snapshots and restores of one team (PostgreSQL; SQLite's writes are serial)."""
    lock(connection, f"massdm:sandbox-state:{team_id}")


def skip_cascades(connection: Connection) -> None:
    """PostgreSQL: let this transaction skip the foreign keys' per-row triggers, when the role may
    (`session_replication_role` is a superuser setting, or granted with GRANT SET ON PARAMETER).

    Safe here: every table that refers to a data table is a data or derived table itself (tested),
    deleted first and put back last, so no cascade has anything left to do and no check can fail.
    It turns the 100k-fan reset from ~0.9 s of cascade triggers into ~0.1 s. Without the right,
    the same statements run with the triggers. SQLite: nothing (its checks are cheap; its cost is
    the indexes).
    """
    if connection.dialect.name != "postgresql":
        return
    savepoint = connection.begin_nested()
    try:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        savepoint.commit()
    except DBAPIError:
        savepoint.rollback()


@contextmanager
def state_transaction(engine: Engine) -> Iterator[Connection]:
    """The write transaction of a reset or a restore (store.db.transaction's, turn at the write lock
    included), on SQLite with the connection's foreign keys off for its length and a bulk page cache.

    Foreign keys off is what lets `delete_rows` empty a table the target holds alone by SQLite's
    truncate (a DELETE with no WHERE frees the table's pages whole instead of removing each row from
    each of its b-trees; SQLite does it only for a table in no enforced foreign key): 100k fans in
    ~0.1 s instead of ~0.7 s. Safe for the same reason as `skip_cascades` on PostgreSQL: every table
    that refers to a data table is a data or derived table itself (tested), deleted first and put
    back last, so no cascade has anything to do and no check can fail. The pragma can change only
    outside a transaction, so it is set on the driver before BEGIN and set back before the connection
    goes back to the pool, whatever happened.

    secure_delete=FAST for the same length: this SQLite build zeroes every freed page by default, so a
    truncate wrote the whole account back into the WAL at commit (~18k pages for 100k fans; ~40 now).
    FAST still scrubs what stays in b-tree pages; only freelist pages keep old sandbox bytes until reused.
    Durability is left as it is: with that, the commit writes a few pages and there is nothing to gain.
    """
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with writing(connection):
                yield connection
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        secure_delete = driver.execute("PRAGMA secure_delete").fetchone()[0]
        driver.execute("PRAGMA foreign_keys=OFF")
        driver.execute("PRAGMA secure_delete=FAST")
        try:
            with writing(connection), bulk_cache(connection, STATE_CACHE_MB):
                yield connection
        finally:
            driver.execute("PRAGMA foreign_keys=ON")
            driver.execute(f"PRAGMA secure_delete={int(secure_delete)}")


# Deleting 100k fans with SQLite's default 2 MB cache evicts and rereads the index pages it walks
# at random; 64 MB holds the whole account's pages (~20k of 4 KB for 100k fans and their deliveries).
STATE_CACHE_MB = 64


def _foreign_keys_off(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite" and not connection.exec_driver_sql("PRAGMA foreign_keys").scalar()


def delete_rows(connection: Connection, target: Target) -> dict[str, int]:
    """Delete the target's rows of every data table, children first (one DELETE per table), then
    rebuild what is derived from them. Rows deleted, by table.

    A table the target holds alone is emptied by a DELETE with no WHERE when that is SQLite's truncate
    (foreign keys off: `state_transaction`); the usual sandbox store, one team of its own, is reset
    that way whole. A table shared with others loses the target's rows one by one, as everywhere
    else. PostgreSQL keeps its row DELETEs: TRUNCATE would lock the tables against every other team's
    reads until commit, and its reset is ~0.3 s already (docs/sandbox.md)."""
    deleted = dict.fromkeys(DATA, 0)
    skip_cascades(connection)
    truncate = _foreign_keys_off(connection)
    for held in reversed(holding_rows(connection, target, ask_alone=truncate)):
        statement = delete(held.table) if held.alone else delete(held.table).where(held.data.rows(held.table, target))
        deleted[held.table.name] = connection.execute(statement).rowcount
    rebuild_derived(connection, target.account_ids)
    return deleted


def rebuild_derived(connection: Connection, account_ids: Sequence[str]) -> None:
    """Recount the accounts' fan tallies from their fan rows and move their audience and spend versions
    on: both only grow, so page marks made at any earlier version (in any process) are void."""
    for account_id in account_ids:
        fan_tallies.recount(connection, account_id)
        bump = upsert(connection, t.fan_spend_versions).values(account_id=account_id, version=1)
        connection.execute(bump.on_conflict_do_update(
            index_elements=[t.fan_spend_versions.c.account_id], set_={"version": t.fan_spend_versions.c.version + 1}))


def sole_team_slug(connection: Connection) -> str | None:
    """The slug of the store's one team; None when it has none or several (the CLI then asks for --team)."""
    slugs = connection.execute(select(t.teams.c.slug).limit(2)).scalars().all()
    return slugs[0] if len(slugs) == 1 else None
