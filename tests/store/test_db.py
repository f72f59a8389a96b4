"""The store: migrations build exactly the declared schema (on either backend), SQLite runs with the promised
settings."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from massdm.store.db import create_store_engine, migrate
from massdm.store.tables import metadata
from tests.backends import database_url


def test_migrations_build_the_declared_schema_and_are_rerunnable(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    migrate(engine)
    migrate(engine)  # a second start changes nothing
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'p.db'}", sqlite_busy_timeout_ms=1234)
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 1234


def test_database_directory_is_created(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'x.db'}")
    migrate(engine)
    assert (tmp_path / "nested" / "dir" / "x.db").exists()


def test_a_sqlite_snapshot_refuses_writes_and_its_connection_writes_again_afterwards(tmp_path):
    """GET requests read in snapshots: one that tried to write would wait for the lock it must never take."""
    import pytest
    from sqlalchemy.exc import OperationalError

    from massdm.store.db import snapshot, transaction

    engine = create_store_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(engine)
    with pytest.raises(OperationalError, match="readonly"), snapshot(engine) as connection:
        connection.execute(text("INSERT INTO instance (id, secret) VALUES (2, 'x')"))
    with transaction(engine) as connection:  # the same pooled connection, a write transaction: allowed
        connection.execute(text("INSERT INTO instance (id, secret) VALUES (2, 'x')"))
    with snapshot(engine) as connection:
        assert connection.execute(text("SELECT count(*) FROM instance")).scalar() == 2
