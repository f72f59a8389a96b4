"""Redis goes away under a running server, then comes back: 503 with Retry-After meanwhile, nothing
charged, one log line per outage interval, and service again by itself once Redis answers.

A Redis server of the test's own (a real one, on a port of its own) so that it can be killed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from massdm.store import teams as team_store
from tests.conftest import Server, free_port, start_server


class RedisProcess:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed (it runs on this machine for the scale run)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import redis

                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not come up")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Server, RedisProcess]]:
    redis_server = RedisProcess(tmp_path)
    redis_server.start()
    server = start_server(tmp_path, {"MASSDM_REDIS_URL": redis_server.url, "MASSDM_REDIS_PREFIX": "outage"},
                          api_processes=1, workers=0)
    yield server, redis_server
    server.stop()
    if redis_server.process and redis_server.process.poll() is None:
        redis_server.kill()


def test_without_redis_calls_are_503_uncharged_and_service_returns_by_itself(deployment, tmp_path):
    server, redis_server = deployment
    caller = server.world.caller()
    api = httpx.Client(base_url=server.base_url, headers=caller.headers, timeout=30)
    assert api.get(f"/api/{caller.account}/user-lists").status_code == 200
    with server.world.engine.connect() as connection:
        balance = team_store.get_balance(connection, caller.team.id)

    redis_server.kill()
    answers = []
    started = time.monotonic()
    for _ in range(30):
        answers.append(api.get(f"/api/{caller.account}/user-lists"))
        answers.append(api.post(f"/api/{caller.account}/user-lists", json={"name": "during the outage"}))
    assert time.monotonic() - started < 30  # each answered promptly, none waited for a Redis timeout
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "SERVICE_UNAVAILABLE"
        assert int(response.headers["Retry-After"]) >= 1
    assert api.get("/healthz").status_code == 200  # alive: nothing to restart
    assert api.get("/readyz").json()["redis"] is False  # but not ready: send traffic elsewhere
    with server.world.engine.connect() as connection:
        assert team_store.get_balance(connection, caller.team.id) == balance  # nothing charged
    log = (tmp_path / "server.log").read_text()
    assert log.count("Redis unreachable") == 1, log[-3000:]  # once per interval, not once per call

    redis_server.start()
    deadline = time.monotonic() + 10
    while (status := api.get(f"/api/{caller.account}/user-lists").status_code) != 200:
        assert status == 503 and time.monotonic() < deadline, "service did not come back with Redis"
        time.sleep(0.2)
    created = api.post(f"/api/{caller.account}/user-lists", json={"name": "after the outage"})
    assert created.status_code == 200 and created.json()["data"]["name"] == "after the outage"
    names = [item["name"] for item in api.get(f"/api/{caller.account}/user-lists?limit=50").json()["data"]]
    assert "during the outage" not in names
    assert "Redis is back" in (tmp_path / "server.log").read_text()
    api.close()
