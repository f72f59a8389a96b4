"""The embedded rate limiter on its own: exact windows, even with many threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from massdm.services.metering import MemoryRateLimiter


def test_minute_window_allows_exactly_the_limit_across_threads():
    limiter = MemoryRateLimiter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: limiter.hit(7, limit_minute=500, limit_day=None).allowed, range(1200)))
    assert results.count(True) == 500


def test_a_refused_request_does_not_use_up_the_other_window():
    limiter = MemoryRateLimiter()
    for _ in range(3):
        assert limiter.hit(1, limit_minute=3, limit_day=10).allowed
    refused = limiter.hit(1, limit_minute=3, limit_day=10)
    assert not refused.allowed
    assert refused.remaining_day == 7  # the refused request was not counted against the day
    assert 1 <= refused.retry_after <= 60


def test_remaining_counts_down_and_keys_are_independent():
    limiter = MemoryRateLimiter()
    first = limiter.hit(1, limit_minute=10, limit_day=100)
    second = limiter.hit(1, limit_minute=10, limit_day=100)
    other = limiter.hit(2, limit_minute=10, limit_day=100)
    assert (first.remaining_minute, first.remaining_day) == (9, 99)
    assert (second.remaining_minute, second.remaining_day) == (8, 98)
    assert (other.remaining_minute, other.remaining_day) == (9, 99)
    assert first.retry_after == 0


def test_windows_move_with_time_and_retry_after_says_when_room_comes_back():
    clock = [1000.0]
    limiter = MemoryRateLimiter(now=lambda: clock[0])
    for second in range(3):
        clock[0] = 1000.0 + second * 10
        assert limiter.hit(1, limit_minute=3, limit_day=5).allowed
    refused = limiter.hit(1, limit_minute=3, limit_day=5)
    assert not refused.allowed and refused.retry_after == 40  # the first request leaves the minute at 1060
    clock[0] = 1060.5
    again = limiter.hit(1, limit_minute=3, limit_day=5)
    assert again.allowed and again.remaining_minute == 0 and again.remaining_day == 1
    clock[0] = 1200.0
    assert limiter.hit(1, limit_minute=3, limit_day=5).allowed  # a new minute, the day's last request
    day_refused = limiter.hit(1, limit_minute=3, limit_day=5)
    assert not day_refused.allowed and day_refused.remaining_day == 0
    assert day_refused.retry_after == 86_400 - 200  # the day's first request leaves at 1000 + 86,400
    assert limiter.peek(1, limit_minute=3, limit_day=5).remaining_minute == 2  # peeking counts nothing
