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

import asyncio
import threading
import weakref
from collections import deque
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator, TypeVar

import anyio.to_thread

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


class WriteTurns:
    """First come, first served turns at SQLite's single write lock, for this process's threads and tasks.

    SQLite's own busy handler makes a waiting writer sleep and retry, so under load the lock
    sits idle between sleeps; here a finished writer hands the lock straight to the next in
    line. Asyncio tasks wait without holding a thread. Ownership is not tied to a thread (a
    request's transaction begins and ends in different pool threads). Other processes still
    meet at SQLite's lock, under its busy timeout.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout  # how long a thread waits before giving up, like SQLite's busy timeout
        self._mutex = threading.Lock()
        self._taken = False
        self._queue: deque[threading.Event | tuple[asyncio.AbstractEventLoop, asyncio.Future]] = deque()

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
                raise TimeoutError("waited too long for the database's write lock")
        # handed over just as the wait ran out: the turn is ours

    async def acquire_async(self) -> None:
        loop = asyncio.get_running_loop()
        with self._mutex:
            if not self._taken:
                self._taken = True
                return
            waiter = (loop, loop.create_future())
            self._queue.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._mutex:
                if waiter in self._queue:
                    self._queue.remove(waiter)
                    raise
            self.release()  # the turn was handed over as the task was cancelled: pass it on
            raise

    def release(self) -> None:
        with self._mutex:
            if not self._queue:
                self._taken = False
                return
            waiter = self._queue.popleft()
        if isinstance(waiter, threading.Event):
            waiter.set()
        else:
            loop, future = waiter
            loop.call_soon_threadsafe(_hand_over, future)


def _hand_over(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


_TURNS: "weakref.WeakKeyDictionary[Engine, WriteTurns]" = weakref.WeakKeyDictionary()
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

    _TURNS[engine] = WriteTurns(timeout=sqlite_busy_timeout_ms / 1000)

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


@asynccontextmanager
async def write_turn(engine: Engine) -> AsyncIterator[None]:
    """Wait (without holding a thread) for this process's turn at SQLite's write lock; nothing on PostgreSQL.

    Transactions opened while the turn is held, also from threads started meanwhile with
    `in_thread`, do not wait again.
    """
    turns = _TURNS.get(engine)
    if turns is None or _TURN_HELD.get():
        yield
        return
    await turns.acquire_async()
    token = _TURN_HELD.set(True)
    try:
        yield
    finally:
        try:
            _TURN_HELD.reset(token)
        except ValueError:  # left from another context (a dependency's teardown): just clear it
            _TURN_HELD.set(False)
        turns.release()


async def in_thread_with_turn(engine: Engine, work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a worker thread, its transactions taking the write turn first (waited for here)."""
    async with write_turn(engine):
        return await anyio.to_thread.run_sync(lambda: work(*args))


def begin_if_free(connection: Connection) -> bool:
    """Begin `connection`'s transaction only if that needs no waiting; False if it would have to wait.

    On SQLite, BEGIN IMMEDIATE waits (up to the busy timeout) only while another process holds
    the write lock; this tries it with no busy timeout at all, so a caller on the event loop can
    begin right there and go to a thread only in that case. On PostgreSQL beginning may wait on
    the network, so the answer is always False (begin in a thread).
    """
    if not is_sqlite(connection.engine):
        return False
    raw = connection.connection.driver_connection
    (timeout_ms,) = raw.execute("PRAGMA busy_timeout").fetchone()
    raw.execute("PRAGMA busy_timeout=0")
    try:
        connection.begin()
        return True
    except OperationalError as error:
        if "locked" not in str(error.orig) and "busy" not in str(error.orig):
            raise
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")


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
