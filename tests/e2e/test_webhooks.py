"""Webhooks across real processes: `massdm serve` (and `massdm worker`s) POSTing to real receivers.

The receiver of the first tests is `massdm webhooks listen` itself, checking every signature.
On the scale run (PostgreSQL + Redis) the server is two API processes with two workers, so
each event is also checked to arrive once per attempt however many dispatchers there are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from onlyfansapi import OnlyFansAPI

from massdm.services import accounts as account_service
from massdm.store.db import transaction
from massdm.webhooks.receiver import Reply
from tests import media_files
from tests.conftest import Server, free_port, start_server

SECRET = "whsec-e2e"
FAST = {
    "MASSDM_WEBHOOKS_ALLOW_PRIVATE": "1", "MASSDM_WORKER_POLL_SECONDS": "0.2", "MASSDM_WEBHOOK_RETRY_SECONDS": "0.3",
    "MASSDM_WEBHOOK_PROGRESS_SECONDS": "3600",  # one message's progress is not what these tests watch
}


class Listener:
    """`massdm webhooks listen --json` in its own process; what it printed, one delivery per line."""

    def __init__(self, directory: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "massdm", "webhooks", "listen", "--port", str(self.port), "--json",
             "--secret", SECRET, *extra], cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.deliveries: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("massdm webhooks listen did not come up")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.deliveries.append(json.loads(line))

    def wait_for(self, check: Callable[[list[dict]], bool], timeout: float = 40) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = list(self.deliveries)
            if check(seen):
                return seen
            time.sleep(0.1)
        raise AssertionError(f"the listener got {[(d['event'], d['status']) for d in self.deliveries]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("webhooks"), FAST)
    yield running
    running.stop()


def _creator(server: Server) -> tuple[str, dict[str, str], dict[str, str]]:
    world = server.world
    team = world.team()
    account = world.account(team, "Hooked Creator")
    key = world.key(team)
    with transaction(world.engine) as connection:
        fan_key = account_service.create_api_key(connection, team=team, name="fans", account_ids=[],
                                                 limit_minute=1000, limit_day=None, now=world.clock.now(),
                                                 scopes=frozenset({"fan"})).api_key
    return account, {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {fan_key}"}


def test_send_view_purchase_unsend_reaches_the_receiver_signed(hooked, tmp_path):
    listener = Listener(tmp_path)
    try:
        account, headers, fan = _creator(hooked)
        api = httpx.Client(base_url=hooked.base_url, headers=headers, timeout=30)
        sdk = OnlyFansAPI(api_key=headers["Authorization"].split()[1], base_url=hooked.base_url, max_retries=0)
        created = sdk.webhooks.create(endpoint_url=listener.url, account_scope="inclusive", account_ids=[account],
                                      signing_secret=SECRET, events=["chat_queue.updated", "chat_queue.finished",
                                                                     "messages.ppv.unlocked"])
        assert created.data.id.startswith("wh_") and created.data.has_signing_secret is True
        assert [w.id for w in sdk.webhooks.list().data] == [created.data.id]

        since = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        assert api.post(f"/api/{account}/fans", json=[
            {"id": n, "username": f"fan{n}", "name": f"Fan {n}", "subscribedAt": since} for n in (1, 2, 3)
        ]).status_code == 200
        media = api.post(f"/api/{account}/media/upload", files={"file": ("p.png", media_files.png(60, 60))})
        message = api.post(f"/api/{account}/mass-messaging", json={
            "text": "for you", "userLists": ["fans"], "price": 4.5, "mediaFiles": [media.json()["prefixed_id"]],
        }).json()["data"]["id"]
        listener.wait_for(lambda seen: "chat_queue.finished" in [d["event"] for d in seen])

        assert httpx.post(f"{hooked.base_url}/fan/v1/3/messages/{message}/view", headers=fan).status_code == 200
        assert httpx.post(f"{hooked.base_url}/fan/v1/3/messages/{message}/purchase", headers=fan).status_code == 200
        # events are not ordered among themselves (several workers send at once): one step at a time
        listener.wait_for(lambda got: "messages.ppv.unlocked" in [d["event"] for d in got])
        assert api.delete(f"/api/{account}/mass-messaging/{message}").status_code == 200
        seen = listener.wait_for(lambda got: len(got) >= 4)
        time.sleep(1)  # anything extra (a duplicate) would arrive now
        seen = list(listener.deliveries)

        # queued and finished may overtake each other (the fan-out of 3 fans is quicker than a POST)
        assert sorted(d["event"] for d in seen[:2]) == ["chat_queue.finished", "chat_queue.updated"]
        assert [d["event"] for d in seen[2:]] == ["messages.ppv.unlocked", "chat_queue.updated"]
        assert all(d["signature"] == "valid" and d["status"] == 200 for d in seen)
        assert all(d["account_id"] == account for d in seen)
        assert len({d["idempotency_key"] for d in seen}) == 4  # every event once: one attempt each, one dispatcher
        by_event = {d["event"]: d["payload"] for d in seen[:2]}
        assert by_event["chat_queue.updated"]["status"] == "queued" and by_event["chat_queue.finished"]["isDone"]
        assert (seen[2]["payload"]["fanId"], seen[2]["payload"]["messageId"], seen[2]["payload"]["amount"]) == (
            3, message, 4.5)
        assert seen[3]["payload"]["isCanceled"] is True

        log = api.get(f"/api/webhooks/{created.data.id}/deliveries").json()["data"]
        assert sorted(r["idempotency_key"] for r in log) == sorted(d["idempotency_key"] for d in seen)
        assert all(r["succeeded"] and r["attempt"] == 1 for r in log)
        sdk.webhooks.delete(created.data.id)
        assert sdk.webhooks.list().data == []
    finally:
        listener.stop()


def test_an_endpoint_down_twice_gets_the_event_on_the_third_attempt(hooked, tmp_path):
    listener = Listener(tmp_path, "--fail-first", "2")
    try:
        _account, headers, _fan = _creator(hooked)
        api = httpx.Client(base_url=hooked.base_url, headers=headers, timeout=30)
        webhook = api.post("/api/webhooks", json={"endpoint_url": listener.url, "events": ["chat_queue.updated"],
                                                  "account_scope": "global", "signing_secret": SECRET}).json()["data"]
        queued = api.post(f"/api/webhooks/{webhook['id']}/test").json()["data"]
        seen = listener.wait_for(lambda got: len(got) >= 3)
        assert [(d["status"], d["attempt"]) for d in seen] == [(503, "1"), (503, "2"), (200, "3")]
        assert {d["idempotency_key"] for d in seen} == {queued["idempotency_key"]}
        assert all(d["signature"] == "valid" for d in seen)
        rows = api.get(f"/api/webhooks/{webhook['id']}/deliveries").json()["data"]
        assert [(r["attempt"], r["succeeded"], r["status_code"]) for r in rows] == [
            (3, True, 200), (2, False, 503), (1, False, 503)]
        assert {r["delivery_uuid"] for r in rows} == {queued["delivery_uuid"]}
    finally:
        listener.stop()


def _worker(directory: Path, server: Server, env: dict[str, str], name: str) -> subprocess.Popen:
    environment = {**os.environ, "MASSDM_DATABASE_URL": server.database_url, **env}
    log = open(directory / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, "-m", "massdm", "worker", "--name", name], cwd=directory,
                            env=environment, stdout=log, stderr=subprocess.STDOUT)


def test_a_worker_killed_while_sending_an_event_leaves_it_to_the_next(tmp_path, receiver):
    env = {**FAST, "MASSDM_WORKER_LEASE_SECONDS": "1", "MASSDM_WEBHOOK_TOTAL_TIMEOUT": "2"}
    server = start_server(tmp_path, env, workers=1)
    try:
        held = threading.Event()
        receiver.script = lambda n, _d: Reply(200, hold=held if n == 1 else None)
        _account, headers, _fan = _creator(server)
        api = httpx.Client(base_url=server.base_url, headers=headers, timeout=30)
        webhook = api.post("/api/webhooks", json={"endpoint_url": receiver.url, "events": ["chat_queue.updated"],
                                                  "account_scope": "global"}).json()["data"]
        queued = api.post(f"/api/webhooks/{webhook['id']}/test").json()["data"]
        receiver.wait_for(lambda got: len(got) == 1)  # committed, claimed, on its way: now the worker dies
        [worker] = server.workers
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        held.set()
        assert api.get(f"/api/webhooks/{webhook['id']}/deliveries").json()["data"] == []  # the attempt never ended

        server.workers.append(_worker(tmp_path, server, env, "after-the-crash"))
        seen = receiver.wait_for(lambda got: len(got) == 2, timeout=60)
        assert [d.idempotency_key for d in seen] == [queued["idempotency_key"]] * 2
        rows: list[dict] = []
        deadline = time.monotonic() + 10
        while not rows and time.monotonic() < deadline:  # the attempt is logged once its answer is in
            rows = api.get(f"/api/webhooks/{webhook['id']}/deliveries").json()["data"]
            time.sleep(0.05)
        [row] = rows
        assert row["succeeded"] is True and row["delivery_uuid"] == queued["delivery_uuid"]
        time.sleep(1.5)
        assert len(receiver.received) == 2  # and no more
    finally:
        server.stop()
