"""SIGKILL in the middle of a burst of keyed sends, then a retry of every key after the restart.

The promise (docs/reliability.md): a key's stored response commits with its effect, so after any
crash a key either has its committed answer to replay or never happened, and a retry gets its
answer within seconds of the restart (a claim whose holder died runs out with its lease).
On the embedded default one `massdm serve`; on PostgreSQL + Redis `serve --workers 2` and two
workers, all killed at once.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from massdm.domain.idempotency import LEASE
from massdm.store import teams as team_store
from massdm.store.tables import mass_messages
from tests.conftest import start_server
from tests.e2e.chaos import scaled

KEYS = scaled(50)
JSON = {"Content-Type": "application/json"}


def _body(key: str) -> bytes:
    return json.dumps({"text": f"burst {key}", "userLists": ["fans"]}).encode()


def _send(http: httpx.Client, base: str, account: str, key: str) -> httpx.Response:
    return http.post(f"{base}/api/{account}/mass-messaging", headers={**JSON, "Idempotency-Key": key},
                     content=_body(key))


def _burst_then_kill(server, caller, keys: list[str]) -> dict[str, httpx.Response | Exception]:
    """Send every key at once; SIGKILL the deployment once a fifth of the answers are back."""
    first: dict[str, httpx.Response | Exception] = {}
    answered = threading.Event()
    lock = threading.Lock()

    def one(http: httpx.Client, key: str) -> None:
        try:
            outcome: httpx.Response | Exception = _send(http, server.base_url, caller.account, key)
        except httpx.HTTPError as error:  # the connection died with the server
            outcome = error
        with lock:
            first[key] = outcome
            if sum(isinstance(v, httpx.Response) for v in first.values()) >= max(1, len(keys) // 5):
                answered.set()

    with httpx.Client(headers=caller.headers, timeout=30) as http, ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(one, http, key) for key in keys]
        assert answered.wait(60), "no answers before the kill"
        server.kill()
        for future in futures:
            future.result(60)
    return first


def _retry(http: httpx.Client, base: str, account: str, key: str, deadline: float) -> httpx.Response:
    """What an SDK does: the same request with the same key, again while it is in flight (409) or the
    server is busy (503)."""
    while True:
        response = _send(http, base, account, key)
        if response.status_code not in (409, 503) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_a_crash_mid_burst_leaves_every_key_sent_once_and_charged_once(tmp_path):
    server = start_server(tmp_path)
    caller = server.world.caller()
    fans = [{"id": i, "username": f"fan{i}"} for i in range(1, 4)]
    assert httpx.post(f"{server.base_url}/api/{caller.account}/fans", headers=caller.headers, json=fans,
                      timeout=30).status_code == 200
    with server.world.engine.connect() as connection:
        balance = team_store.get_balance(connection, caller.team.id)
    keys = [f"crash-{n}" for n in range(KEYS)]

    first = _burst_then_kill(server, caller, keys)
    lost = [k for k, v in first.items() if not isinstance(v, httpx.Response)]
    assert lost, "the kill came after every answer: the test proved nothing"

    server = start_server(tmp_path)
    restarted = time.monotonic()
    deadline = restarted + LEASE.total_seconds() + 20
    with httpx.Client(headers=caller.headers, timeout=30) as http, ThreadPoolExecutor(max_workers=16) as pool:
        answers = pool.map(lambda k: _retry(http, server.base_url, caller.account, k, deadline), keys)
        retried = dict(zip(keys, answers, strict=True))
    answered_within = time.monotonic() - restarted
    try:
        failed = {k: (r.status_code, r.text[:200]) for k, r in retried.items() if r.status_code != 200}
        assert failed == {}
        ids = {k: r.json()["data"]["id"] for k, r in retried.items()}
        for key, answer in first.items():  # an answer a client saw is the one every retry replays
            if isinstance(answer, httpx.Response) and answer.status_code == 200:
                assert retried[key].headers.get("idempotent-replayed") == "true"
                assert ids[key] == answer.json()["data"]["id"]
        assert len(set(ids.values())) == KEYS

        with server.world.engine.connect() as connection:
            per_text = dict(connection.execute(
                select(mass_messages.c.text, func.count()).where(mass_messages.c.account_id == caller.account)
                .group_by(mass_messages.c.text)
            ).all())
            charged = balance - team_store.get_balance(connection, caller.team.id)
        assert per_text == {f"burst {k}": 1 for k in keys}  # exactly one message per key, no strays
        assert charged == KEYS  # one credit per message, none for a replay
        assert answered_within < LEASE.total_seconds() + 15  # seconds, not the old ten minutes
    finally:
        server.stop()
