"""Rate limits and credits: the two meters every API call passes.

Both sit behind small interfaces (`RateLimiter`, `CreditLedger`) so a Redis or
PostgreSQL backend can replace the embedded ones without touching the API edge.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from limits import RateLimitItemPerDay, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Connection

from massdm.errors import InsufficientCredits
from massdm.store import teams as team_store


@dataclass(frozen=True)
class RateLimitStatus:
    allowed: bool
    limit_minute: int
    limit_day: int | None
    remaining_minute: int
    remaining_day: int | None
    retry_after: int  # seconds until a request would be allowed again; 0 when allowed


class RateLimiter(Protocol):
    def hit(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        """Count one request for the key if both windows allow it; report the windows either way."""
        ...

    def peek(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        """Report the windows without counting anything."""
        ...


class MemoryRateLimiter:
    """Exact moving-window limits for one process, on the maintained `limits` library.

    A request is counted only if both the minute and the day window have room; the
    check-and-count of the two windows happens under one lock, so concurrent requests
    can never overshoot either limit.
    """

    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._windows = MovingWindowRateLimiter(self._storage)
        self._lock = threading.Lock()

    def hit(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=True)

    def peek(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=False)

    def _check(self, key_id: int, limit_minute: int, limit_day: int | None, *, count: bool) -> RateLimitStatus:
        ident = str(key_id)
        minute = RateLimitItemPerMinute(limit_minute, namespace="minute")
        day = RateLimitItemPerDay(limit_day, namespace="day") if limit_day is not None else None
        with self._lock:
            allowed = self._windows.test(minute, ident) and (day is None or self._windows.test(day, ident))
            if allowed and count:
                self._windows.hit(minute, ident)
                if day is not None:
                    self._windows.hit(day, ident)
            minute_stats = self._windows.get_window_stats(minute, ident)
            day_stats = self._windows.get_window_stats(day, ident) if day is not None else None

        retry_after = 0
        if not allowed:  # `limits` keeps its windows on wall-clock time, so Retry-After is computed on it too
            blocked = [s for s in (minute_stats, day_stats) if s is not None and s.remaining <= 0]
            reset = max(s.reset_time for s in blocked) if blocked else time.time() + 1
            retry_after = max(1, math.ceil(reset - time.time()))
        return RateLimitStatus(
            allowed=allowed,
            limit_minute=limit_minute,
            limit_day=limit_day,
            remaining_minute=max(0, minute_stats.remaining),
            remaining_day=max(0, day_stats.remaining) if day_stats is not None else None,
            retry_after=retry_after,
        )


class CreditLedger(Protocol):
    def balance(self, team_id: int) -> int: ...

    def charge(self, team_id: int, amount: int) -> int:
        """Take `amount` credits and return the new balance; raise InsufficientCredits if short."""
        ...


class SqlCreditLedger:
    """Credits kept on the team row, charged inside the request's own transaction.

    A request that fails rolls back, and its charge with it: errors never cost credits.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def balance(self, team_id: int) -> int:
        return team_store.get_balance(self._connection, team_id)

    def charge(self, team_id: int, amount: int) -> int:
        if amount <= 0:
            return self.balance(team_id)
        remaining = team_store.take_credits(self._connection, team_id, amount)
        if remaining is None:
            raise insufficient_credits(amount, self.balance(team_id))
        return remaining


CreditLedgerFactory = Callable[[Connection], CreditLedger]


def insufficient_credits(cost: int, balance: int) -> InsufficientCredits:
    unit = "credit" if cost == 1 else "credits"
    return InsufficientCredits(
        f"Insufficient credits. This request costs {cost} {unit} and your team's balance is {balance}."
    )
