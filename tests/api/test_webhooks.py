"""The webhook management API (CONTRACT.md §9): create, read, change, delete; free of credits; clear 4xx."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from massdm.domain.webhooks import EVENTS
from tests.backends import database_url, redis_settings

HOOK = "https://hooks.example.com/massdm"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=database_url(tmp_path), public_url="http://massdm.test", media_dir=tmp_path / "media",
                    worker_enabled=False, webhooks_allow_private=True, **redis_settings())


def _create(client, caller, **body) -> dict:
    body = {"endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "global", **body}
    response = client.post("/api/webhooks", headers=caller.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _balance(client, caller) -> int:
    response = client.get(f"/api/{caller.account}/user-lists", headers=caller.headers)
    return response.json()["_meta"]["_credits"]["balance"]


def test_the_events_are_listed_with_descriptions_and_cost_nothing(client, caller):
    response = client.get("/api/webhooks/events", headers=caller.headers)
    assert response.status_code == 200
    body = response.json()
    assert [e["value"] for e in body["data"]] == list(EVENTS)
    assert all(e["description"] for e in body["data"])
    assert body["_meta"]["_credits"] == {"used": 0, "balance": 1_000_000, "note": "Free endpoint"}


def test_create_read_change_and_delete_a_webhook(client, caller):
    created = _create(client, caller, events=["chat_queue.updated", "messages.ppv.unlocked"], signing_secret="s3cret")
    assert re.fullmatch(r"wh_[0-9a-f]{32}", created["id"])
    assert created["url"] == HOOK and created["enabled"] is True and created["has_signing_secret"] is True
    assert created["events"] == ["chat_queue.updated", "messages.ppv.unlocked"]
    assert created["account_scope"] == "global" and created["account_ids"] == []
    assert created["mass_message_sent"] is False and created["paused_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created["created_at"])
    assert "s3cret" not in str(created)  # the secret is never shown again

    fetched = client.get(f"/api/webhooks/{created['id']}", headers=caller.headers).json()["data"]
    assert fetched == created
    assert [w["id"] for w in client.get("/api/webhooks", headers=caller.headers).json()["data"]] == [created["id"]]

    changed = client.put(f"/api/webhooks/{created['id']}", headers=caller.headers, json={
        "endpoint_url": "https://other.example.com/in", "events": ["chat_queue.finished"],
        "account_scope": "inclusive", "account_ids": [caller.account], "enabled": False,
    })
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert (data["url"], data["events"], data["account_scope"], data["account_ids"], data["enabled"]) == (
        "https://other.example.com/in", ["chat_queue.finished"], "inclusive", [caller.account], False)
    assert data["has_signing_secret"] is True  # left out of the PUT: kept
    cleared = client.put(f"/api/webhooks/{created['id']}", headers=caller.headers, json={
        "endpoint_url": HOOK, "events": ["chat_queue.finished"], "account_scope": "global", "signing_secret": None,
    }).json()["data"]
    assert cleared["has_signing_secret"] is False and cleared["enabled"] is False  # enabled left out: kept

    deleted = client.delete(f"/api/webhooks/{created['id']}", headers=caller.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    missing = client.get(f"/api/webhooks/{created['id']}", headers=caller.headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == "NOT_FOUND" and created["id"] in missing.json()["message"]
    assert _balance(client, caller) == 1_000_000 - 1  # only the user-lists call above cost anything


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"endpoint_url": "ftp://example.com/x"}, "endpoint_url", "absolute http(s) URL"),
    ({"endpoint_url": "not a url"}, "endpoint_url", "absolute http(s) URL"),
    ({"endpoint_url": "https://example.com/" + "x" * 2000}, "endpoint_url", "at most 2,000 characters"),
    ({"events": []}, "events", "at least one event"),
    ({"events": ["messages.received"]}, "events", "Unknown events: messages.received"),
    ({"events": ["test-event"]}, "events", "Unknown events: test-event"),
    ({"account_scope": "everyone"}, "account_scope", "global, inclusive or exclusive"),
    ({"account_scope": "inclusive"}, "account_ids", "Name the accounts"),
    ({"account_scope": "exclusive", "account_ids": ["acct_" + "0" * 32]}, "account_ids", "Unknown accounts"),
    ({"events": "chat_queue.updated"}, "events", "valid list"),
    ({"enabled": "sometimes"}, "enabled", "boolean"),
])
def test_bad_subscriptions_get_a_422_naming_the_field(client, caller, body, field, words):
    full = {"endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "global", **body}
    response = client.post("/api/webhooks", headers=caller.headers, json=full)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "VALIDATION_ERROR"
    assert words in " ".join(error["errors"][field])
    assert client.get("/api/webhooks", headers=caller.headers).json()["data"] == []


def test_required_fields_and_malformed_bodies(client, caller):
    missing = client.post("/api/webhooks", headers=caller.headers, json={"events": ["chat_queue.updated"]})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"endpoint_url", "account_scope"}
    garbage = client.post("/api/webhooks", headers={**caller.headers, "Content-Type": "application/json"},
                          content=b"{not json")
    assert garbage.status_code == 422 and garbage.json()["error"] == "VALIDATION_ERROR"
    bad_put = client.put("/api/webhooks/wh_nope", headers=caller.headers, json={})
    assert bad_put.status_code == 422  # the body is checked before the id is looked up


def test_private_and_loopback_endpoints_are_refused_by_default(tmp_path):
    settings = Settings(database_url=database_url(tmp_path, "strict"), public_url="http://massdm.test",
                        media_dir=tmp_path / "media", worker_enabled=False, **redis_settings())
    app = create_app(settings)
    from tests.conftest import World

    caller = World(state_of(app).engine, state_of(app).clock).caller()
    with TestClient(app) as client:
        for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/x",
                    "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://no-such-host.invalid/x"):
            response = client.post("/api/webhooks", headers=caller.headers, json={
                "endpoint_url": url, "events": ["chat_queue.updated"], "account_scope": "global"})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["errors"]["endpoint_url"][0].startswith("The endpoint URL")
        assert client.get("/api/webhooks", headers=caller.headers).json()["data"] == []


def test_a_team_never_sees_another_teams_webhooks(client, caller, world):
    mine = _create(client, caller)
    stranger = world.caller()
    for method, path in (("GET", f"/api/webhooks/{mine['id']}"), ("DELETE", f"/api/webhooks/{mine['id']}"),
                         ("GET", f"/api/webhooks/{mine['id']}/deliveries"),
                         ("POST", f"/api/webhooks/{mine['id']}/test"),
                         ("POST", f"/api/webhooks/{mine['id']}/deliveries/1/redeliver")):
        response = client.request(method, path, headers=stranger.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert client.get("/api/webhooks", headers=stranger.headers).json()["data"] == []
    # nor can it subscribe to this team's account
    response = client.post("/api/webhooks", headers=stranger.headers, json={
        "endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "inclusive",
        "account_ids": [caller.account]})
    assert response.status_code == 422 and "Unknown accounts" in response.json()["errors"]["account_ids"][0]


def test_a_key_of_some_accounts_manages_only_inclusive_webhooks_of_its_accounts(client, caller, world):
    other_account = world.account(caller.team, "Other")
    team_wide = _create(client, caller)
    limited = {"Authorization": f"Bearer {world.key(caller.team, [caller.account])}"}
    refused = client.post("/api/webhooks", headers=limited, json={
        "endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "global"})
    assert refused.status_code == 422 and "inclusive" in refused.json()["errors"]["account_scope"][0]
    outside = client.post("/api/webhooks", headers=limited, json={
        "endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "inclusive",
        "account_ids": [other_account]})
    assert outside.status_code == 422
    own = client.post("/api/webhooks", headers=limited, json={
        "endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "inclusive",
        "account_ids": [caller.account]})
    assert own.status_code == 201, own.text
    assert [w["id"] for w in client.get("/api/webhooks", headers=limited).json()["data"]] == [own.json()["data"]["id"]]
    assert client.get(f"/api/webhooks/{team_wide['id']}", headers=limited).status_code == 404
    everything = {w["id"] for w in client.get("/api/webhooks", headers=caller.headers).json()["data"]}
    assert everything == {team_wide["id"], own.json()["data"]["id"]}


def test_webhook_calls_need_a_key_and_count_against_its_limits(client, world):
    caller = world.caller(limit_minute=2)
    assert client.get("/api/webhooks").status_code == 401
    assert client.get("/api/webhooks", headers=caller.headers).status_code == 200
    first = client.get("/api/webhooks/events", headers=caller.headers).json()
    assert first["_meta"]["_rate_limits"]["remaining_minute"] == 0
    limited = client.get("/api/webhooks", headers=caller.headers)
    assert limited.status_code == 429 and limited.headers["Retry-After"]


def test_the_deliveries_log_checks_its_filters(client, caller):
    webhook = _create(client, caller)
    base = f"/api/webhooks/{webhook['id']}/deliveries"
    empty = client.get(base, headers=caller.headers)
    assert empty.status_code == 200
    assert empty.json()["data"] == [] and empty.json()["_pagination"] == {"next_page": None}
    for query, field in (("date_start=yesterday", "date_start"), ("event=nope", "event"),
                         ("date_start=2026-02-02 00:00:00&date_end=2026-02-01 00:00:00", "date_end"),
                         ("limit=0", "limit"), ("succeeded=maybe", "succeeded")):
        response = client.get(f"{base}?{query}", headers=caller.headers)
        assert response.status_code == 422, (query, response.text)
        assert field in response.json()["errors"], (query, response.json())
    unknown = client.post(f"{base}/12345/redeliver", headers=caller.headers)
    assert unknown.status_code == 404 and "was not found" in unknown.json()["message"]


@pytest.mark.parametrize("webhook_id", ["wh_%00", "wh_" + "0" * 31 + "%00", "WH_" + "A" * 32, "wh_%F0%9F%92%8C",
                                        "wh_" + "0" * 33, "x" * 5_000])
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/deliveries"),
                                                 ("POST", "/test"), ("POST", "/deliveries/1/redeliver")])
def test_a_webhook_id_that_cannot_exist_is_simply_not_found(client, caller, webhook_id, method, suffix):
    _create(client, caller)
    body = {"endpoint_url": HOOK, "events": ["chat_queue.updated"], "account_scope": "global"}
    response = client.request(method, f"/api/webhooks/{webhook_id}{suffix}", headers=caller.headers,
                              json=body if method == "PUT" else None)
    assert response.status_code == 404, response.text
    error = response.json()
    assert error["error"] == "NOT_FOUND" and error["message"].startswith("Webhook ") and error["description"]
    assert len(client.get("/api/webhooks", headers=caller.headers).json()["data"]) == 1  # nothing changed


@pytest.mark.parametrize("event", ["%00", "chat_queue.updated%00"])
def test_a_nul_in_the_deliveries_event_filter_is_a_422(client, caller, event):
    webhook = _create(client, caller)
    response = client.get(f"/api/webhooks/{webhook['id']}/deliveries?event={event}", headers=caller.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {"event": ["The event field is invalid: must not contain NUL characters."]}
