"""Engines, transactions and migrations: how massdm reaches its database.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on,
and every transaction starts with BEGIN IMMEDIATE: a request's transaction takes the
write lock up front instead of failing mid-way when a read tries to become a write.
That also makes every SQLite transaction serial.

PostgreSQL (`postgresql://…`, driven by psycopg 3) runs at READ COMMITTED, so many
transactions run at once: every check-then-write in massdm is either one guarded
statement or takes `lock(connection, name)` first, which serialises just that name.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalise_url(database_url: str) -> URL:
    """`postgresql://` means psycopg 3 (SQLAlchemy's bare default is psycopg2, which massdm does not ship)."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_store_engine(
    database_url: str, *, sqlite_busy_timeout_ms: int = 30_000, pool_size: int = 10
) -> Engine:
    url = normalise_url(database_url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"massdm runs on SQLite or PostgreSQL, not {url.get_backend_name()}")

    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        # The driver must not open transactions on its own; the "begin" hook does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint=20000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read-only unit of work reads a WAL snapshot and never waits for (or blocks) writers.
        read_only = connection.get_execution_options().get("massdm_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def engine_for(settings) -> Engine:  # noqa: ANN001 - massdm.config.Settings
    return create_store_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                               pool_size=settings.database_pool_size)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration. Safe to call on every start, from many processes at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        lock(connection, "massdm:migrate")  # N API processes starting together migrate one after another
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def relax_durability(connection: Connection) -> None:
    """Let this transaction's commit return before its WAL reaches disk (PostgreSQL only).

    For work that is safe to redo: a crash may lose the last moments of such commits, all of
    each transaction or none of it, never part. SQLite (synchronous=NORMAL in WAL) is unchanged.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit = off"))


def lock(connection: Connection, name: str) -> None:
    """Hold `name` until this transaction ends, so check-then-write on it is serial across processes.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, BEGIN IMMEDIATE
    already made the whole transaction serial.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name})


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    with engine.begin() as connection:
        yield connection


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work (metrics, progress polling): on SQLite it does not take the write lock."""
    with engine.connect().execution_options(massdm_read_only=True) as connection:
        with connection.begin():
            yield connection


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
