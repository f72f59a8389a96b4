"""Two API processes on one database and one Redis behave as one service.

Each `massdm serve` here is its own OS process on its own port, so which process answers
is known: the requests are split between them on purpose. Redis is always used (it is
what makes the limits shared); the database is the run's backend (SQLite or PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from massdm.store import teams as team_store
from massdm.store.db import transaction
from massdm.store.tables import mass_messages
from tests.api.test_health import _sample
from tests.backends import TEST_REDIS
from tests.conftest import Server, start_server

REDIS = TEST_REDIS or "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    directory = tmp_path_factory.mktemp("pair")
    prefix = f"massdm-test-pair-{directory.name}"
    env = {"MASSDM_REDIS_URL": REDIS, "MASSDM_REDIS_PREFIX": prefix}
    first = start_server(directory, env, api_processes=1, workers=0)
    second = start_server(directory, {**env, "MASSDM_DATABASE_URL": first.database_url}, api_processes=1, workers=0)
    yield first, second
    first.stop()
    second.stop()
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_two_processes_share_one_key_limit_and_charge_each_success_once(pair):
    first, second = pair
    world = first.world
    team = world.team(credits=1_000_000)
    account = world.account(team)
    key = world.key(team, limit_minute=1000, limit_day=None)
    headers = {"Authorization": f"Bearer {key}"}
    with transaction(world.engine) as connection:
        balance_before = team_store.get_balance(connection, team.id)

    # One connection pool per process (a new httpx client per call costs more than the call).
    clients = [httpx.Client(base_url=s.base_url, headers=headers, timeout=30) for s in (first, second)]

    def call(n: int) -> tuple[int, int]:
        response = clients[n % 2].get(f"/api/{account}/mass-messaging")
        used = response.json()["_meta"]["_credits"]["used"] if response.status_code == 200 else 0
        return response.status_code, used

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(1500)))
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    assert elapsed < 55, f"1,500 requests took {elapsed:.0f} s: too slow to all fall in one minute's window"

    statuses = [status for status, _ in results]
    assert statuses.count(200) == 1000 and statuses.count(429) == 500, {s: statuses.count(s) for s in set(statuses)}
    with transaction(world.engine) as connection:
        balance_after = team_store.get_balance(connection, team.id)
    charged = sum(used for _, used in results)
    assert charged >= 1000  # every success cost something
    assert balance_before - balance_after == charged  # and exactly what it reported, once


def test_one_idempotency_key_to_both_processes_makes_one_message(pair):
    first, second = pair
    caller = first.world.caller()
    body = [{"id": i, "username": f"fan{i}"} for i in range(1, 11)]
    upserted = httpx.post(f"{first.base_url}/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert upserted.status_code == 200
    headers = {**caller.headers, "Idempotency-Key": "one-send-many-processes"}

    def send(n: int) -> httpx.Response:
        base = (first, second)[n % 2].base_url
        return httpx.post(f"{base}/api/{caller.account}/mass-messaging", headers=headers,
                          json={"text": "only once", "userLists": ["fans"]}, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    # A request that arrives while the first is in flight gets 409; every 200 is the same message.
    assert {r.status_code for r in responses} <= {200, 409}
    ids = {r.json()["data"]["id"] for r in responses if r.status_code == 200}
    assert len(ids) == 1
    retry = send(0)
    assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["data"]["id"] in ids
    with transaction(first.world.engine) as connection:
        made = connection.execute(
            select(func.count()).select_from(mass_messages).where(mass_messages.c.account_id == caller.account)
        ).scalar_one()
    assert made == 1


def test_serve_workers_runs_that_many_processes_and_metrics_add_them_up(tmp_path):
    prefix = f"massdm-test-workers-{tmp_path.name}"
    server = start_server(tmp_path, {"MASSDM_REDIS_URL": REDIS, "MASSDM_REDIS_PREFIX": prefix},
                          api_processes=2, workers=0)
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        api_processes = [pid for pid in children if "multiprocessing.spawn" in _command_line(pid)]
        assert len(api_processes) == 2, [_command_line(pid) for pid in children]

        def healthz(_: int) -> int:
            return httpx.get(f"{server.base_url}/healthz", timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(healthz, range(200))) == {200}
        # Whichever process answers the scrape, it counts the requests of both.
        totals = set()
        for _ in range(6):
            text = httpx.get(f"{server.base_url}/metrics", timeout=30).text
            totals.add(_sample(text, "massdm_http_requests_total", method="GET", route="/healthz", status="200"))
        assert totals == {200.0}
    finally:
        server.stop()


def _command_line(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
