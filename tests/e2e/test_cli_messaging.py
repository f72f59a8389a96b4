"""`massdm send`, `massdm messages`, `massdm worker` and fan-scoped keys, as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from fastapi.testclient import TestClient

from massdm.app import create_app
from massdm.config import Settings
from tests.backends import database_url, redis_env, redis_settings
from tests.e2e.test_cli import massdm


def _demo(tmp_path) -> dict:
    return json.loads(massdm(tmp_path, "demo", "--fans", "300", "--json").stdout)


def _client(tmp_path) -> TestClient:
    settings = Settings(database_url=database_url(tmp_path, "cli"), media_dir=tmp_path / "media", **redis_settings(),
                        worker_enabled=False)
    return TestClient(create_app(settings))


def test_send_wait_delivers_with_a_progress_bar(tmp_path):
    demo = _demo(tmp_path)
    result = massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--exclude", "muted",
                    "--text", "Hello fans", "--wait", "--json")
    summary = json.loads(result.stdout)
    assert summary["status"] == "sent" and summary["sent"] == summary["total"] > 0
    assert "delivering" in result.stderr
    headers = {"Authorization": f"Bearer {demo['api_key']}"}
    with _client(tmp_path) as client:
        lists = {x["id"]: x["usersCount"] for x in
                 client.get(f"/api/{demo['account']}/user-lists?limit=50", headers=headers).json()["data"]}
        queue = client.get(f"/api/{demo['account']}/mass-messaging/{summary['id']}", headers=headers).json()
    assert queue["data"]["queue"]["sentCount"] == summary["sent"]
    assert lists["fans"] - lists["muted"] <= summary["sent"] <= lists["fans"]


def test_send_wait_ends_with_a_summary(tmp_path):
    demo = _demo(tmp_path)
    result = massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "Hi", "--wait",
                    "--json")
    summary = json.loads(result.stdout)  # stdout stays the JSON; the summary goes with the progress
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("sent: delivered to ") and line.endswith(" s")
    assert f"delivered to {summary['sent']:,} fans, skipped {summary['skipped']:,}, in " in line


def test_messages_limit_prints_the_newest_first(tmp_path):
    demo = _demo(tmp_path)
    for n in range(4):
        massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", f"number {n}", "--wait")
    massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "in the queue",
           "--schedule", "2999-01-01T00:00:00")
    table = massdm(tmp_path, "messages", "--account", demo["account"], "--limit", "3").stdout
    shown = [text for text in ("in the queue", "number 3", "number 2", "number 1", "number 0") if text in table]
    assert shown == ["in the queue", "number 3", "number 2"]  # three rows, the newest (due last) first
    assert table.index("in the queue") < table.index("number 3") < table.index("number 2")


def test_send_refuses_bad_input_with_the_field_named(tmp_path):
    demo = _demo(tmp_path)
    result = massdm(tmp_path, "send", "--account", demo["account"], "--list", "nope", "--text", "x", check=False)
    assert result.returncode == 1 and "userLists" in result.stderr and "nope" in result.stderr
    priced = massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "x",
                    "--price", "10", check=False)
    assert priced.returncode == 1 and "mediaFiles" in priced.stderr


def test_messages_prints_the_overview_table(tmp_path):
    demo = _demo(tmp_path)
    massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "First one", "--wait")
    massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "Parked", "--save-for-later")
    table = massdm(tmp_path, "messages", "--account", demo["account"]).stdout
    assert "First one" in table and "sent" in table and "free" in table
    assert "Parked" not in table  # saved for later is not in the queue or the overview


def test_worker_process_delivers_and_stops_on_sigterm(tmp_path):
    demo = _demo(tmp_path)
    message_id = massdm(tmp_path, "send", "--account", demo["account"], "--list", "fans", "--text", "via worker",
                        "--json").stdout
    message_id = json.loads(message_id)["id"]
    env = {**os.environ, "MASSDM_DATABASE_URL": database_url(tmp_path, "cli"), **redis_env(),
           "MASSDM_WORKER_POLL_SECONDS": "0.1"}
    worker = subprocess.Popen([sys.executable, "-m", "massdm", "worker"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    headers = {"Authorization": f"Bearer {demo['api_key']}"}
    try:
        deadline = time.monotonic() + 30
        with _client(tmp_path) as client:
            while time.monotonic() < deadline:
                item = client.get(f"/api/{demo['account']}/mass-messaging/{message_id}", headers=headers).json()
                if item["data"]["queue"]["isDone"]:
                    break
                time.sleep(0.2)
        assert item["data"]["queue"]["isDone"] is True and item["data"]["queue"]["sentCount"] > 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    assert worker.returncode == 0


def test_fan_scoped_keys(tmp_path):
    demo = _demo(tmp_path)
    fan_key = json.loads(massdm(tmp_path, "keys", "create", "--team", "demo", "--scope", "fan", "--json").stdout)
    assert fan_key["scopes"] == ["fan"]
    with _client(tmp_path) as client:
        fan_headers = {"Authorization": f"Bearer {fan_key['api_key']}"}
        assert client.get("/fan/v1/100001/messages", headers=fan_headers).status_code == 200
        assert client.get("/api/whoami", headers=fan_headers).status_code == 401
        api_headers = {"Authorization": f"Bearer {demo['api_key']}"}
        assert client.get("/fan/v1/100001/messages", headers=api_headers).status_code == 401
    bad = massdm(tmp_path, "keys", "create", "--scope", "admin", check=False)
    assert bad.returncode == 1 and "scopes" in bad.stderr.lower()
