"""A team's saved sandbox states: `sandbox_snapshots` (one per name) and their rows in `sandbox_snapshot_rows`.

Every data table of store.team_state is copied set-based, one INSERT … SELECT per table, each row
as a JSON object of its columns (`to_json(t)` on PostgreSQL, `json_object(…)` on SQLite), and put
back the same way (`json_populate_record` / `json_extract`), ids and all. One table holds the rows
of every table, so a new team table needs its registry line and nothing else; a snapshot is
restored only at the schema revision it was taken at, so its columns are those of the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, func, insert, literal, select, text
from sqlalchemy.exc import IntegrityError

from massdm.clock import ClockState
from massdm.store import team_state
from massdm.store.tables import sandbox_snapshot_rows as rows
from massdm.store.tables import sandbox_snapshots as snapshots
from massdm.store.team_state import Target


class IdsTaken(Exception):
    """A row put back would take an id another row holds now (on SQLite, another team may have been
    given an id a reset freed)."""


@dataclass(frozen=True)
class Snapshot:
    id: int
    team_id: int
    name: str
    created_at: datetime
    revision: str
    clock: ClockState
    sizes: dict[str, int]  # rows by table

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def _snapshot(row) -> Snapshot:  # noqa: ANN001
    m = row._mapping
    return Snapshot(m["id"], m["team_id"], m["name"], m["created_at"], m["revision"],
                    ClockState(frozen_at=m["clock_frozen_at"], offset=timedelta(microseconds=m["clock_offset_us"])),
                    dict(m["sizes"]))


def read_one_moment(connection: Connection) -> None:
    """PostgreSQL: make every statement of this transaction read the same snapshot (REPEATABLE READ), so
    the tables copied one after another agree with each other while others write. The transaction's
    first statement; SQLite's transactions are serial already."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


def schema_revision(connection: Connection) -> str:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def find(connection: Connection, team_id: int, name: str) -> Snapshot | None:
    row = connection.execute(select(snapshots).where(snapshots.c.team_id == team_id, snapshots.c.name == name)).first()
    return _snapshot(row) if row else None


def list_for_team(connection: Connection, team_id: int) -> list[Snapshot]:
    found = connection.execute(select(snapshots).where(snapshots.c.team_id == team_id)
                               .order_by(snapshots.c.created_at, snapshots.c.id))
    return [_snapshot(row) for row in found]


def create(connection: Connection, target: Target, name: str, clock: ClockState, now: datetime) -> Snapshot:
    """Save the target's rows of every data table under `name` (the caller checked it is free)."""
    offset_us = 0 if clock.frozen else clock.offset // timedelta(microseconds=1)
    snapshot_id = connection.execute(insert(snapshots).values(
        team_id=target.team_id, name=name, created_at=now, revision=schema_revision(connection),
        clock_frozen_at=clock.frozen_at, clock_offset_us=offset_us, sizes={},
    ).returning(snapshots.c.id)).scalar_one()
    for table, data in team_state.saved_tables(target):
        connection.execute(insert(rows).from_select(
            ["snapshot_id", "table_name", "row"],
            select(literal(snapshot_id), literal(table.name), _as_json(connection, table))
            .where(data.rows(table, target)),
        ))
    counted = connection.execute(select(rows.c.table_name, func.count()).where(rows.c.snapshot_id == snapshot_id)
                                 .group_by(rows.c.table_name))
    sizes = {table.name: 0 for table, _ in team_state.saved_tables(target)} | {name: n for name, n in counted}
    connection.execute(snapshots.update().where(snapshots.c.id == snapshot_id).values(sizes=sizes))
    found = find(connection, target.team_id, name)
    assert found is not None
    return found


def restore_rows(connection: Connection, snapshot: Snapshot, target: Target) -> None:
    """Insert the snapshot's rows back, parents first (the target's rows were deleted), then rebuild
    what is derived and, on PostgreSQL, keep every id sequence ahead of the ids put back."""
    for table, _ in team_state.saved_tables(target):
        if snapshot.sizes.get(table.name):
            try:
                _insert_back(connection, table, snapshot.id)
            except IntegrityError as error:
                raise IdsTaken(table.name) from error
            _keep_sequence_ahead(connection, table)
    team_state.rebuild_derived(connection, target.account_ids)


def remove(connection: Connection, snapshot_id: int) -> None:
    connection.execute(delete(rows).where(rows.c.snapshot_id == snapshot_id))
    connection.execute(delete(snapshots).where(snapshots.c.id == snapshot_id))


def _as_json(connection: Connection, table: Table):  # noqa: ANN202 - a SQL expression
    if connection.dialect.name == "postgresql":
        return func.to_json(table.table_valued())
    pairs = []
    for column in table.columns:
        pairs += [literal(column.name), column]
    return func.json_object(*pairs)


def _insert_back(connection: Connection, table: Table, snapshot_id: int) -> None:
    quote = connection.dialect.identifier_preparer.quote
    names = [column.name for column in table.columns]
    into = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
    where = "WHERE s.snapshot_id = :snapshot_id AND s.table_name = :table_name"
    if connection.dialect.name == "postgresql":
        statement = (into + f"SELECT {', '.join('r.' + quote(n) for n in names)} FROM sandbox_snapshot_rows s "
                     f"CROSS JOIN LATERAL json_populate_record(NULL::{quote(table.name)}, s.row) AS r {where}")
    else:
        extracted = ", ".join(f"json_extract(s.row, '$.{n}')" for n in names)
        statement = into + f"SELECT {extracted} FROM sandbox_snapshot_rows s {where}"
    connection.execute(text(statement), {"snapshot_id": snapshot_id, "table_name": table.name})


def _keep_sequence_ahead(connection: Connection, table: Table) -> None:
    """PostgreSQL: the id sequence never hands out an id put back (SQLite's rowids follow the highest id)."""
    column = table.autoincrement_column
    if connection.dialect.name != "postgresql" or column is None:
        return
    sequence = connection.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                  {"table": table.name, "column": column.name}).scalar()
    if sequence is None:
        return
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(
        f"SELECT setval(CAST(:sequence AS regclass), (SELECT max({quote(column.name)}) FROM {quote(table.name)})) "
        f"WHERE (SELECT max({quote(column.name)}) FROM {quote(table.name)}) >= "
        f"(SELECT last_value FROM {sequence})"
    ), {"sequence": sequence})
