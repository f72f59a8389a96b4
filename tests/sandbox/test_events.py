"""Trigger an event: a realistic payload from the account's data with the overrides merged in, through the
normal outbox to the team's subscribed webhooks, signed by the dispatcher like any other event."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from massdm.api.state import state_of
from massdm.domain.webhooks import EVENTS, verify
from massdm.sandbox.events import merge
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher
from massdm.webhooks.sender import SenderConfig


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"webhooks_allow_private": True})


@pytest.fixture
def dispatch(app, clock):
    dispatcher = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(
        senders=1, sender=SenderConfig(allow_private=True, total_timeout=2), faults=True), name="test-dispatcher")
    return dispatcher.run_until_idle


def _hook(client, caller, receiver, events: list[str], **body) -> str:
    response = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": events, "account_scope": "global", "signing_secret": "s3cret",
        **body})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def _trigger(client, caller, **body):
    return client.post("/sandbox/v1/events", headers=caller.headers, json={"account": caller.account, **body})


def test_a_triggered_purchase_reaches_the_subscribed_webhooks_signed_with_the_overrides(
        client, caller, receiver, dispatch):
    fans = [{"id": 7, "username": "gina", "name": "Gina", "subscribedAt": "2026-01-01T00:00:00+00:00"}]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    _hook(client, caller, receiver, ["messages.ppv.unlocked"])
    _hook(client, caller, receiver, ["messages.ppv.unlocked", "chat_queue.updated"])
    _hook(client, caller, receiver, ["chat_queue.updated"])  # not subscribed to it: gets nothing
    response = _trigger(client, caller, event="messages.ppv.unlocked",
                        overrides={"fanId": 7, "amountCents": 2500, "user": {"id": 7}, "replacePairs": {"X": "y"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deliveries"] == 2 and isinstance(body["eventId"], int) and body["eventKey"].startswith("evt_")
    payload = body["payload"]
    assert payload["amountCents"] == 2500 and payload["fanId"] == 7 and payload["subType"] == "ppv_unlocked"
    assert payload["user"] == {"id": 7, "username": "gina", "name": "Gina"}  # the account's real fan
    assert payload["replacePairs"]["X"] == "y" and "{AMOUNT}" in payload["replacePairs"]  # merged, not replaced
    assert dispatch() == 2
    assert len(receiver.received) == 2
    for got in receiver.received:
        assert got.event == "messages.ppv.unlocked" and got.account_id == caller.account
        assert got.payload == payload and got.idempotency_key == body["eventKey"]
        assert verify("s3cret", got.raw, got.headers["signature"])


def test_a_queue_event_is_built_from_the_accounts_latest_message(client, caller, receiver, dispatch):
    fans = [{"id": 1, "username": "a", "subscribedAt": "2026-01-01T00:00:00+00:00"}]
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans)
    sent = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                       json={"text": "hello", "userLists": ["fans"]}).json()["data"]
    _hook(client, caller, receiver, ["chat_queue.finished"])
    body = _trigger(client, caller, event="chat_queue.finished", overrides={"isDone": True}).json()
    assert body["payload"]["id"] == sent["id"] and body["payload"]["isDone"] is True
    assert set(body["payload"]) >= {"isReady", "total", "pending", "canUnsend", "unsendSeconds", "status"}
    dispatch()
    assert [d.event for d in receiver.received] == ["chat_queue.finished"]


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_can_be_triggered_on_an_account_with_nothing_yet(client, caller, event):
    response = _trigger(client, caller, event=event)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deliveries"] == 0 and body["eventId"] is None and body["payload"]  # nobody listens: nothing queued


def test_an_unknown_event_is_a_422_naming_event_and_listing_the_valid_ones(client, caller):
    response = _trigger(client, caller, event="messages.deleted")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    [message] = body["errors"]["event"]
    assert all(name in message for name in EVENTS)


def test_an_account_the_key_does_not_control_is_a_404(client, caller, world):
    other = world.caller()
    response = _trigger(client, caller, event="chat_queue.updated", account=other.account)
    assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"
    bad = client.post("/sandbox/v1/events", headers=caller.headers,
                      json={"event": "chat_queue.updated", "account": caller.account, "overrides": []})
    assert bad.status_code == 422 and "overrides" in bad.json()["errors"]


def test_overrides_merge_objects_key_by_key_and_replace_the_rest():
    base = {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "l": [1, 2]}
    assert merge(base, {"b": {"d": {"f": 4}}, "l": [3], "z": None}) == {
        "a": 1, "b": {"c": 2, "d": {"e": 3, "f": 4}}, "l": [3], "z": None}
    assert base == {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "l": [1, 2]}  # untouched


def test_the_cli_triggers_an_event_with_overrides(settings, client, caller, receiver, dispatch):
    _hook(client, caller, receiver, ["messages.sent"], mass_message_sent=True)
    env = {**os.environ, "MASSDM_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "massdm", "sandbox", "trigger", "messages.sent", "--account",
                             caller.account, "--override", "toUser.id=42", "--override", "text=<p>hi</p>",
                             "--override", "isFree=true", "--json"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["deliveries"] == 1 and body["payload"]["toUser"]["id"] == 42 and body["payload"]["isFree"] is True
    assert body["payload"]["text"] == "<p>hi</p>" and "fromUser" in body["payload"]
    assert dispatch() == 1
    [got] = receiver.received
    assert got.event == "messages.sent" and got.payload == body["payload"] and got.idempotency_key == body["eventKey"]
    unknown = subprocess.run([sys.executable, "-m", "massdm", "sandbox", "trigger", "nope", "--account",
                              caller.account], env=env, capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "messages.ppv.unlocked" in unknown.stderr
