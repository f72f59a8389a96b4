"""Credits and rate limits stay exact when many requests race against a real server process."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from massdm.store import teams as team_store


def _burst(url: str, headers: dict[str, str], count: int) -> Counter:
    with httpx.Client(headers=headers, timeout=30) as http, ThreadPoolExecutor(max_workers=24) as pool:
        return Counter(pool.map(lambda _: http.get(url).status_code, range(count)))


def test_concurrent_calls_never_overdraw_credits(server):
    caller = server.world.caller(credits=40)
    statuses = _burst(f"{server.base_url}/api/{caller.account}/user-lists", caller.headers, 100)
    assert statuses == Counter({200: 40, 402: 60})
    with server.world.engine.connect() as connection:
        assert team_store.get_balance(connection, caller.team.id) == 0


def test_concurrent_calls_hit_the_rate_limit_exactly(server):
    caller = server.world.caller(limit_minute=25)
    statuses = _burst(f"{server.base_url}/api/whoami", caller.headers, 70)
    assert statuses == Counter({200: 25, 429: 45})
