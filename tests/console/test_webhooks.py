"""The console's webhooks: the list, the forms (create, edit, pause, delete), test events, the deliveries
log and redelivery, each checked against what the API says afterwards."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.config import Settings
from massdm.store import webhook_deliveries
from massdm.store import webhook_log as log_store
from massdm.store.db import snapshot, transaction
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher
from massdm.webhooks.receiver import Reply
from massdm.webhooks.sender import SenderConfig
from tests.backends import database_url, redis_settings
from tests.console.conftest import ConsoleClient
from tests.console.pages import row_with, text_of

QUEUE = ["chat_queue.finished", "chat_queue.updated"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The tests' app, allowed to send to the loopback receiver."""
    return Settings(database_url=database_url(tmp_path), public_url="http://massdm.test", media_dir=tmp_path / "media",
                    worker_enabled=False, webhooks_allow_private=True, **redis_settings())


@pytest.fixture
def dispatch(app, clock):
    """Send every due delivery now; how many attempts were made. On a thread of its own: once the browser
    tests have started Playwright, this thread has an event loop running, and the dispatcher starts one."""
    dispatcher = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(
        senders=1, sender=SenderConfig(allow_private=True, total_timeout=2)), name="console-test")

    def run() -> int:
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(dispatcher.run_until_idle).result()

    return run


def _api(client: TestClient, caller, path: str, status: int = 200):
    answer = client.get(path, headers=caller.headers)
    assert answer.status_code == status, answer.text
    return answer.json()["data"] if status == 200 else None


def _api_create(client: TestClient, caller, url: str, **body) -> dict:
    answer = client.post("/api/webhooks", headers=caller.headers,
                         json={"endpoint_url": url, "events": QUEUE, "account_scope": "global", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def _created_id(answer) -> str:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/console/webhooks/(wh_[0-9a-f]{32})\?done=created", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def _tested(client: TestClient, caller, webhook_id: str, dispatch) -> dict:
    """A test event sent through the API and delivered: its row in the API's log."""
    assert client.post(f"/api/webhooks/{webhook_id}/test", headers=caller.headers).status_code == 202
    assert dispatch() == 1
    return _api(client, caller, f"/api/webhooks/{webhook_id}/deliveries")[0]


def _pause(app, webhook_id: str, clock) -> None:
    with transaction(state_of(app).engine) as connection:
        assert webhook_deliveries.pause(connection, webhook_id, "Paused by massdm after 5 deliveries in a row "
                                        "failed all 3 attempts.", clock.now())


# --- create, edit, pause, delete ---------------------------------------------------------------------

def test_a_webhook_created_in_the_console_is_the_one_the_api_returns(console: ConsoleClient, client, caller):
    answer = console.post("/console/webhooks/new", {
        "endpoint_url": "https://example.com/hooks", "events": ["chat_queue.updated", "messages.ppv.unlocked"],
        "account_scope": "global", "signing_secret": "a-long-s3cret", "enabled": "yes", "mass_message_sent": "yes",
    })
    webhook_id = _created_id(answer)
    api = _api(client, caller, f"/api/webhooks/{webhook_id}")
    assert api == {**api, "url": "https://example.com/hooks", "events": ["chat_queue.updated", "messages.ppv.unlocked"],
                   "enabled": True, "has_signing_secret": True, "account_scope": "global", "account_ids": [],
                   "mass_message_sent": True, "paused_at": None}
    page = console.get(answer.headers["location"]).text
    shown = text_of(page)
    assert "Webhook created." in shown and "https://example.com/hooks" in shown
    assert "State active" in shown and "chat_queue.updated, messages.ppv.unlocked" in shown
    assert "set (never shown)" in shown and "a-long-s3cret" not in page
    assert "No attempts yet" in shown
    listed = row_with(console.get("/console/webhooks").text, "https://example.com/hooks")
    assert listed == "https://example.com/hooks active chat_queue.updated, messages.ppv.unlocked global none yet"


def test_the_new_form_offers_every_event_and_each_account(console: ConsoleClient, world, caller):
    second = world.account(caller.team, "Second Creator")
    page = console.get("/console/webhooks/new").text
    for event in ("chat_queue.updated", "chat_queue.finished", "messages.ppv.unlocked", "messages.sent",
                  "messages.delivery_failed"):
        assert f'name="events" value="{event}"' in page
    assert f'name="account_ids" value="{caller.account}"' in page and f'name="account_ids" value="{second}"' in page
    assert 'value="global" checked' in page


def test_an_inclusive_webhook_gets_the_accounts_ticked(console: ConsoleClient, client, caller, world):
    second = world.account(caller.team, "Second Creator")
    webhook_id = _created_id(console.post("/console/webhooks/new", {
        "endpoint_url": "https://example.com/second", "events": ["chat_queue.finished"],
        "account_scope": "inclusive", "account_ids": [second], "enabled": "yes"}))
    api = _api(client, caller, f"/api/webhooks/{webhook_id}")
    assert (api["account_scope"], api["account_ids"], api["has_signing_secret"]) == ("inclusive", [second], False)
    assert "inclusive: Second Creator" in text_of(console.get(f"/console/webhooks/{webhook_id}").text)


def test_a_form_with_mistakes_comes_back_with_the_apis_messages_and_what_was_typed(console: ConsoleClient, client,
                                                                                    caller):
    typed = {"endpoint_url": "ftp://example.com/x", "account_scope": "inclusive", "enabled": "yes"}
    answer = console.post("/console/webhooks/new", typed)
    assert answer.status_code == 422
    api = client.post("/api/webhooks", headers=caller.headers, json={
        "endpoint_url": typed["endpoint_url"], "events": [], "account_scope": "inclusive"})
    assert api.status_code == 422
    shown = text_of(answer.text)
    for messages in api.json()["errors"].values():
        for message in messages:
            assert message in shown
    assert 'value="ftp://example.com/x"' in answer.text and 'value="inclusive" checked' in answer.text
    assert _api(client, caller, "/api/webhooks") == []


def test_editing_changes_what_the_api_returns_and_a_blank_secret_keeps_it(console: ConsoleClient, client, caller):
    webhook = _api_create(client, caller, "https://example.com/a", signing_secret="first-secret")
    form = console.get(f"/console/webhooks/{webhook['id']}/edit").text
    assert 'value="https://example.com/a"' in form and re.search(r'value="chat_queue.updated"[^>]* checked>', form)
    assert not re.search(r'value="messages.ppv.unlocked"[^>]* checked>', form)
    assert "first-secret" not in form and "set; leave blank to keep it" in text_of(form)

    answer = console.post(f"/console/webhooks/{webhook['id']}/edit", {
        "endpoint_url": "https://example.com/b", "events": ["messages.ppv.unlocked"], "account_scope": "global",
        "signing_secret": ""})  # "enabled" unticked: the webhook is switched off
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/webhooks/{webhook['id']}?done=updated"
    api = _api(client, caller, f"/api/webhooks/{webhook['id']}")
    assert (api["url"], api["events"], api["enabled"], api["has_signing_secret"], api["paused_at"]) == (
        "https://example.com/b", ["messages.ppv.unlocked"], False, True, None)
    assert "https://example.com/b disabled" in row_with(console.get("/console/webhooks").text, "example.com/b")

    console.post(f"/console/webhooks/{webhook['id']}/edit", {
        "endpoint_url": "https://example.com/b", "events": ["messages.ppv.unlocked"], "account_scope": "global",
        "remove_secret": "yes", "enabled": "yes"})
    api = _api(client, caller, f"/api/webhooks/{webhook['id']}")
    assert (api["enabled"], api["has_signing_secret"]) == (True, False)


def test_a_paused_webhook_says_why_and_enabling_it_resumes_it(console: ConsoleClient, client, caller, app, clock):
    webhook = _api_create(client, caller, "https://example.com/flaky")
    _pause(app, webhook["id"], clock)
    assert "paused" in row_with(console.get("/console/webhooks").text, "example.com/flaky")
    shown = text_of(console.get(f"/console/webhooks/{webhook['id']}").text)
    assert "State paused Paused by massdm after 5 deliveries" in shown
    form = text_of(console.get(f"/console/webhooks/{webhook['id']}/edit").text)
    assert "paused by massdm: enabling resumes it" in form
    answer = console.post(f"/console/webhooks/{webhook['id']}/edit", {
        "endpoint_url": "https://example.com/flaky", "events": QUEUE, "account_scope": "global", "enabled": "yes"})
    assert answer.status_code == 303
    api = _api(client, caller, f"/api/webhooks/{webhook['id']}")
    assert (api["enabled"], api["paused_at"], api["pause_reason"], api["consecutive_failures"]) == (True, None, None, 0)


def test_an_edit_with_mistakes_changes_nothing(console: ConsoleClient, client, caller):
    webhook = _api_create(client, caller, "https://example.com/keep")
    answer = console.post(f"/console/webhooks/{webhook['id']}/edit", {
        "endpoint_url": "not a url", "events": ["no.such.event"], "account_scope": "global", "enabled": "yes"})
    assert answer.status_code == 422
    assert "Unknown events: no.such.event." in text_of(answer.text)
    assert _api(client, caller, f"/api/webhooks/{webhook['id']}") == webhook


def test_delete_asks_first_then_deletes(console: ConsoleClient, client, caller):
    webhook = _api_create(client, caller, "https://example.com/gone")
    confirm = text_of(console.get(f"/console/webhooks/{webhook['id']}/delete").text)
    assert "Delete this webhook?" in confirm and "https://example.com/gone" in confirm
    _api(client, caller, f"/api/webhooks/{webhook['id']}")  # asking deleted nothing
    answer = console.post(f"/console/webhooks/{webhook['id']}/delete")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/webhooks?done=deleted"
    _api(client, caller, f"/api/webhooks/{webhook['id']}", status=404)
    page = text_of(console.get(answer.headers["location"]).text)
    assert "Webhook deleted." in page and "example.com/gone" not in page


# --- test events, the log, redelivery ----------------------------------------------------------------

def test_send_test_delivers_and_the_log_shows_the_attempt_its_payload_and_headers(console: ConsoleClient, client,
                                                                                  caller, receiver, dispatch):
    receiver.script = lambda _n, _d: Reply(200, headers={"X-Receiver": "listening"})
    webhook = _api_create(client, caller, receiver.url, signing_secret="s3cret")
    answer = console.post(f"/console/webhooks/{webhook['id']}/test")
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/webhooks/{webhook['id']}?done=test"

    waiting = console.get(answer.headers["location"]).text
    assert "Test event queued" in text_of(waiting) and "1 delivery still to be made" in text_of(waiting)
    assert 'hx-trigger="every 2s"' in waiting  # the log refreshes itself while a delivery is pending

    assert dispatch() == 1
    [got] = receiver.received
    [row] = _api(client, caller, f"/api/webhooks/{webhook['id']}/deliveries")
    page = console.get(f"/console/webhooks/{webhook['id']}/log").text
    assert "hx-trigger" not in page  # nothing pending: the refresh stops
    shown = text_of(page)
    assert re.search(r"test-event attempt 1 200 \d+ ms", shown), shown
    assert f"Log row #{row['id']}" in shown and f"Delivery {row['delivery_uuid']}" in shown
    assert f"Idempotency key {row['idempotency_key']}" in shown and f"URL {receiver.url}" in shown
    assert f'"webhook_id": "{webhook["id"]}"' in page.replace("&#34;", '"')
    assert f"X-OFAPI-Idempotency-Key {got.headers['x-ofapi-idempotency-key']}" in shown
    assert f"Signature {got.headers['signature']}" in shown and "User-Agent massdm-webhooks/" in shown
    assert "x-receiver listening" in shown  # the endpoint's answer, as received
    assert "200" in row_with(console.get("/console/webhooks").text, receiver.url)


def test_a_test_event_wakes_the_dispatcher_only_once_it_is_committed(console: ConsoleClient, client, caller, app,
                                                                     monkeypatch):
    webhook = _api_create(client, caller, "https://example.com/wake")
    seen: list[int] = []

    def wake() -> None:  # what the dispatcher would find if it looked now
        with snapshot(state_of(app).engine) as connection:
            seen.append(log_store.count_pending(connection, webhook["id"]))

    monkeypatch.setattr(state_of(app), "wake_workers", wake)
    assert console.post(f"/console/webhooks/{webhook['id']}/test").status_code == 303
    assert seen == [1]


def test_redeliver_sends_the_logged_event_again_as_a_new_attempt(console: ConsoleClient, client, caller, receiver,
                                                                 dispatch):
    webhook = _api_create(client, caller, receiver.url)
    first = _tested(client, caller, webhook["id"], dispatch)
    answer = console.post(f"/console/webhooks/{webhook['id']}/deliveries/{first['id']}/redeliver")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/webhooks/{webhook['id']}?done=redelivered"
    assert dispatch() == 1
    assert receiver.received[1].headers["x-ofapi-redelivery-of"] == str(first["id"])
    assert receiver.received[1].idempotency_key == receiver.received[0].idempotency_key
    second, again = _api(client, caller, f"/api/webhooks/{webhook['id']}/deliveries")
    assert again == first and second["redelivered_from"] == first["id"]
    shown = text_of(console.get(f"/console/webhooks/{webhook['id']}").text)
    assert len(re.findall(r"test-event attempt 1 200 \d+ ms", shown)) == 2
    assert f"redelivery of #{first['id']}" in shown
    assert console.post(f"/console/webhooks/{webhook['id']}/deliveries/999999/redeliver").status_code == 404


def test_the_log_filters_by_event_and_outcome(console: ConsoleClient, client, caller, receiver, dispatch):
    receiver.script = lambda n, _d: Reply(200 if n == 1 else 500)
    webhook = _api_create(client, caller, receiver.url)
    _tested(client, caller, webhook["id"], dispatch)
    failed = _tested(client, caller, webhook["id"], dispatch)
    assert failed["succeeded"] is False
    shown = text_of(console.get(f"/console/webhooks/{webhook['id']}?outcome=failed").text)
    assert f"Log row #{failed['id']}" in shown and shown.count("Log row #") == 1
    assert "HTTP 500" in shown
    shown = text_of(console.get(f"/console/webhooks/{webhook['id']}?event=chat_queue.updated").text)
    assert "No attempts match these filters" in shown


# --- CSRF, other teams, limited keys -----------------------------------------------------------------

@pytest.fixture
def delivered(client, caller, receiver, dispatch) -> tuple[dict, dict]:
    """A webhook with one delivered test event: (the webhook, its log row), as the API shows them."""
    webhook = _api_create(client, caller, receiver.url)
    return webhook, _tested(client, caller, webhook["id"], dispatch)


FORMS = [
    ("/console/webhooks/new", {"endpoint_url": "https://example.com/new", "events": QUEUE, "account_scope": "global"}),
    ("/console/webhooks/{webhook}/edit", {"endpoint_url": "https://example.com/edited", "events": QUEUE,
                                          "account_scope": "global", "enabled": "yes"}),
    ("/console/webhooks/{webhook}/delete", {}),
    ("/console/webhooks/{webhook}/test", {}),
    ("/console/webhooks/{webhook}/deliveries/{attempt}/redeliver", {}),
]


def _everything(client, caller, webhook_id: str, dispatch) -> tuple:
    """What a form could change: the team's webhooks, this one's log, and deliveries waiting to go."""
    return (_api(client, caller, "/api/webhooks"), _api(client, caller, f"/api/webhooks/{webhook_id}/deliveries"),
            dispatch())


@pytest.mark.parametrize("csrf", [None, "forged"])
@pytest.mark.parametrize(("path", "data"), FORMS)
def test_every_webhook_form_refuses_a_missing_or_wrong_csrf_token(console: ConsoleClient, client, caller, delivered,
                                                                  dispatch, path, data, csrf):
    webhook, attempt = delivered
    before = _everything(client, caller, webhook["id"], dispatch)
    answer = console.post(path.format(webhook=webhook["id"], attempt=attempt["id"]), data, csrf=csrf)
    assert answer.status_code == 403
    assert "did not come from this console" in text_of(answer.text)
    assert _everything(client, caller, webhook["id"], dispatch) == before


def test_another_teams_session_never_sees_this_teams_webhooks(console_for, world, client, caller, delivered, dispatch):
    webhook, attempt = delivered
    other = console_for(world.caller())
    assert caller.team.name not in other.get("/console/webhooks").text
    assert webhook["url"] not in other.get("/console/webhooks").text
    for path in ("", "/edit", "/delete", "/log"):
        answer = other.get(f"/console/webhooks/{webhook['id']}{path}")
        assert answer.status_code == 404 and webhook["url"] not in answer.text, path
    before = _everything(client, caller, webhook["id"], dispatch)
    for path, data in FORMS[1:]:
        answer = other.post(path.format(webhook=webhook["id"], attempt=attempt["id"]), data)
        assert answer.status_code == 404, path
    assert _everything(client, caller, webhook["id"], dispatch) == before


def test_a_limited_keys_session_manages_only_inclusive_webhooks_of_its_accounts(console_for, world, client, caller):
    second = world.account(caller.team, "Second Creator")
    limited = console_for(type(caller)(world.key(caller.team, [second], name="limited"), second, caller.team))
    wide = _api_create(client, caller, "https://example.com/everyone")
    assert "example.com/everyone" not in limited.get("/console/webhooks").text
    assert limited.get(f"/console/webhooks/{wide['id']}").status_code == 404
    assert 'value="inclusive" checked' in limited.get("/console/webhooks/new").text
    refused = limited.post("/console/webhooks/new", {"endpoint_url": "https://example.com/mine", "events": QUEUE,
                                                     "account_scope": "global", "enabled": "yes"})
    assert refused.status_code == 422
    assert "webhooks must be inclusive of those accounts" in text_of(refused.text)
    mine = _created_id(limited.post("/console/webhooks/new", {
        "endpoint_url": "https://example.com/mine", "events": QUEUE, "account_scope": "inclusive",
        "account_ids": [second], "enabled": "yes"}))
    assert _api(client, caller, f"/api/webhooks/{mine}")["account_ids"] == [second]
    assert "example.com/mine" in limited.get("/console/webhooks").text
