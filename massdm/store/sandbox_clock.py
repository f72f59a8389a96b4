"""The sandbox clock's row (`sandbox_clock`, id 1): its setting, and the lease of the advance under way.

`reader(engine)` gives massdm.clock.DrivenClock what it reads on every `now()`: one primary-key
SELECT on a connection of its own (apart from the requests' pool, so telling the time never waits
for, or holds, a connection a request needs). No row: the wall clock, running.

Advancing the clock takes many transactions (each due moment is run in its own), so two advances
must not interleave: `claim_advance` takes a lease on the row (by wall time, which an advance does
not move) and `release_advance` gives it back; a crashed advance's lease simply runs out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Row, create_engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from massdm.clock import ClockState
from massdm.store.dialect import upsert
from massdm.store.tables import sandbox_clock

_ROW = 1
_READ = select(sandbox_clock.c.frozen_at, sandbox_clock.c.offset_us).where(sandbox_clock.c.id == _ROW)


def _state(row: Row | None) -> ClockState:
    if row is None:
        return ClockState()
    return ClockState(frozen_at=row.frozen_at, offset=timedelta(microseconds=row.offset_us))


def read_state(connection: Connection) -> ClockState:
    return _state(connection.execute(_READ).first())


def write_state(connection: Connection, state: ClockState) -> None:
    offset_us = 0 if state.frozen else state.offset // timedelta(microseconds=1)
    values = {"frozen_at": state.frozen_at, "offset_us": offset_us}
    statement = upsert(connection, sandbox_clock).values(id=_ROW, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=[sandbox_clock.c.id], set_=values))


def claim_advance(connection: Connection, token: str, wall: datetime, lease: timedelta) -> bool:
    """Take the advance lease for `token` unless another advance holds it; True if taken."""
    connection.execute(upsert(connection, sandbox_clock).values(id=_ROW, frozen_at=None, offset_us=0)
                       .on_conflict_do_nothing(index_elements=[sandbox_clock.c.id]))
    c = sandbox_clock.c
    taken = connection.execute(
        update(sandbox_clock)
        .where(c.id == _ROW, (c.advancing.is_(None)) | (c.advancing_until < wall) | (c.advancing == token))
        .values(advancing=token, advancing_until=wall + lease)
    )
    return taken.rowcount == 1


def release_advance(connection: Connection, token: str) -> None:
    connection.execute(update(sandbox_clock).where(sandbox_clock.c.id == _ROW, sandbox_clock.c.advancing == token)
                       .values(advancing=None, advancing_until=None))


def reader(engine: Engine) -> Callable[[], ClockState]:
    """What a DrivenClock reads: the row, on one autocommit connection of its own beside `engine`'s
    pool, kept open (a read is one statement, no checkout, no transaction to end) and opened again
    if the database dropped it."""
    own = create_engine(engine.url, poolclass=QueuePool, pool_size=1, max_overflow=0,
                        connect_args=_connect_args(engine), isolation_level="AUTOCOMMIT")
    lock = threading.Lock()
    held: list[Connection] = []

    def read() -> ClockState:
        with lock:
            for attempt in (1, 2):
                if not held:
                    held.append(own.connect())
                try:
                    return read_state(held[0])
                except DBAPIError:
                    held.pop().invalidate()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    return read


def _connect_args(engine: Engine) -> dict:
    if engine.dialect.name == "sqlite":
        return {"check_same_thread": False, "timeout": 30}
    return {}
