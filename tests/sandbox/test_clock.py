"""The sandbox clock: read, frozen, set forward only, advanced with everything due run in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.clock import DrivenClock
from massdm.sandbox import clock as sandbox_clock


def _fans(client, caller, count: int = 5) -> None:
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": "2026-01-01T00:00:00+00:00"} for i in range(1, count + 1)]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans)
    assert response.status_code == 200, response.text


def _clock(client, caller, method: str = "GET", path: str = "/sandbox/v1/clock", **body):
    return client.request(method, path, headers=caller.headers, **({"json": body} if method != "GET" else {}))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _queue(client, caller, message_id: int) -> dict:
    response = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["queue"]


def test_the_clock_runs_with_the_wall_until_frozen_then_stays(client, caller):
    shown = _clock(client, caller).json()
    assert shown["frozen"] is False
    assert abs(_at(shown["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
    frozen = _clock(client, caller, "POST", frozen=True).json()
    assert frozen["frozen"] is True
    assert _clock(client, caller).json() == frozen  # it does not move
    running = _clock(client, caller, "POST", frozen=False).json()
    assert running["frozen"] is False and _at(running["now"]) >= _at(frozen["now"])


def test_the_clock_moves_forward_only_and_says_why_not(client, caller):
    now = _at(_clock(client, caller, "POST", frozen=True).json()["now"])
    back = _clock(client, caller, "POST", now=(now - timedelta(seconds=1)).isoformat())
    assert back.status_code == 422, back.text
    body = back.json()
    assert body["error"] == "VALIDATION_ERROR" and "only moves forward" in body["errors"]["now"][0]
    assert body["_meta"]["_credits"]["used"] == 0
    later = now + timedelta(days=2)
    moved = _clock(client, caller, "POST", now=later.isoformat()).json()
    assert _at(moved["now"]) == later and moved["frozen"] is True
    assert moved["ran"] == {"sent": 0, "delivered": 0, "views": 0, "purchases": 0, "events": 0}
    for bad, field in (({"seconds": -1}, "seconds"), ({"seconds": "1h"}, "seconds"), ({}, None),
                       ({"seconds": 1, "to": later.isoformat()}, None), ({"to": "tomorrow"}, "to"),
                       ({"to": "2030-01-01T00:00:00"}, "to"), ({"seconds": 1, "extra": 1}, "extra")):
        response = _clock(client, caller, "POST", "/sandbox/v1/clock/advance", **bad)
        assert response.status_code == 422, (bad, response.text)
        if field:
            assert any(field in name for name in response.json()["errors"]), (bad, response.json())
    assert _at(_clock(client, caller).json()["now"]) == later  # nothing moved it


def test_advancing_sends_a_scheduled_message_and_closes_its_unsend_window(client, caller):
    _fans(client, caller, 5)
    now = _at(_clock(client, caller, "POST", frozen=True).json()["now"])
    tomorrow = now + timedelta(days=1)
    sent = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                       json={"text": "tomorrow", "userLists": ["fans"], "scheduledDate": tomorrow.isoformat()})
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["data"]["id"]
    early = _clock(client, caller, "POST", "/sandbox/v1/clock/advance", seconds=3600).json()
    assert early["ran"]["sent"] == 0 and _queue(client, caller, message_id)["isDone"] is False

    advanced = _clock(client, caller, "POST", "/sandbox/v1/clock/advance", seconds=24 * 3600)
    assert advanced.status_code == 200, advanced.text
    body = advanced.json()
    assert _at(body["now"]) == now + timedelta(hours=25) and body["frozen"] is True
    assert body["ran"]["sent"] == 1 and body["ran"]["delivered"] == 5
    queue = _queue(client, caller, message_id)
    # sent at its scheduled time, an hour ago: an hour of its two-hour unsend window is left
    assert (queue["isDone"], queue["sentCount"], queue["canUnsend"], queue["unsendSeconds"]) == (True, 5, True, 3600)
    assert queue["date"].startswith(tomorrow.strftime("%Y-%m-%dT%H:%M:%S"))

    _clock(client, caller, "POST", "/sandbox/v1/clock/advance", to=(tomorrow + timedelta(hours=2)).isoformat())
    queue = _queue(client, caller, message_id)
    assert (queue["canUnsend"], queue["unsendSeconds"]) == (False, 0)


def test_everything_due_runs_in_time_order_each_at_its_own_moment(client, caller):
    """Two scheduled messages an hour apart, one advance past both: each is sent at its own time,
    so the second, through a smart list "not messaged within 2 hours", skips the fans the first reached."""
    _fans(client, caller, 4)
    now = _at(_clock(client, caller, "POST", frozen=True).json()["now"])
    smart = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers,
                        json={"name": "Quiet", "filter": {"receivedMassMessageWithinHours": 2}}).json()["data"]
    post = f"/api/{caller.account}/mass-messaging"
    first = client.post(post, headers=caller.headers, json={
        "text": "first", "userIds": [1, 2], "scheduledDate": (now + timedelta(hours=1)).isoformat()}).json()["data"]
    second = client.post(post, headers=caller.headers, json={
        "text": "second", "userLists": [smart["id"]],
        "scheduledDate": (now + timedelta(hours=2)).isoformat()}).json()["data"]
    body = _clock(client, caller, "POST", "/sandbox/v1/clock/advance", seconds=3 * 3600).json()
    assert body["ran"]["sent"] == 2 and body["ran"]["delivered"] == 4
    assert _queue(client, caller, first["id"])["sentCount"] == 2
    assert _queue(client, caller, second["id"])["sentCount"] == 2  # fans 3 and 4 only
    sent = client.get(f"/api/{caller.account}/mass-messaging/{second['id']}", headers=caller.headers).json()
    assert sent["data"]["queue"]["date"].startswith((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))


def test_saved_for_later_automation_sends_when_its_period_comes_round(client, caller):
    _fans(client, caller, 3)
    _clock(client, caller, "POST", frozen=True)
    base = f"/api/{caller.account}/saved-for-later/messages"
    saved = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                        json={"text": "later", "userLists": ["fans"], "saveForLater": True}).json()["data"]
    enabled = client.patch(f"{base}/settings/enable-or-update-automatic-messaging", headers=caller.headers,
                           json={"period": 6})
    assert enabled.status_code == 200, enabled.text
    assert _clock(client, caller, "POST", "/sandbox/v1/clock/advance", seconds=5 * 3600).json()["ran"]["sent"] == 0
    ran = _clock(client, caller, "POST", "/sandbox/v1/clock/advance", seconds=3600).json()["ran"]
    assert (ran["sent"], ran["delivered"]) == (1, 3)
    assert _queue(client, caller, saved["id"])["isDone"] is True


def test_every_process_of_the_store_tells_the_same_time(app, settings, client, caller):
    """A second app on the same database (another process of `serve --workers N`) reads the same clock."""
    other = create_app(settings)
    mine, theirs = state_of(app).clock, state_of(other).clock
    assert isinstance(mine, DrivenClock) and isinstance(theirs, DrivenClock)
    now = _at(_clock(client, caller, "POST", frozen=True).json()["now"])
    assert theirs.now() == now
    sandbox_clock.advance(state_of(other).engine, theirs, by=timedelta(hours=3))
    assert mine.now() == now + timedelta(hours=3)
    assert _at(_clock(client, caller).json()["now"]) == now + timedelta(hours=3)


def test_outside_sandbox_mode_the_control_api_is_not_there(tmp_path, settings, caller):
    from fastapi.testclient import TestClient

    plain = create_app(settings.model_copy(update={"sandbox": False}))
    with TestClient(plain) as client:
        for method, path in (("GET", "/sandbox/v1/clock"), ("POST", "/sandbox/v1/clock"),
                             ("POST", "/sandbox/v1/clock/advance")):
            response = client.request(method, path, headers=caller.headers, json={})
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"] == "NOT_FOUND"


def test_the_cli_twin_moves_the_clock_a_running_server_reads(client, caller, settings, monkeypatch):
    import json

    from typer.testing import CliRunner

    from massdm.cli import app as cli_app

    monkeypatch.setenv("MASSDM_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    frozen = runner.invoke(cli_app, ["sandbox", "clock", "freeze", "--json"])
    assert frozen.exit_code == 0, frozen.output
    now = _at(json.loads(frozen.stdout)["now"])
    assert _clock(client, caller).json() == {"now": json.loads(frozen.stdout)["now"], "frozen": True}
    moved = runner.invoke(cli_app, ["sandbox", "clock", "advance", "1d2h30m", "--json"])
    assert moved.exit_code == 0, moved.output
    body = json.loads(moved.stdout)
    assert _at(body["now"]) == now + timedelta(days=1, hours=2, minutes=30) and body["ran"]["sent"] == 0
    assert _at(_clock(client, caller).json()["now"]) == now + timedelta(days=1, hours=2, minutes=30)
    for bad in (["advance", "soon"], ["advance", "2h", "--to", "2030-01-01T00:00:00Z"],
                ["advance", "--to", "2020-01-01T00:00:00Z"], ["advance", "--to", "2030-01-01T00:00:00"]):
        refused = runner.invoke(cli_app, ["sandbox", "clock", *bad])
        assert refused.exit_code == 1, (bad, refused.output)
    assert _at(_clock(client, caller).json()["now"]) == now + timedelta(days=1, hours=2, minutes=30)
    later = now + timedelta(days=3)
    set_to = runner.invoke(cli_app, ["sandbox", "clock", "set", later.isoformat(), "--json"])
    assert set_to.exit_code == 0 and _at(json.loads(set_to.stdout)["now"]) == later, set_to.output
    assert runner.invoke(cli_app, ["sandbox", "clock", "set", now.isoformat()]).exit_code == 1  # forward only
    running = runner.invoke(cli_app, ["sandbox", "clock", "run", "--json"])
    assert json.loads(running.stdout)["frozen"] is False
