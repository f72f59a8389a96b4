"""Idempotency-Key against a real server process: racing repeats, and a retry after a lost answer."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from massdm.store import teams as team_store

SEND = {"text": "Hello from the race", "userLists": ["fans"]}
BODY = json.dumps(SEND).encode()  # every attempt sends exactly these bytes, as a retrying client does
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def caller(server):
    caller = server.world.caller()
    fans = [{"id": i, "username": f"fan{i}"} for i in range(1, 6)]
    response = httpx.post(f"{server.base_url}/api/{caller.account}/fans", headers=caller.headers, json=fans, timeout=30)
    assert response.status_code == 200, response.text
    return caller


def _messages(server, caller) -> list[int]:
    response = httpx.get(f"{server.base_url}/api/{caller.account}/mass-messaging", headers=caller.headers, timeout=30)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


def _balance(server, caller) -> int:
    with server.world.engine.connect() as connection:
        return team_store.get_balance(connection, caller.team.id)


def _retry_until_ok(server, caller, key: str, deadline: float = 15.0) -> httpx.Response:
    """What an SDK does: repeat the same request with the same key while the first is in flight."""
    url = f"{server.base_url}/api/{caller.account}/mass-messaging"
    stop = time.monotonic() + deadline
    while True:
        response = httpx.post(url, headers={**caller.headers, **JSON, "Idempotency-Key": key}, content=BODY,
                              timeout=30)
        if response.status_code != 409 or time.monotonic() > stop:
            return response
        assert response.json()["error"] == "IDEMPOTENCY_CONFLICT"
        time.sleep(0.05)


def test_twenty_simultaneous_repeats_create_one_message(server, caller):
    balance = _balance(server, caller)
    url = f"{server.base_url}/api/{caller.account}/mass-messaging"
    headers = {**caller.headers, **JSON, "Idempotency-Key": "race-1"}
    with httpx.Client(headers=headers, timeout=30) as http, ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: http.post(url, content=BODY), range(20)))

    messages = _messages(server, caller)
    assert len(messages) == 1, messages
    ok = [r for r in responses if r.status_code == 200]
    conflicts = [r for r in responses if r.status_code == 409]
    assert len(ok) + len(conflicts) == 20, [(r.status_code, r.text) for r in responses]
    assert ok, "nobody got the answer"
    assert {r.json()["data"]["id"] for r in ok} == set(messages)
    assert all(r.json()["error"] == "IDEMPOTENCY_CONFLICT" for r in conflicts)
    fresh = [r for r in ok if r.headers.get("idempotent-replayed") != "true"]
    replays = [r for r in ok if r.headers.get("idempotent-replayed") == "true"]
    assert len(fresh) == 1 and fresh[0].json()["_meta"]["_credits"]["used"] == 1
    assert all(r.content == fresh[0].content for r in replays)  # the first answer, byte for byte
    assert replays or conflicts
    assert _balance(server, caller) == balance - 2  # the one send, and the queue listing

    retried = _retry_until_ok(server, caller, "race-1")
    assert retried.status_code == 200 and retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["data"]["id"] == messages[0]


def _raw_request(server, caller, key: str) -> bytes:
    parts = urlsplit(server.base_url)
    head = (
        f"POST /api/{caller.account}/mass-messaging HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {caller.headers['Authorization']}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + BODY


def test_retry_after_the_answer_was_lost_gets_the_first_message(server, caller):
    """The request reached the server and was processed, but the client never read the answer."""
    parts = urlsplit(server.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(_raw_request(server, caller, "lost-answer"))
        stop = time.monotonic() + 15
        while not _messages(server, caller) and time.monotonic() < stop:
            time.sleep(0.05)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, unread
    sent = _messages(server, caller)
    assert len(sent) == 1, sent

    retried = _retry_until_ok(server, caller, "lost-answer")
    assert retried.status_code == 200, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["data"]["id"] == sent[0]
    assert _messages(server, caller) == sent


def test_retry_after_a_client_timeout_never_sends_twice(server, caller):
    url = f"{server.base_url}/api/{caller.account}/mass-messaging"
    headers = {**caller.headers, **JSON, "Idempotency-Key": "timed-out"}
    with contextlib.suppress(httpx.ReadTimeout):  # the usual outcome: the client gave up before the answer came
        httpx.post(url, headers=headers, content=BODY, timeout=httpx.Timeout(10, read=0.001))
    retried = _retry_until_ok(server, caller, "timed-out")
    assert retried.status_code == 200, retried.text
    sent = _messages(server, caller)
    assert sent == [retried.json()["data"]["id"]]
    again = _retry_until_ok(server, caller, "timed-out")
    assert again.headers["idempotent-replayed"] == "true" and again.json()["data"]["id"] == sent[0]
