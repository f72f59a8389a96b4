"""Faults on purpose against a real `massdm serve` in sandbox mode (MASSDM_SANDBOX, what `--sandbox` sets for
every process; on PostgreSQL two API processes and two workers), with the official SDK's own retries.

The SDK (onlyfansapi) makes 1 + max_retries attempts (2 by default) and retries 408, 409, 429 and every
5xx; it waits what `retry-after-ms` says, else `retry-after` (seconds, fractions allowed) when it is in
(0, 60], else 0.5 s doubling up to 8 s with jitter. It sends no Idempotency-Key header: its retries of a
send are plain repeats, so a faulted attempt must have done nothing.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from onlyfansapi import InternalServerError, OnlyFansAPI

from massdm.store import teams as team_store
from massdm.store.db import transaction
from tests.conftest import start_server

SEND = "/api/{account}/mass-messaging"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("sandbox-server"), {"MASSDM_SANDBOX": "true"})
    yield running
    running.stop()


@pytest.fixture
def setup(server):
    world = server.world
    team = world.team()
    account = world.account(team, "Faulted Creator")
    key = world.key(team, name="sdk")
    api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": "2026-01-01T00:00:00+00:00"} for i in range(1, 4)]
    assert api.post(f"/api/{account}/fans", json=fans).status_code == 200
    yield api, account, team, key
    api.close()


def _balance(server, team) -> int:
    with transaction(server.world.engine) as connection:
        found = team_store.get_team(connection, team.id)
    assert found is not None
    return found.credit_balance


def _fault(api: httpx.Client, **body) -> dict:
    response = api.post("/sandbox/v1/faults", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _sent(sdk: OnlyFansAPI, account: str) -> list:
    return list(sdk.mass_messaging.list(account).data)


def test_the_sdk_retries_through_two_429s_and_exactly_one_message_exists(server, setup):
    api, account, team, key = setup
    fault = _fault(api, method="POST", path=SEND, status=429, times=2, retryAfter=0.1)
    sdk = OnlyFansAPI(api_key=key, base_url=server.base_url)  # its default retries: 2
    before = _balance(server, team)
    started = time.monotonic()
    sent = sdk.mass_messaging.send(account, text="third time lucky", user_lists=["fans"])
    assert time.monotonic() - started < 5  # it waited the 0.1 s asked for, not its own backoff
    assert sent.data.id and sent.api_meta.api_credits.used == 1
    assert _balance(server, team) == before - 1  # charged once, for the attempt that went through
    assert [m.id for m in _sent(sdk, account)] == [sent.data.id]  # exactly one message
    shown = api.get(f"/sandbox/v1/faults/{fault['id']}").json()
    assert (shown["hits"], shown["remaining"]) == (2, 0)


def test_a_certain_500_makes_the_sdk_raise_after_its_retries_and_nothing_exists(server, setup):
    api, account, team, key = setup
    fault = _fault(api, method="POST", path=SEND, status=500, probability=1, retryAfter=0.1)
    sdk = OnlyFansAPI(api_key=key, base_url=server.base_url)
    before = _balance(server, team)
    with pytest.raises(InternalServerError) as raised:
        sdk.mass_messaging.send(account, text="never", user_lists=["fans"])
    assert raised.value.status_code == 500
    assert raised.value.response.headers["x-massdm-fault"] == fault["id"]
    assert api.get(f"/sandbox/v1/faults/{fault['id']}").json()["hits"] == 3  # the first try and two retries
    assert api.delete("/sandbox/v1/faults").json() == {"deleted": 1}
    assert _balance(server, team) == before  # no charge
    assert _sent(sdk, account) == []  # and no message


def test_concurrent_calls_across_the_servers_processes_fault_exactly_n(server, setup):
    api, account, _team, _key = setup
    fault = _fault(api, path="/api/{account}/fans/all", status=503, times=6, retryAfter=0.1)
    start = threading.Barrier(24)

    def call(_n: int) -> int:
        with httpx.Client(base_url=server.base_url, headers=api.headers, timeout=30) as own:
            start.wait()
            return own.get(f"/api/{account}/fans/all").status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(call, range(24)))
    assert statuses.count(503) == 6 and statuses.count(200) == 18
    assert api.get(f"/sandbox/v1/faults/{fault['id']}").json()["hits"] == 6
