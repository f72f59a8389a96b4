"""Snapshots: a team's whole sandbox state saved under a name and brought back exactly, every read
endpoint of the contract answering after a restore what it answered at the snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from massdm.api.state import state_of
from massdm.config import Settings
from massdm.services import accounts as account_service
from massdm.store.db import transaction
from tests import media_files
from tests.api.routes import CONTRACT_ROUTES


@pytest.fixture
def settings(settings: Settings) -> Settings:  # webhooks go to the receiver, on this machine
    return settings.model_copy(update={"webhooks_allow_private": True})


def get(client, caller, path: str, account: str | None = None) -> dict:
    response = client.get(f"/api/{account or caller.account}{path}", headers=caller.headers)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def add_fans(client, caller, count: int, *, first: int = 1, account: str | None = None) -> None:
    since = "2026-01-01T00:00:00+00:00"
    for start in range(first, first + count, 1000):
        batch = [{"id": i, "username": f"fan{i}", "name": f"Fan {i}",
                  "subscribedAt": (datetime.fromisoformat(since) + timedelta(seconds=i)).isoformat()}
                 for i in range(start, min(first + count, start + 1000))]
        response = client.post(f"/api/{account or caller.account}/fans", headers=caller.headers, json=batch)
        assert response.status_code == 200, response.text


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def _advance(client, caller, seconds: float = 10) -> None:
    _ok(client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": seconds}))


def fan_headers(client, caller) -> dict[str, str]:
    state = state_of(client.app)
    with transaction(state.engine) as connection:
        issued = account_service.create_api_key(connection, team=caller.team, name="fan app", account_ids=[],
                                                limit_minute=1000, limit_day=None, now=state.clock.now(),
                                                scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


def _send(client, caller, **body) -> int:
    body.setdefault("userLists", ["fans"])
    return _ok(client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers, json=body))["data"]["id"]


def _upload(client, caller, size: int = 40) -> int:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("a.png", media_files.png(size, size))})
    return _ok(response)["vault_id"]


def build_state(client, caller, world, receiver, *, fans: int = 40) -> None:
    """A bit of everything: fans (expired ones too), a custom and a smart list, media in the vault and in a
    vault list, messages delivered, viewed and bought, one scheduled, one saved for later with automation on,
    a webhook with events delivered. The clock ends frozen."""
    api = f"/api/{caller.account}"
    h = caller.headers
    _ok(client.post("/sandbox/v1/clock", headers=h, json={"frozen": True}))
    now = datetime.fromisoformat(client.get("/sandbox/v1/clock", headers=h).json()["now"])
    add_fans(client, caller, fans)
    gone = [{"id": 900_000 + i, "username": f"gone{i}", "subscribedAt": (now - timedelta(days=90)).isoformat(),
             "expiresAt": (now - timedelta(days=i + 1)).isoformat()} for i in range(3)]
    _ok(client.post(f"{api}/fans", headers=h, json=gone))
    vip = _ok(client.post(f"{api}/user-lists", headers=h, json={"name": "VIP"}))["data"]["id"]
    _ok(client.post(f"{api}/user-lists/{vip}/users", headers=h, json={"ids": [1, 2, 3]}))
    _ok(client.post(f"{api}/user-lists", headers=h, json={"name": "Big", "filter": {"totalSpent": 10}}))
    shown, hidden = _upload(client, caller), _upload(client, caller, 60)
    folder = _ok(client.post(f"{api}/media/vault/lists", headers=h, json={"name": "Best"}))["data"]["id"]
    _ok(client.post(f"{api}/media/vault/lists/{folder}/media", headers=h, json={"mediaIds": [shown]}))
    _ok(client.post("/api/webhooks", headers=h, json={
        "endpoint_url": receiver.url, "account_scope": "global",
        "events": ["chat_queue.updated", "chat_queue.finished", "messages.ppv.unlocked"]}), 201)
    free = _send(client, caller, text="hello", mediaFiles=[shown])
    paid = _send(client, caller, text="secret", price="12.50", lockedText=True, mediaFiles=[shown, hidden],
                 previews=[shown], userLists=["fans", vip])
    _advance(client, caller)
    fan = fan_headers(client, caller)
    _ok(client.post(f"/fan/v1/1/messages/{free}/view", headers=fan))
    _ok(client.post(f"/fan/v1/2/messages/{paid}/purchase", headers=fan))
    _send(client, caller, text="tomorrow", scheduledDate=(now + timedelta(days=1)).isoformat())
    _send(client, caller, text="later", saveForLater=True)
    _ok(client.patch(f"{api}/saved-for-later/messages/settings/enable-or-update-automatic-messaging", headers=h,
                     json={"period": 24}))
    _advance(client, caller)


def queue_window(client, caller) -> str:
    """The schedule queue's window: from the sandbox clock's day on."""
    today = datetime.fromisoformat(client.get("/sandbox/v1/clock", headers=caller.headers).json()["now"]).date()
    return f"?publishDateStart={today}&publishDateEnd={today + timedelta(days=10)}&timezone=UTC"


_IDS = ("{list_id}", "{media_id}", "{message_id}", "{queue_id}", "{upload}", "{webhook_id}", "{user_id}",
        "{delivery_id}")


def _strip_meta(body):
    """The body without `_meta` (credits and rate-limit counters move with every call)."""
    return {k: v for k, v in body.items() if k != "_meta"} if isinstance(body, dict) else body


def read_everything(client, caller) -> dict[str, dict]:
    """The body of every read endpoint of the contract (and the fan's), for every id the listings name."""
    bodies: dict[str, dict] = {}

    def read(path: str, headers: dict[str, str] | None = None):
        response = client.get(path, headers=headers or caller.headers)
        assert response.status_code == 200, (path, response.text)
        bodies[path] = _strip_meta(response.json())
        if path == "/api/whoami":  # the key's own record: keys are kept, not restored, and it moves with use
            bodies[path]["api_key"].pop("last_used_at")
        return response.json()

    plain = sorted(p for m, p in CONTRACT_ROUTES if m == "GET" and not any(i in p for i in _IDS))
    for path in plain:
        query = queue_window(client, caller) if "/queue" in path else ""
        if "/fans/" in path or path.endswith("/user-lists"):
            query = "?limit=50"
        read(path.replace("{account}", caller.account) + query)
    api = f"/api/{caller.account}"
    for item in bodies[f"{api}/user-lists?limit=50"]["data"]:
        read(f"{api}/user-lists/{item['id']}")
        read(f"{api}/user-lists/{item['id']}/users?limit=50")
    for item in bodies[f"{api}/media/vault"]["data"]["list"]:
        read(f"{api}/media/vault/{item['id']}")
    for item in bodies[f"{api}/media/vault/lists"]["data"]["list"]:
        read(f"{api}/media/vault/lists/{item['id']}")
    messages = [i["id"] for i in bodies[f"{api}/mass-messaging"]["data"]]
    for message in messages:
        read(f"{api}/mass-messaging/{message}")
        read(f"{api}/engagement/messages/{message}/buyers")
    for hook in bodies["/api/webhooks"]["data"]:
        read(f"/api/webhooks/{hook['id']}")
        read(f"/api/webhooks/{hook['id']}/deliveries")
    fan = fan_headers(client, caller)
    for fan_id in (1, 2, 3):
        for item in read(f"/fan/v1/{fan_id}/messages", fan)["data"]["list"]:
            read(f"/fan/v1/{fan_id}/messages/{item['id']}", fan)
    read("/sandbox/v1/clock")
    return bodies


def _change_everything(client, caller) -> None:
    api, h = f"/api/{caller.account}", caller.headers
    _send(client, caller, text="after the snapshot")
    add_fans(client, caller, 25, first=5000)
    custom = [item["id"] for item in get(client, caller, "/user-lists?limit=50")["data"] if item["type"] == "custom"]
    _ok(client.delete(f"{api}/user-lists/{custom[0]}", headers=h))
    vault = get(client, caller, "/media/vault")["data"]["list"]
    _ok(client.request("DELETE", f"{api}/media/vault/delete-media", headers=h, json={"mediaIds": [vault[0]["id"]]}))
    _ok(client.patch(f"{api}/saved-for-later/messages/settings/disable-automatic-messaging", headers=h))
    hooks = client.get("/api/webhooks", headers=h).json()["data"]
    assert client.delete(f"/api/webhooks/{hooks[0]['id']}", headers=h).status_code == 204
    _advance(client, caller, 3 * 86400)


def test_restore_brings_back_every_read_endpoint_as_it_was(client, caller, world, receiver):
    build_state(client, caller, world, receiver)
    before = read_everything(client, caller)
    saved = _ok(client.post("/sandbox/v1/snapshots", headers=caller.headers, json={"name": "rich-1"}), 201)
    assert saved["name"] == "rich-1" and saved["sizes"]["fans"] == 43 and saved["clock"]["frozen"] is True
    assert saved["rows"] == sum(saved["sizes"].values())

    _change_everything(client, caller)
    assert read_everything(client, caller) != before

    restored = _ok(client.post("/sandbox/v1/snapshots/rich-1/restore", headers=caller.headers))
    assert restored["snapshot"]["name"] == "rich-1"
    after = read_everything(client, caller)
    assert after.keys() == before.keys()
    for path in before:
        assert after[path] == before[path], path

    highest = max(i["id"] for i in get(client, caller, "/mass-messaging")["data"])
    fresh = _send(client, caller, text="after the restore")
    assert fresh > highest
    _advance(client, caller)
    assert get(client, caller, f"/mass-messaging/{fresh}")["data"]["queue"]["sentCount"] == 43 - 3
    vip = _ok(client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "New"}))
    assert str(vip["data"]["id"]) not in [i["id"] for i in before[f"/api/{caller.account}/user-lists?limit=50"]["data"]]
    # A second restore of the same snapshot: the same state again.
    _ok(client.post("/sandbox/v1/snapshots/rich-1/restore", headers=caller.headers))
    assert read_everything(client, caller) == before


def test_snapshots_are_listed_named_per_team_and_deleted(client, caller, world):
    add_fans(client, caller, 5)
    h = caller.headers
    _ok(client.post("/sandbox/v1/snapshots", headers=h, json={"name": "a"}), 201)
    _ok(client.post("/sandbox/v1/snapshots", headers=h, json={"name": "b.2_x-y"}), 201)
    again = client.post("/sandbox/v1/snapshots", headers=h, json={"name": "a"})
    assert again.status_code == 409 and again.json()["error"] == "CONFLICT"
    listed = _ok(client.get("/sandbox/v1/snapshots", headers=h))["snapshots"]
    assert [(s["name"], s["sizes"]) for s in listed] == [("a", {"fans": 5}), ("b.2_x-y", {"fans": 5})]
    assert all(s["created"] for s in listed)
    for bad in ("", "x" * 65, "-a", "a b", "é", "a/b"):
        response = client.post("/sandbox/v1/snapshots", headers=h, json={"name": bad})
        assert response.status_code == 422, (bad, response.text)
        assert "name" in response.json()["errors"]
    stranger = world.caller()
    for method, path in (("POST", "/sandbox/v1/snapshots/a/restore"), ("DELETE", "/sandbox/v1/snapshots/a")):
        response = client.request(method, path, headers=stranger.headers)
        assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND", response.text
    assert _ok(client.get("/sandbox/v1/snapshots", headers=stranger.headers))["snapshots"] == []
    _ok(client.delete("/sandbox/v1/snapshots/a", headers=h))
    assert [s["name"] for s in _ok(client.get("/sandbox/v1/snapshots", headers=h))["snapshots"]] == ["b.2_x-y"]
    missing = client.post("/sandbox/v1/snapshots/a/restore", headers=h)
    assert missing.status_code == 404 and missing.json()["_meta"]["_credits"]["used"] == 0


def test_a_limited_key_cannot_save_or_restore_the_whole_team(client, caller, world):
    limited = {"Authorization": f"Bearer {world.key(caller.team, [caller.account])}"}
    response = client.post("/sandbox/v1/snapshots", headers=limited, json={"name": "x"})
    assert response.status_code == 404 and "every account" in response.json()["message"]


def test_the_media_files_stay_where_they_are(client, caller, tmp_path: Path):
    media = _upload(client, caller)
    item = get(client, caller, f"/media/vault/{media}")["data"]
    _ok(client.post("/sandbox/v1/snapshots", headers=caller.headers, json={"name": "m"}), 201)
    _ok(client.post("/sandbox/v1/reset", headers=caller.headers))
    _ok(client.post("/sandbox/v1/snapshots/m/restore", headers=caller.headers))
    assert get(client, caller, f"/media/vault/{media}")["data"] == item
    urls = [u for u in _strings(item) if u.startswith("http://massdm.test/")]
    assert urls, item
    for url in urls:  # the files were never copied nor deleted: the records point at them again
        assert client.get(url.removeprefix("http://massdm.test")).status_code == 200, url


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def test_the_cli_twins_reset_save_list_restore_and_delete(client, caller, settings):
    import json

    from typer.testing import CliRunner

    from massdm.cli import app as cli

    env = {"MASSDM_DATABASE_URL": settings.database_url, "MASSDM_MEDIA_DIR": str(settings.media_dir)}

    def run(*args: str) -> object:
        result = CliRunner().invoke(cli, ["sandbox", *args, "--team", caller.team.slug, "--json"], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1])

    add_fans(client, caller, 7)
    assert run("snapshot", "save", "seven")["sizes"] == {"fans": 7}
    assert [s["name"] for s in run("snapshot", "list")] == ["seven"]
    assert run("reset")["deleted"] == {"fans": 7}
    assert get(client, caller, "/fans/all")["data"]["list"] == []
    assert run("snapshot", "restore", "seven")["rows"] == 7
    assert len(get(client, caller, "/fans/all")["data"]["list"]) == 7
    assert run("reset", "--account", caller.account)["accounts"] == [caller.account]
    assert run("snapshot", "delete", "seven")["name"] == "seven"
    missing = CliRunner().invoke(cli, ["sandbox", "snapshot", "restore", "seven", "--team", caller.team.slug], env=env)
    assert missing.exit_code == 1 and "was not found" in missing.output


def test_restoring_ids_another_team_was_given_since_is_a_conflict_on_sqlite_only(client, caller, world):
    from tests.backends import ON_POSTGRES

    mine = _ok(client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "Mine"}))
    _ok(client.post("/sandbox/v1/snapshots", headers=caller.headers, json={"name": "s"}), 201)
    _ok(client.post("/sandbox/v1/reset", headers=caller.headers))
    other = world.caller()
    theirs = _ok(client.post(f"/api/{other.account}/user-lists", headers=other.headers, json={"name": "Theirs"}))
    assert (theirs["data"]["id"] == mine["data"]["id"]) is not ON_POSTGRES  # SQLite hands the freed id out again
    response = client.post("/sandbox/v1/snapshots/s/restore", headers=caller.headers)
    if ON_POSTGRES:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 409 and response.json()["error"] == "CONFLICT", response.text
        assert get(client, other, f"/user-lists/{theirs['data']['id']}")["data"]["name"] == "Theirs"


def test_a_snapshot_taken_mid_delivery_restores_without_its_workers_leases(client, caller, monkeypatch):
    """Taken while a worker held a chunk (and, frozen, the clock would never let that lease run out),
    the restored message is delivered by the next advance at once: no worker holds anything after a
    restore."""
    from massdm.delivery.worker import DeliveryWorker, WorkerConfig
    from massdm.sandbox import clock as sandbox_clock

    monkeypatch.setattr(sandbox_clock, "WAIT_FOR_OTHERS", 5.0)  # the old behaviour failed after waiting it out
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": "2026-01-01T00:00:00+00:00"} for i in range(1, 8)]
    _ok(client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans))
    _ok(client.post("/sandbox/v1/clock", headers=caller.headers, json={"frozen": True}))
    message = _send(client, caller, text="in flight")
    state = state_of(client.app)
    held = DeliveryWorker(state.engine, state.clock, WorkerConfig(chunk_size=3), name="gone-before-restore")
    planned = held._claim_message()
    assert planned is not None and planned.id == message
    held._plan(planned)
    assert held._claim_chunk() is not None  # a chunk leased to a worker that will never deliver it
    _ok(client.post("/sandbox/v1/snapshots", headers=caller.headers, json={"name": "mid-delivery"}), 201)
    _ok(client.post("/sandbox/v1/snapshots/mid-delivery/restore", headers=caller.headers))

    ran = _ok(client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": 0}))["ran"]
    assert ran["delivered"] == 7
    queue = _ok(client.get(f"/api/{caller.account}/mass-messaging/{message}", headers=caller.headers))["data"]["queue"]
    assert (queue["isDone"], queue["sentCount"]) == (True, 7)
