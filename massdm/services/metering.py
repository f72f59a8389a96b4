"""Rate limits and credits: the two meters every API call passes.

Both sit behind small interfaces (`RateLimiter`, `CreditLedger`). Rate-limit windows live
in the process (`MemoryRateLimiter`, exact for one process) or in Redis
(`RedisRateLimiter`, exact across every API process sharing it). Credits always live in
the database, charged inside the request's transaction by one guarded UPDATE.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from sqlalchemy import Connection

from massdm.errors import InsufficientCredits, ServiceUnavailable
from massdm.store import teams as team_store

log = logging.getLogger("massdm.api")


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
    """Exact moving-window limits for one process: each key's requests of the last minute and
    the last day, as timestamps in order.

    A request is counted only if both windows have room; check-and-count happens under one
    lock, so concurrent requests can never overshoot either limit. A check drops the timestamps
    that left the window and appends one: O(1) amortised, and memory bounded by the requests
    actually made within a window (at most the limit). `limits`' in-memory moving window, used
    before, inserted at the front of a list and scheduled a timer thread per check: with high
    limits it cost more than the rest of a request (docs/benchmarks.md).
    """

    MINUTE = 60.0
    DAY = 86_400.0

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[tuple[int, float], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=True)

    def peek(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=False)

    def _window(self, key_id: int, width: float, now: float) -> deque[float]:
        window = self._windows.get((key_id, width))
        if window is None:
            window = self._windows[(key_id, width)] = deque()
        while window and window[0] <= now - width:
            window.popleft()
        return window

    def _check(self, key_id: int, limit_minute: int, limit_day: int | None, *, count: bool) -> RateLimitStatus:
        with self._lock:
            now = self._now()
            minute = self._window(key_id, self.MINUTE, now)
            day = self._window(key_id, self.DAY, now) if limit_day is not None else None
            allowed = len(minute) < limit_minute and (day is None or limit_day is None or len(day) < limit_day)
            if allowed and count:
                minute.append(now)
                if day is not None:
                    day.append(now)
            retry_after = 0
            if not allowed:
                resets = [minute[0] + self.MINUTE] if len(minute) >= limit_minute and minute else []
                if day is not None and limit_day is not None and len(day) >= limit_day and day:
                    resets.append(day[0] + self.DAY)
                retry_after = max(1, math.ceil(max(resets, default=now + 1) - now))
            return RateLimitStatus(
                allowed=allowed,
                limit_minute=limit_minute,
                limit_day=limit_day,
                remaining_minute=max(0, limit_minute - len(minute)),
                remaining_day=max(0, limit_day - len(day)) if day is not None and limit_day is not None else None,
                retry_after=retry_after,
            )


# Both moving windows of one key, checked and counted in one atomic step on the Redis server
# (its own clock, so API processes on different machines agree). Each window is a sorted
# set of request timestamps; the day window never counts a request the minute window refuses.
_WINDOWS_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit_minute, limit_day, count = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local widths = {60000, 86400000}
local function oldest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return now
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - widths[1])
local minute = redis.call('ZCARD', KEYS[1])
local day = 0
if limit_day > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - widths[2])
  day = redis.call('ZCARD', KEYS[2])
end
local allowed = minute < limit_minute and (limit_day == 0 or day < limit_day)
if allowed and count then
  local member = now .. ':' .. ARGV[4]
  redis.call('ZADD', KEYS[1], now, member)
  redis.call('PEXPIRE', KEYS[1], widths[1])
  minute = minute + 1
  if limit_day > 0 then
    redis.call('ZADD', KEYS[2], now, member)
    redis.call('PEXPIRE', KEYS[2], widths[2])
    day = day + 1
  end
end
local minute_reset = oldest(KEYS[1]) + widths[1] - now
local day_reset = 0
if limit_day > 0 then day_reset = oldest(KEYS[2]) + widths[2] - now end
return {allowed and 1 or 0, minute, day, minute_reset, day_reset}
"""


class RedisRateLimiter:
    """Exact moving-window limits shared by every API process using the same Redis.

    Without Redis no request can be counted, so none is served: each is answered 503 with
    `Retry-After` (nothing charged). After a failure the limiter does not try Redis again for
    `RETRY_AFTER` seconds (so a Redis that hangs costs requests no timeouts), then recovers by
    itself on the first request that finds it back. The outage is logged once per `LOG_EVERY`.
    """

    RETRY_AFTER = 1  # seconds
    LOG_EVERY = 30.0

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_WINDOWS_SCRIPT)
        self._down_until = 0.0
        self._logged_at = 0.0
        self._lock = threading.Lock()

    def hit(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=True)

    def peek(self, key_id: int, *, limit_minute: int, limit_day: int | None) -> RateLimitStatus:
        return self._check(key_id, limit_minute, limit_day, count=False)

    def _run_script(self, keys: list[str], args: list[int | str]) -> list[int]:
        if time.monotonic() < self._down_until:
            raise self._unavailable()
        try:
            result = self._script(keys=keys, args=args)
        except redis.RedisError as error:
            with self._lock:
                now = time.monotonic()
                self._down_until = now + self.RETRY_AFTER
                if now - self._logged_at >= self.LOG_EVERY:
                    self._logged_at = now
                    log.warning("Redis unreachable (%s: %s): answering 503 until it is back",
                                error.__class__.__name__, error)
            raise self._unavailable() from None
        if self._down_until:
            with self._lock:
                if self._down_until:
                    self._down_until = 0.0
                    log.warning("Redis is back: counting rate limits again")
        return result

    def _unavailable(self) -> ServiceUnavailable:
        return ServiceUnavailable("Rate limits cannot be counted right now; retry shortly.",
                                  retry_after=self.RETRY_AFTER)

    def _check(self, key_id: int, limit_minute: int, limit_day: int | None, *, count: bool) -> RateLimitStatus:
        keys = [f"{self._prefix}:ratelimit:{key_id}:minute", f"{self._prefix}:ratelimit:{key_id}:day"]
        allowed, minute, day, minute_reset_ms, day_reset_ms = self._run_script(
            keys, [limit_minute, limit_day or 0, 1 if count else 0, uuid.uuid4().hex]
        )
        retry_after = 0
        if not allowed:
            blocked = [minute_reset_ms] if minute >= limit_minute else []
            if limit_day is not None and day >= limit_day:
                blocked.append(day_reset_ms)
            retry_after = max(1, math.ceil(max(blocked or [1000]) / 1000))
        return RateLimitStatus(
            allowed=bool(allowed),
            limit_minute=limit_minute,
            limit_day=limit_day,
            remaining_minute=max(0, limit_minute - minute),
            remaining_day=max(0, limit_day - day) if limit_day is not None else None,
            retry_after=retry_after,
        )


def rate_limiter_for(redis_client: redis.Redis | None, prefix: str) -> RateLimiter:
    return RedisRateLimiter(redis_client, prefix) if redis_client is not None else MemoryRateLimiter()


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
