"""The one place massdm asks what time it is.

Everything that needs "now" (scheduling, unsend windows, subscription state, tests)
takes a `Clock`, so they all agree and tests can move time on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


@dataclass(frozen=True)
class ClockState:
    """A driven clock's setting: stopped at `frozen_at`, or running `offset` ahead of the wall clock."""

    frozen_at: datetime | None = None
    offset: timedelta = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def now(self, wall: datetime) -> datetime:
        return self.frozen_at if self.frozen_at is not None else wall + self.offset

    def frozen_at_now(self, wall: datetime) -> ClockState:
        return ClockState(frozen_at=self.now(wall))

    def running_from(self, moment: datetime, wall: datetime) -> ClockState:
        """Running, showing `moment` at the wall time `wall`."""
        return ClockState(offset=moment - wall)


class DrivenClock:
    """The sandbox's clock (docs/sandbox.md): its setting is read from wherever `read` keeps it
    (the store's `sandbox_clock` row), on every call, so every process of one store tells the same
    time the moment it is moved."""

    def __init__(self, read: Callable[[], ClockState], wall: Clock | None = None) -> None:
        self._read = read
        self._wall = wall or SystemClock()

    def state(self) -> ClockState:
        return self._read()

    def wall(self) -> datetime:
        return self._wall.now()

    def now(self) -> datetime:
        return self._read().now(self._wall.now())
