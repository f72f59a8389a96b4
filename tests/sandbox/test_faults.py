"""Faults on purpose: a faulted call does nothing and charges nothing, `times` faults exactly N calls however
many race, draws replay with a seed, faults stay within their team, and outside sandbox mode nothing of it runs.
(The official SDK's retries against a faulted server: tests/e2e/test_sdk_faults.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.domain import faults as rules
from massdm.domain.api_keys import hash_api_key
from massdm.store import sandbox_faults as fault_store
from massdm.store import teams as team_store
from massdm.store.db import transaction
from massdm.store.sandbox_faults import NewFault
from massdm.store.tables import mass_messages
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher
from massdm.webhooks.receiver import Reply
from massdm.webhooks.sender import SenderConfig

SEND = "/api/{account}/mass-messaging"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"webhooks_allow_private": True})


def _fault(client, caller, **body):
    response = client.post("/sandbox/v1/faults", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _fans(client, caller, count: int = 3) -> None:
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": "2026-01-01T00:00:00+00:00"} for i in range(1, count + 1)]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200


def _send(client, caller):
    return client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                       json={"text": "hello", "userLists": ["fans"]})


def _balance(app, caller) -> int:
    with transaction(state_of(app).engine) as connection:
        team = team_store.get_team(connection, caller.team.id)
    assert team is not None
    return team.credit_balance


def _messages(app) -> int:
    with transaction(state_of(app).engine) as connection:
        return connection.execute(select(func.count()).select_from(mass_messages)).scalar_one()


def test_a_429_fault_answers_the_contracts_error_and_does_nothing(app, client, caller):
    _fans(client, caller)
    fault = _fault(client, caller, method="POST", path=SEND, status=429, times=2, retryAfter=0.25)
    assert fault["id"].startswith("flt_") and fault["remaining"] == 2 and fault["hits"] == 0
    balance = _balance(app, caller)
    for _ in range(2):
        faulted = _send(client, caller)
        assert faulted.status_code == 429, faulted.text
        body = faulted.json()
        assert body["error"] == "RATE_LIMIT_EXCEEDED" and body["message"] and body["description"]
        assert faulted.headers["retry-after"] == "1" and faulted.headers["retry-after-ms"] == "250"
        assert faulted.headers["x-massdm-fault"] == fault["id"]
    assert _messages(app) == 0 and _balance(app, caller) == balance  # nothing made, nothing charged
    sent = _send(client, caller)
    assert sent.status_code == 200, sent.text
    assert "x-massdm-fault" not in sent.headers
    assert _messages(app) == 1 and _balance(app, caller) == balance - 1
    [listed] = client.get("/sandbox/v1/faults", headers=caller.headers).json()["faults"]
    assert (listed["id"], listed["hits"], listed["remaining"], listed["calls"]) == (fault["id"], 2, 0, 2)


@pytest.mark.parametrize(("status", "code", "retry_after"), [
    (500, "INTERNAL_ERROR", None), (502, "BAD_GATEWAY", None), (503, "SERVICE_UNAVAILABLE", "1"),
    (504, "GATEWAY_TIMEOUT", None), (429, "RATE_LIMIT_EXCEEDED", "1"),
])
def test_each_status_has_its_contract_shape_and_default_wait(client, caller, status, code, retry_after):
    _fault(client, caller, path="/api/{account}/fans/all", status=status)
    response = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code and {"error", "message", "description"} <= set(body) and "detail" not in body
    assert response.headers.get("retry-after") == retry_after


def test_a_probability_1_fault_fails_every_call_and_retry_after_can_be_set_on_a_500(app, client, caller):
    _fans(client, caller)
    fault = _fault(client, caller, path=SEND, status=500, probability=1, retryAfter=2)
    balance = _balance(app, caller)
    for _ in range(3):
        response = _send(client, caller)
        assert response.status_code == 500 and response.json()["error"] == "INTERNAL_ERROR"
        assert response.headers["retry-after"] == "2"
    assert _messages(app) == 0 and _balance(app, caller) == balance
    shown = client.get(f"/sandbox/v1/faults/{fault['id']}", headers=caller.headers).json()
    assert shown["hits"] == 3 and shown["calls"] == 3 and shown["seed"] is not None  # a seed was chosen, shown


def test_probability_draws_replay_with_a_seed(client, caller, world):
    def outcomes(fault_id: str, calls: int) -> list[bool]:
        faulted = []
        for _ in range(calls):
            response = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
            faulted.append(response.headers.get("x-massdm-fault") == fault_id)
        return faulted

    first = _fault(client, caller, path="/api/{account}/fans/all", status=503, probability=0.4, seed=42)
    once = outcomes(first["id"], 40)
    client.delete("/sandbox/v1/faults", headers=caller.headers)
    second = _fault(client, caller, path="/api/{account}/fans/all", status=503, probability=0.4, seed=42)
    assert outcomes(second["id"], 40) == once  # the same seed, the same hits and misses
    assert once == [rules.draw(42, n) < 0.4 for n in range(1, 41)]  # the n-th call's draw is draw(seed, n)
    assert 5 < sum(once) < 30
    client.delete("/sandbox/v1/faults", headers=caller.headers)
    _fault(client, caller, path="/api/{account}/fans/all", status=503, probability=0.4, seed=43)
    assert outcomes(client.get("/sandbox/v1/faults", headers=caller.headers).json()["faults"][0]["id"], 40) != once


def test_concurrent_calls_against_times_n_fault_exactly_n(client, caller):
    fault = _fault(client, caller, path="/api/{account}/fans/all", status=503, times=7)
    start = threading.Barrier(16)

    def call(_n: int) -> int:
        start.wait()
        return client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(16)))
    assert statuses.count(503) == 7 and statuses.count(200) == 9
    shown = client.get(f"/sandbox/v1/faults/{fault['id']}", headers=caller.headers).json()
    assert (shown["hits"], shown["remaining"]) == (7, 0)


def test_concurrent_transactions_take_exactly_n_of_a_times_fault(app, caller):
    """The guarded UPDATE under many transactions at once (PostgreSQL's READ COMMITTED is the real test)."""
    engine = state_of(app).engine
    with transaction(engine) as connection:
        fault_store.insert_fault(connection, NewFault(id=rules.new_fault_id(), team_id=caller.team.id,
                                                      path="/api/{account}/fans/all", status=500, times=5),
                                 state_of(app).clock.now())
    start = threading.Barrier(12)

    def attempt(_n: int) -> bool:
        with transaction(engine) as connection:
            candidates = fault_store.live_call_faults(connection, hash_api_key(caller.api_key), "GET")
        start.wait()
        for _ in range(50):
            try:
                with transaction(engine) as connection:
                    return fault_store.fire(connection, candidates) is not None
            except Exception:  # SQLite: a writer busy past its timeout; try again  # noqa: BLE001
                time.sleep(0.01)
        raise AssertionError("could not write")

    with ThreadPoolExecutor(12) as pool:
        fired = list(pool.map(attempt, range(12)))
    assert fired.count(True) == 5


def test_a_fault_applies_to_its_teams_calls_only(client, caller, world):
    other = world.caller()
    _fault(client, caller, path="/api/{account}/fans/all", status=500)
    assert client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).status_code == 500
    assert client.get(f"/api/{other.account}/fans/all", headers=other.headers).status_code == 200
    assert client.get("/sandbox/v1/faults", headers=other.headers).json() == {"faults": []}
    [mine] = client.get("/sandbox/v1/faults", headers=caller.headers).json()["faults"]
    for method in ("GET", "DELETE"):
        response = client.request(method, f"/sandbox/v1/faults/{mine['id']}", headers=other.headers)
        assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
    # a call without a valid key is not faulted: it gets its ordinary 401
    assert client.get(f"/api/{caller.account}/fans/all", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_method_and_placeholders_match_one_segment(client, caller):
    _fault(client, caller, method="GET", path="/api/{account}/user-lists/{list_id}", status=502)
    made = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "VIP"})
    assert made.status_code == 200  # POST /user-lists: another method and path
    list_id = made.json()["data"]["id"]
    assert client.get(f"/api/{caller.account}/user-lists/{list_id}", headers=caller.headers).status_code == 502
    assert client.get(f"/api/{caller.account}/user-lists/{list_id}/", headers=caller.headers).status_code == 502
    assert client.get(f"/api/{caller.account}/user-lists/{list_id}/users", headers=caller.headers).status_code == 200
    assert client.put(f"/api/{caller.account}/user-lists/{list_id}", headers=caller.headers,
                      json={"name": "VIPs"}).status_code == 200
    assert rules.path_matches("/api/{account}/x", "/api/acct_1/x")
    assert not rules.path_matches("/api/{account}/x", "/api//x") and not rules.path_matches("/api/{a}/x", "/api/a/b/x")


def test_latency_delays_the_answer_without_holding_the_server(client, caller):
    _fault(client, caller, path="/api/{account}/fans/all", latencyMs=600)
    started = time.monotonic()
    slow = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    assert slow.status_code == 200 and time.monotonic() - started >= 0.55  # latency only: it goes through
    assert slow.headers["x-massdm-fault"].startswith("flt_")
    # while faulted calls wait, other calls are answered at once: nothing is held
    with ThreadPoolExecutor(8) as pool:
        waiting = [pool.submit(client.get, f"/api/{caller.account}/fans/all", headers=caller.headers)
                   for _ in range(6)]
        time.sleep(0.1)
        quick = time.monotonic()
        assert client.get(f"/api/{caller.account}/fans/active", headers=caller.headers).status_code == 200
        assert time.monotonic() - quick < 0.4
        assert all(f.result().status_code == 200 for f in waiting)
    _fault(client, caller, path="/api/{account}/fans/active", latencyMs=300, status=504, times=1)
    started = time.monotonic()
    assert client.get(f"/api/{caller.account}/fans/active", headers=caller.headers).status_code == 504
    assert time.monotonic() - started >= 0.28


def test_the_control_api_is_never_faulted_and_faults_clear(client, caller):
    bad = client.post("/sandbox/v1/faults", headers=caller.headers, json={"path": "/sandbox/v1/faults", "status": 500})
    assert bad.status_code == 422 and "path" in bad.json()["errors"]
    a = _fault(client, caller, path="/api/{account}/fans/all", status=500)
    _fault(client, caller, path="/api/{account}/fans/active", status=500)
    gone = client.delete(f"/sandbox/v1/faults/{a['id']}", headers=caller.headers)
    assert gone.json() == {"deleted": 1}
    assert client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).status_code == 200
    assert client.delete("/sandbox/v1/faults", headers=caller.headers).json() == {"deleted": 1}
    assert client.get(f"/api/{caller.account}/fans/active", headers=caller.headers).status_code == 200
    again = client.delete(f"/sandbox/v1/faults/{a['id']}", headers=caller.headers)
    assert again.status_code == 404 and again.json()["error"] == "NOT_FOUND"


@pytest.mark.parametrize(("body", "field"), [
    ({"path": "/api/x", "status": 418}, "status"),
    ({"path": "/api/x"}, "status"),
    ({"path": "/healthz", "status": 500}, "path"),
    ({"path": "/api/x", "status": 500, "times": 1, "probability": 0.5}, "times"),
    ({"path": "/api/x", "status": 500, "times": 0}, "times"),
    ({"path": "/api/x", "status": 500, "probability": 1.5}, "probability"),
    ({"path": "/api/x", "status": 500, "method": "BREW"}, "method"),
    ({"path": "/api/x", "status": 500, "latencyMs": -1}, "latencyMs"),
    ({"path": "/api/x", "status": 500, "retryAfter": "soon"}, "retryAfter"),
    ({"path": "/api/x", "status": 500, "colour": "red"}, "colour"),
    ({"status": 500}, "path"),
    ({"webhook": "wh_x", "mode": "sleep"}, "mode"),
    ({"webhook": "wh_x", "mode": "timeout", "status": 500}, "status"),
])
def test_a_fault_that_cannot_be_is_a_422_naming_the_field(client, caller, body, field):
    response = client.post("/sandbox/v1/faults", headers=caller.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert any(field in name for name in response.json()["errors"]), response.json()


def test_outside_sandbox_mode_the_fault_table_is_ignored(app, settings, caller, client):
    _fault(client, caller, path="/api/{account}/fans/all", status=500)
    assert client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).status_code == 500
    plain = create_app(settings.model_copy(update={"sandbox": False}))
    assert not any(m.cls.__name__ == "FaultInjection" for m in plain.user_middleware)
    with TestClient(plain) as outside:
        response = outside.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
        assert response.status_code == 200 and "x-massdm-fault" not in response.headers
        assert outside.get("/sandbox/v1/faults", headers=caller.headers).status_code == 404


# --- webhook faults ------------------------------------------------------------------------------------


@pytest.fixture
def dispatch(app, clock):
    dispatcher = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(
        senders=1, sender=SenderConfig(allow_private=True, total_timeout=2), faults=True), name="test-dispatcher")
    return dispatcher.run_until_idle


def _hook(client, caller, receiver) -> str:
    response = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": ["messages.ppv.unlocked"], "account_scope": "global",
        "signing_secret": "s3cret"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def _advance(client, caller, seconds: int) -> None:
    response = client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": seconds})
    assert response.status_code == 200, response.text


def _attempts(client, caller, webhook_id: str) -> list[dict]:
    rows = client.get(f"/api/webhooks/{webhook_id}/deliveries", headers=caller.headers).json()["data"]
    return sorted(rows, key=lambda r: r["attempt"])


def test_a_webhook_timeout_fault_delivers_but_loses_the_answer_so_the_event_comes_again(
        client, caller, receiver, dispatch):
    webhook_id = _hook(client, caller, receiver)
    fault = _fault(client, caller, webhook=webhook_id, mode="timeout", times=1)
    client.post("/sandbox/v1/events", headers=caller.headers,
                json={"event": "messages.ppv.unlocked", "account": caller.account})
    assert dispatch() == 1
    _advance(client, caller, 11)  # the retry falls due, and the advance sends it
    got = receiver.received
    assert len(got) == 2 and got[0].idempotency_key == got[1].idempotency_key  # a receiver's dedupe sees it twice
    assert [d.attempt for d in got] == ["1", "2"]
    first, second = _attempts(client, caller, webhook_id)
    assert (first["succeeded"], first["error_type"]) == (False, "timeout") and fault["id"] in first["error_message"]
    assert second["succeeded"] is True
    assert client.get(f"/sandbox/v1/faults/{fault['id']}", headers=caller.headers).json()["hits"] == 1


def test_a_webhook_status_fault_fails_n_attempts_as_if_answered(client, caller, receiver, dispatch):
    receiver.script = lambda _n, _d: Reply(200)
    webhook_id = _hook(client, caller, receiver)
    _fault(client, caller, webhook=webhook_id, mode="status", status=503, times=2)
    client.post("/sandbox/v1/events", headers=caller.headers,
                json={"event": "messages.ppv.unlocked", "account": caller.account})
    dispatch()
    _advance(client, caller, 600)  # both retries fall due on the way, and are sent
    assert len(receiver.received) == 1  # the two faulted attempts never reached it
    rows = _attempts(client, caller, webhook_id)
    assert [(r["attempt"], r["succeeded"], r["status_code"]) for r in rows] == [(1, False, 503), (2, False, 503),
                                                                               (3, True, 200)]
    assert rows[0]["error_type"] == "http_status"


def test_a_webhook_fault_needs_a_webhook_of_the_team(client, caller, world, receiver):
    webhook_id = _hook(client, caller, receiver)
    other = world.caller()
    response = client.post("/sandbox/v1/faults", headers=other.headers,
                           json={"webhook": webhook_id, "mode": "status", "times": 1})
    assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
    made = _fault(client, caller, webhook=webhook_id, mode="status", times=1)
    assert (made["webhook"], made["status"], made["path"]) == (webhook_id, 500, None)


# --- the CLI twins ----------------------------------------------------------------------------------------


def massdm(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MASSDM_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "massdm", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_cli_adds_lists_and_clears_faults_a_running_server_applies_at_once(settings, client, caller):
    slug = caller.team.slug
    added = massdm(settings, "sandbox", "faults", "add", "--path", "/api/{account}/fans/all", "--method", "get",
                   "--status", "503", "--times", "1", "--retry-after", "0.5", "--team", slug, "--json")
    assert added.returncode == 0, added.stderr
    fault = json.loads(added.stdout)
    assert fault == client.get(f"/sandbox/v1/faults/{fault['id']}", headers=caller.headers).json()  # the API's shape
    faulted = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    assert faulted.status_code == 503 and faulted.headers["x-massdm-fault"] == fault["id"]
    listed = json.loads(massdm(settings, "sandbox", "faults", "list", "--team", slug, "--json").stdout)
    assert [(f["id"], f["hits"], f["remaining"]) for f in listed["faults"]] == [(fault["id"], 1, 0)]
    refused = massdm(settings, "sandbox", "faults", "add", "--path", "/sandbox/v1/clock", "--status", "500",
                     "--team", slug)
    assert refused.returncode == 1 and "path" in refused.stderr
    cleared = massdm(settings, "sandbox", "faults", "clear", "--team", slug, "--json")
    assert json.loads(cleared.stdout) == {"deleted": 1}
    assert client.get("/sandbox/v1/faults", headers=caller.headers).json() == {"faults": []}
