"""A PostgreSQL schema of its own for one sandbox server, made when it starts and dropped when it stops.

The run's provisioning, not the store: massdm itself then migrates the empty schema like any
database, reached through the URL's `options=-csearch_path=<schema>` (as tests/backends.py does for
massdm's own suite). Straight on psycopg (massdm's driver), so nothing here is the store's SQL.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import psycopg
from psycopg import sql


def is_postgres(database_url: str) -> bool:
    return database_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def _conninfo(database_url: str) -> str:
    """The URL as psycopg takes it: without SQLAlchemy's `+driver`."""
    scheme, rest = database_url.split(":", 1)
    return f"{scheme.split('+', 1)[0]}:{rest}"


def create_schema(database_url: str, prefix: str = "massdm_testing") -> tuple[str, str]:
    """Create an empty schema named after `prefix` and a random part; returns (schema, the URL of it)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(database_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in database_url else "?"
    return schema, f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"


def drop_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(_conninfo(database_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
