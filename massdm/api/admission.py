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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, TypeVar

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
    """The places of one event loop (TestClient runs each client on a loop of its own)."""

    def __init__(self, places: Places) -> None:
        self.places = {"read": asyncio.Semaphore(places.reads), "write": asyncio.Semaphore(places.writes)}


class Admission:
    def __init__(self, places: Places) -> None:
        self.places = places
        # A thread for every place: a trip that has its place never waits for a thread.
        self._threads = ThreadPoolExecutor(max_workers=places.total, thread_name_prefix="massdm-request")
        self._limits: tuple[asyncio.AbstractEventLoop, _Limits] | None = None
        self._last_logged = 0.0

    def _for_this_loop(self, loop: asyncio.AbstractEventLoop) -> _Limits:
        if self._limits is None or self._limits[0] is not loop:
            self._limits = (loop, _Limits(self.places))
        return self._limits[1]

    async def run(self, kind: Kind, work: Callable[[], T]) -> T:
        """`work()` in a worker thread once a place of `kind` is free; 503 if none frees up in time,
        or if the database turns out to be unreachable or overloaded."""
        loop = asyncio.get_running_loop()
        place = self._for_this_loop(loop).places[kind]
        if place.locked():
            try:
                async with asyncio.timeout(self.places.wait_seconds):
                    await place.acquire()
            except TimeoutError:
                self._log(f"no free {kind} place within {self.places.wait_seconds:g} s: answering 503")
                raise ServiceUnavailable(
                    "The server is busy; retry shortly.", retry_after=RETRY_AFTER_SECONDS
                ) from None
        else:
            await place.acquire()  # free: taken at once, without suspending
        trip = loop.run_in_executor(self._threads, work)
        # The place is held until the thread is done, even if the request is cancelled meanwhile:
        # never more trips at once than places (and connections in the pool).
        trip.add_done_callback(lambda _done: place.release())
        try:
            return await asyncio.shield(trip)
        except Exception as error:
            if is_unavailable(error):
                self._log(f"database unavailable: {error.__class__.__name__}: {str(error)[:200]}")
                raise ServiceUnavailable(
                    "The database is unavailable; retry shortly.", retry_after=RETRY_AFTER_SECONDS
                ) from error
            raise

    def _log(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_logged >= _LOG_EVERY:
            self._last_logged = now
            log.warning(message)
