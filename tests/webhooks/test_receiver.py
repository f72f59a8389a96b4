"""`massdm webhooks listen`: it checks signatures the way a receiver should, and reports each delivery."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx

from massdm.domain.webhooks import body, signature
from massdm.webhooks.receiver import Received, Reply, WebhookReceiver
from tests.conftest import free_port

RAW = body("test-event", None, {"message": "hi"})


def _running(**options) -> tuple[WebhookReceiver, list[Received]]:
    got: list[Received] = []
    receiver = WebhookReceiver("127.0.0.1", 0, on_delivery=got.append, **options)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    return receiver, got


def _post(receiver: WebhookReceiver, raw: bytes, **headers: str) -> int:
    return httpx.post(receiver.url, content=raw, headers={"Content-Type": "application/json", **headers}).status_code


def test_good_signatures_pass_and_bad_or_missing_ones_are_refused():
    receiver, got = _running(secret="s3cret")
    try:
        assert _post(receiver, RAW, Signature=signature("s3cret", RAW), **{"X-OFAPI-Idempotency-Key": "evt_1"}) == 200
        assert _post(receiver, RAW, Signature=signature("wrong", RAW)) == 401
        assert _post(receiver, RAW + b" ", Signature=signature("s3cret", RAW)) == 401  # not the bytes signed
        assert _post(receiver, RAW) == 401
        assert [(r.signature, r.status) for r in got] == [("valid", 200), ("invalid", 401), ("invalid", 401),
                                                         ("unsigned", 401)]
        assert (got[0].event, got[0].payload, got[0].idempotency_key) == ("test-event", {"message": "hi"}, "evt_1")
    finally:
        receiver.shutdown()


def test_without_a_secret_everything_is_taken_and_fail_first_answers_503():
    receiver, got = _running(fail_first=2)
    try:
        assert [_post(receiver, RAW) for _ in range(3)] == [503, 503, 200]
        assert {r.signature for r in got} == {"unchecked"}
    finally:
        receiver.shutdown()


def test_a_scripted_answer_replaces_the_verdict_and_the_exact_request_is_kept():
    seen: list[tuple[int, int]] = []

    def answer(n: int, received: Received) -> Reply:
        seen.append((n, received.status))
        return Reply(500 if n == 1 else received.status, headers={"Retry-After": "1"})

    receiver, got = _running(secret="s3cret", answer=answer)
    try:
        good = {"Signature": signature("s3cret", RAW)}
        first = httpx.post(receiver.url + "/hook", content=RAW, headers=good)
        assert (first.status_code, first.headers["retry-after"]) == (500, "1")
        assert _post(receiver, RAW, **good) == 200 and _post(receiver, RAW) == 401
        assert seen == [(1, 200), (2, 200), (3, 401)]  # the verdict, to follow or override
        assert [r.status for r in got] == [500, 200, 401]  # what was answered
        assert got[0].raw == RAW and got[0].path == "/hook" and got[0].headers["signature"] == good["Signature"]
        assert set(got[0].as_json()) == {"event", "account_id", "payload", "idempotency_key", "attempt",
                                         "redelivery_of", "signature", "status"}
    finally:
        receiver.shutdown()


def test_the_command_prints_each_delivery_and_its_verdict(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "massdm", "webhooks", "listen", "--port", str(port),
                                "--secret", "s3cret"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the listener did not start"
                time.sleep(0.1)
        assert httpx.post(url, content=RAW, headers={"Signature": signature("s3cret", RAW)}).status_code == 200
        assert httpx.post(url, content=RAW, headers={"Signature": "00"}).status_code == 401
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert f"listening for webhooks on http://127.0.0.1:{port}" in err
    lines = [line for line in err.splitlines() if line.startswith("test-event")]
    assert len(lines) == 2
    assert "-> 200 signature ok" in lines[0] and "-> 401 BAD SIGNATURE" in lines[1]
    assert '"message": "hi"' in err
