"""How many requests do database work at once, and the answer for the rest: 503, never a hang.

Everything a request does with the database runs in one worker thread (a "trip"), in one of
two bounded sets of places: reads (GET) and writes (everything else), so a burst of slow
reads can never take the places writes need, nor the other way round. A request waits for a
place on the event loop holding nothing (no thread, no connection) and is answered 503 with
`Retry-After` if none frees up within `wait_seconds`. A trip checks its connection out in its
own thread and gives it back before the thread is returned, and the pool has a connection for
every place (`create_app`), so no thread ever waits for a connection held by a request that
waits for a thread: the deadlock of a shared pool of both cannot form.

The same trips carry what the middleware and error handlers need from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Callable, Literal, TypeVar

import anyio
import anyio.to_thread

from massdm.errors import ServiceUnavailable
from massdm.store.db import is_unavailable

T = TypeVar("T")
Kind = Literal["read", "write"]
log = logging.getLogger("massdm.api")
RETRY_AFTER_SECONDS = 1
_LOG_EVERY = 30.0  # seconds between two log lines about the same outage


@dataclass(frozen=True)
class Places:
    reads: int
    writes: int
    wait_seconds: float

    @property
    def total(self) -> int:
        return self.reads + self.writes


class _Limits:
    """The places and the thread limiter of one event loop (TestClient runs each client on a loop of its own)."""

    def __init__(self, places: Places) -> None:
        self.places = {"read": anyio.CapacityLimiter(places.reads), "write": anyio.CapacityLimiter(places.writes)}
        self.threads = anyio.CapacityLimiter(places.total)  # never contended: the places bound it


class Admission:
    def __init__(self, places: Places) -> None:
        self.places = places
        self._limits: tuple[asyncio.AbstractEventLoop, _Limits] | None = None
        self._last_logged = 0.0

    def _for_this_loop(self) -> _Limits:
        loop = asyncio.get_running_loop()
        if self._limits is None or self._limits[0] is not loop:
            self._limits = (loop, _Limits(self.places))
        return self._limits[1]

    async def run(self, kind: Kind, work: Callable[[], T]) -> T:
        """`work()` in a worker thread once a place of `kind` is free; 503 if none frees up in time,
        or if the database turns out to be unreachable or overloaded."""
        limits = self._for_this_loop()
        place = limits.places[kind]
        try:
            with anyio.fail_after(self.places.wait_seconds):
                await place.acquire()
        except TimeoutError:
            self._log(f"no free {kind} place within {self.places.wait_seconds:g} s: answering 503")
            raise ServiceUnavailable(
                "The server is busy; retry shortly.", retry_after=RETRY_AFTER_SECONDS
            ) from None
        try:
            return await anyio.to_thread.run_sync(work, limiter=limits.threads)
        except Exception as error:
            if is_unavailable(error):
                self._log(f"database unavailable: {error.__class__.__name__}: {str(error)[:200]}")
                raise ServiceUnavailable(
                    "The database is unavailable; retry shortly.", retry_after=RETRY_AFTER_SECONDS
                ) from error
            raise
        finally:
            place.release()

    def _log(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_logged >= _LOG_EVERY:
            self._last_logged = now
            log.warning(message)
