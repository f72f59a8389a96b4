"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression


def upsert(connection: Connection, table: Table):  # noqa: ANN201 - dialect-specific Insert
    """An INSERT that supports `on_conflict_do_nothing` / `on_conflict_do_update` on this backend."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def unindexed(connection: Connection | str, column: ColumnElement) -> ColumnElement:
    """`column`, written so SQLite's planner cannot read it from an index (its no-op unary `+`), for an
    ORDER BY that must not pick the index that gives the order; PostgreSQL plans by statistics: as is.
    `connection` may be the dialect's name instead, for conditions built before a statement is run."""
    if (connection if isinstance(connection, str) else connection.dialect.name) == "sqlite":
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return column
