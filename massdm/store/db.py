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

import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from massdm.store.hot import driver_errors

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class WriteTurnTimeout(TimeoutError):
    """Waited the busy timeout for SQLite's write lock in this process: the database is overloaded."""


class WriteTurns:
    """First come, first served turns at SQLite's single write lock, for this process's threads.

    SQLite's own busy handler makes a waiting writer sleep and retry, so under load the lock
    sits idle between sleeps; here a finished writer hands the lock straight to the next in
    line. Every unit of work waits for its turn in the worker thread that runs it, and the
    turn's holder always runs in a thread of its own, so a holder never waits for a thread
    (api/admission.py bounds how many threads may wait here). Other processes still meet at
    SQLite's lock, under its busy timeout.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout  # how long a thread waits before giving up, like SQLite's busy timeout
        self._mutex = threading.Lock()
        self._taken = False
        self._queue: deque[threading.Event] = deque()

    def acquire(self, timeout: float | None = None) -> None:
        timeout = self.timeout if timeout is None else timeout
        with self._mutex:
            if not self._taken:
                self._taken = True
                return
            waiter = threading.Event()
            self._queue.append(waiter)
        if waiter.wait(timeout):
            return
        with self._mutex:
            if waiter in self._queue:
                self._queue.remove(waiter)
                raise WriteTurnTimeout("waited too long for the database's write lock")
        # handed over just as the wait ran out: the turn is ours

    def release(self) -> None:
        with self._mutex:
            if not self._queue:
                self._taken = False
                return
            waiter = self._queue.popleft()
        waiter.set()


_TURNS: weakref.WeakKeyDictionary[Engine, WriteTurns] = weakref.WeakKeyDictionary()
_TURN_HELD: ContextVar[bool] = ContextVar("massdm_write_turn_held", default=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalise_url(database_url: str) -> URL:
    """`postgresql://` means psycopg 3 (SQLAlchemy's bare default is psycopg2, which massdm does not ship)."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_store_engine(
    database_url: str, *, sqlite_busy_timeout_ms: int = 30_000, pool_size: int = 10, pool_timeout: float = 10.0
) -> Engine:
    """An engine whose pool holds `pool_size` connections (PostgreSQL; SQLite's are local and cheap).

    A checkout that finds none free waits `pool_timeout` seconds, then fails as unavailable
    (`is_unavailable`): a caller sized to the pool never meets that wait.
    """
    url = normalise_url(database_url)
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=2, pool_timeout=pool_timeout)
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"massdm runs on SQLite or PostgreSQL, not {url.get_backend_name()}")

    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000},
        pool_size=max(pool_size, 64),
        pool_use_lifo=True,  # the connection used last keeps the freshest page cache (docs/benchmarks.md)
        max_overflow=16,
        pool_timeout=pool_timeout,
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

    _TURNS[engine] = WriteTurns(timeout=sqlite_busy_timeout_ms / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A read-only unit of work reads a WAL snapshot and never waits for (or blocks) writers;
        # query_only makes a write attempted in one fail loudly instead of waiting for the lock.
        # Straight on the driver: these run twice per request, and SQLAlchemy's execution machinery
        # costs ten times what SQLite takes to run them (docs/benchmarks.md).
        read_only = connection.get_execution_options().get("massdm_read_only", False)
        record = connection.connection
        driver = record.driver_connection
        assert driver is not None
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        with driver_errors(connection, begin):  # "database is locked" past the busy timeout, say
            if record.info.get("massdm_query_only", False) != read_only:  # kept across checkouts
                driver.execute(f"PRAGMA query_only={1 if read_only else 0}")
                record.info["massdm_query_only"] = read_only
            driver.execute(begin)

    return engine


def shown_url(database_url: str) -> str:
    """The database URL as it may be printed: without its password."""
    return make_url(database_url).render_as_string(hide_password=True)


def engine_for(settings, *, pool_size: int | None = None) -> Engine:  # noqa: ANN001 - massdm.config.Settings
    return create_store_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                               pool_size=pool_size or settings.database_pool_size)


def sqlite_file(database_url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL and for an in-memory database)."""
    url = normalise_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().resolve()


def exists(database_url: str) -> bool:
    """Whether the URL names a massdm store already made (migrated at least once): never creates one.

    A SQLite file that is not there is not opened (that would create it); otherwise the
    migrations' own table tells.
    """
    file = sqlite_file(database_url)
    if file is not None and not file.exists():
        return False
    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()


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
    """One unit of work: commits when the block ends, rolls back if it raises.

    On SQLite it first waits for this process's turn at the write lock (see WriteTurns),
    unless the caller already holds the turn (`write_turn`).
    """
    turns = _TURNS.get(engine)
    if turns is None or _TURN_HELD.get():
        with engine.begin() as connection:
            yield connection
        return
    turns.acquire()
    token = _TURN_HELD.set(True)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        _TURN_HELD.reset(token)
        turns.release()


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work (GET requests, metrics, progress polling).

    On SQLite it reads a WAL snapshot: it takes no write lock and never waits for one, and a
    write attempted inside it fails. On PostgreSQL it is an ordinary READ COMMITTED transaction.
    """
    with engine.connect().execution_options(massdm_read_only=True) as connection:
        connection.begin()  # not as a context: `writing` may end it and go on in a write transaction
        yield connection
        connection.commit()  # whichever transaction is open; leaving on an error closes, which rolls back


@contextmanager
def writing(connection: Connection) -> Iterator[Connection]:
    """End the snapshot `connection` reads in, and go on writing on the same connection: a write
    transaction (after this process's turn at SQLite's write lock) that commits when the block ends.

    What a GET writes at its end (its charge, the key's last use) goes this way: no second
    connection, and the write lock is held only for those few statements.
    """
    connection.commit()
    turns = _TURNS.get(connection.engine)
    if turns is not None and not _TURN_HELD.get():
        turns.acquire()
        token = _TURN_HELD.set(True)
    else:
        turns, token = None, None
    try:
        connection.execution_options(massdm_read_only=False)
        with connection.begin():
            yield connection
    finally:
        if turns is not None and token is not None:
            _TURN_HELD.reset(token)
            turns.release()


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot serve right now (gone, unreachable, overloaded),
    as opposed to a bug: a connection that failed or was lost, an exhausted pool, a lock waited for
    until the busy timeout."""
    if isinstance(error, (PoolTimeout, WriteTurnTimeout)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        text_ = str(error.orig).lower()
        if any(word in text_ for word in ("database is locked", "database is busy", "connection", "server closed",
                                          "terminating", "could not receive", "timeout", "the database system")):
            return True
    return False
