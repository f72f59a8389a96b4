"""Sending webhook deliveries to a real receiver: signatures, headers, retries, the log, redelivery, pausing."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.domain.webhooks import RetryPolicy, verify
from massdm.store import webhook_log
from massdm.store.db import transaction
from massdm.store.tables import webhook_attempts, webhook_deliveries, webhook_events
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher
from massdm.webhooks.receiver import Reply
from massdm.webhooks.sender import SenderConfig
from tests.webhooks.conftest import RETRY


def _test_event(client, caller, webhook_id: str) -> dict:
    response = client.post(f"/api/webhooks/{webhook_id}/test", headers=caller.headers)
    assert response.status_code == 202, response.text
    return response.json()["data"]


def test_a_delivery_is_signed_keyed_and_named(client, caller, hook, dispatch, receiver, log):
    webhook = hook(signing_secret="s3cret")
    queued = _test_event(client, caller, webhook["id"])
    assert dispatch() == 1
    [got] = receiver.received
    assert got.headers["content-type"] == "application/json"
    assert verify("s3cret", got.raw, got.headers["signature"])
    assert got.headers["x-ofapi-idempotency-key"] == queued["idempotency_key"]
    assert re.fullmatch(r"evt_[0-9a-f]{40}", queued["idempotency_key"])
    assert got.headers["user-agent"].startswith("massdm-webhooks/")
    assert "x-ofapi-redelivery-of" not in got.headers
    assert got.event == "test-event" and got.account_id is None
    assert got.payload["webhook_id"] == webhook["id"]
    [row] = log(webhook["id"])
    assert row["succeeded"] is True and row["status_code"] == 200 and row["attempt"] == 1
    assert row["delivery_uuid"] == queued["delivery_uuid"] == got.headers["x-massdm-delivery"]
    assert row["idempotency_key"] == queued["idempotency_key"] and row["url"] == receiver.url
    assert row["payload"] == got.payload and row["event"] == "test-event"


def test_each_attempt_keeps_its_duration_and_the_headers_both_ways(app, client, caller, hook, dispatch, receiver):
    """What the console's log shows of an exchange (the API's log keeps its contract's fields)."""
    receiver.script = lambda n, _d: Reply(200 if n == 1 else 503, headers={"X-Receiver": f"answer {n}"})
    webhook = hook(signing_secret="s3cret")
    for _ in range(2):
        _test_event(client, caller, webhook["id"])
        assert dispatch() == 1
    with transaction(state_of(app).engine) as connection:
        failed, delivered = webhook_log.page_attempts(connection, webhook["id"], start=None, end=None, event=None,
                                                      succeeded=None, limit=5, offset=0)[0]
    for attempt, got, n in ((delivered, receiver.received[0], 1), (failed, receiver.received[1], 2)):
        assert attempt.duration_ms is not None and 0 <= attempt.duration_ms < 10_000
        sent = {name.lower(): value for name, value in attempt.request_headers.items()}
        assert sent == {name: got.headers[name] for name in ("user-agent", "content-type", "signature",
                                                             "x-ofapi-idempotency-key", "x-massdm-delivery",
                                                             "x-massdm-attempt")}
        assert attempt.response_headers["x-receiver"] == f"answer {n}"
    assert (delivered.status_code, failed.status_code) == (200, 503)


def test_an_attempt_that_gets_no_answer_keeps_no_response_headers(app, client, caller, hook, dispatch, receiver):
    webhook = hook()
    receiver.close()  # nothing listens there any more: the attempt fails to connect
    _test_event(client, caller, webhook["id"])
    assert dispatch() == 1
    with transaction(state_of(app).engine) as connection:
        [attempt], _ = webhook_log.page_attempts(connection, webhook["id"], start=None, end=None, event=None,
                                                 succeeded=None, limit=5, offset=0)
    assert attempt.error_type == "connection" and attempt.response_headers is None
    assert attempt.duration_ms is not None


def test_an_unsigned_webhook_sends_no_signature(client, caller, hook, dispatch, receiver):
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    dispatch()
    assert "signature" not in receiver.received[0].headers


def test_a_failing_endpoint_gets_the_event_on_the_third_attempt(client, caller, hook, dispatch, receiver, clock, log):
    receiver.script = lambda n, _d: Reply(503 if n <= 2 else 200)
    webhook = hook(signing_secret="s3cret")
    _test_event(client, caller, webhook["id"])
    assert dispatch() == 1
    assert dispatch() == 0  # the second attempt waits for its turn
    clock.advance(RETRY)
    assert dispatch() == 1
    clock.advance(RETRY * 4 - timedelta(seconds=1))
    assert dispatch() == 0
    clock.advance(timedelta(seconds=1))
    assert dispatch() == 1
    assert [d.headers["x-massdm-attempt"] for d in receiver.received] == ["1", "2", "3"]
    assert len({d.idempotency_key for d in receiver.received}) == 1  # one event, one key, whatever the attempt
    assert len({d.raw for d in receiver.received}) == 1 and all(
        verify("s3cret", d.raw, d.headers["signature"]) for d in receiver.received)
    rows = log(webhook["id"])
    assert [(r["attempt"], r["succeeded"], r["status_code"]) for r in rows] == [(3, True, 200), (2, False, 503),
                                                                               (1, False, 503)]
    assert len({r["delivery_uuid"] for r in rows}) == 1
    assert rows[1]["error_type"] == "http_status" and rows[1]["error_message"].startswith("HTTP 503")
    assert client.get(f"/api/webhooks/{webhook['id']}", headers=caller.headers).json()["data"][
        "consecutive_failures"] == 0


def test_a_delivery_that_fails_three_times_is_failed_and_can_be_redelivered(client, caller, hook, dispatch, receiver,
                                                                            clock, log):
    down = True
    receiver.script = lambda n, _d: Reply(503 if down else 200)
    webhook = hook()
    queued = _test_event(client, caller, webhook["id"])
    for _ in range(3):
        dispatch()
        clock.advance(RETRY * 4)
    assert dispatch() == 0  # no fourth attempt
    failed = log(webhook["id"], "succeeded=false")
    assert [r["attempt"] for r in failed] == [3, 2, 1] and len({r["delivery_uuid"] for r in failed}) == 1
    state = client.get(f"/api/webhooks/{webhook['id']}", headers=caller.headers).json()["data"]
    assert state["enabled"] is True and state["consecutive_failures"] == 1

    down = False
    redo = client.post(f"/api/webhooks/{webhook['id']}/deliveries/{failed[0]['id']}/redeliver", headers=caller.headers)
    assert redo.status_code == 202, redo.text
    again = redo.json()["data"]
    assert again["redelivered_from"] == failed[0]["id"] and again["idempotency_key"] == queued["idempotency_key"]
    assert again["delivery_uuid"] != queued["delivery_uuid"]
    assert dispatch() == 1
    last = receiver.received[-1]
    assert last.headers["x-ofapi-redelivery-of"] == str(failed[0]["id"])
    assert last.idempotency_key == queued["idempotency_key"] and last.headers["x-massdm-attempt"] == "1"
    newest = log(webhook["id"])[0]
    assert newest["succeeded"] is True and newest["redelivered_from"] == failed[0]["id"]
    assert newest["delivery_uuid"] == again["delivery_uuid"]
    assert client.get(f"/api/webhooks/{webhook['id']}", headers=caller.headers).json()["data"][
        "consecutive_failures"] == 0


def test_an_endpoint_failing_again_and_again_is_paused_and_says_why(client, caller, hook, dispatch, receiver, clock,
                                                                    fans, send, deliver):
    receiver.script = lambda n, _d: Reply(500)
    webhook = hook(events=["chat_queue.updated"])
    for n in range(3):  # the dispatcher pauses after 3 failed deliveries
        send(text=f"message {n}")
        for _ in range(3):
            dispatch()
            clock.advance(RETRY * 4)
    paused = client.get(f"/api/webhooks/{webhook['id']}", headers=caller.headers).json()["data"]
    assert paused["enabled"] is False and paused["paused_at"] is not None
    assert "3 deliveries in a row" in paused["pause_reason"] and paused["consecutive_failures"] == 3
    attempts = len(receiver.received)
    assert attempts == 9

    send(text="while paused")  # not queued for a paused webhook
    dispatch()
    assert len(receiver.received) == attempts

    receiver.script = lambda n, _d: Reply(200)
    resumed = client.put(f"/api/webhooks/{webhook['id']}", headers=caller.headers, json={
        "endpoint_url": receiver.url, "events": ["chat_queue.updated"], "account_scope": "global", "enabled": True})
    state = resumed.json()["data"]
    assert (state["enabled"], state["paused_at"], state["pause_reason"], state["consecutive_failures"]) == (
        True, None, None, 0)
    send(text="after")
    assert dispatch() == 1 and receiver.received[-1].event == "chat_queue.updated"


def test_a_test_event_reaches_even_a_disabled_webhook(client, caller, hook, dispatch, receiver):
    webhook = hook(enabled=False)
    _test_event(client, caller, webhook["id"])
    assert dispatch() == 1 and receiver.events() == ["test-event"]


def test_redirects_are_not_followed(client, caller, hook, dispatch, receiver, log):
    receiver.script = lambda n, _d: Reply(302, headers={"Location": "http://169.254.169.254/latest"})
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    dispatch()
    assert len(receiver.received) == 1
    [row] = log(webhook["id"])
    assert (row["succeeded"], row["status_code"], row["error_type"]) == (False, 302, "redirect")
    assert "do not follow redirects" in row["error_message"]


def test_a_slow_endpoint_times_out(client, caller, hook, dispatch, receiver, log):
    receiver.script = lambda n, _d: Reply(200, delay=4)  # the dispatcher allows 2 s in all
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    dispatch()
    [row] = log(webhook["id"])
    assert (row["succeeded"], row["status_code"], row["error_type"]) == (False, None, "timeout")


def test_a_private_endpoint_is_refused_when_sending_too(app, clock, client, caller, hook, receiver, log):
    webhook = hook()  # created while private addresses were allowed
    _test_event(client, caller, webhook["id"])
    strict = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(sender=SenderConfig(allow_private=False)))
    assert strict.run_until_idle() == 1
    assert receiver.received == []
    [row] = log(webhook["id"])
    assert row["error_type"] == "address_refused" and "non-public address (127.0.0.1)" in row["error_message"]


def test_the_log_filters_and_pages(client, caller, hook, dispatch, receiver, clock, log):
    receiver.script = lambda n, _d: Reply(500 if n == 1 else 200)
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    dispatch()  # attempt 1 fails at t0
    started = clock.now()
    clock.advance(RETRY)
    dispatch()  # attempt 2 succeeds at t0 + 10 s
    _test_event(client, caller, webhook["id"])
    dispatch()
    assert len(log(webhook["id"])) == 3
    assert [r["succeeded"] for r in log(webhook["id"], "succeeded=false")] == [False]
    assert len(log(webhook["id"], "succeeded=true&event=test-event")) == 2
    assert log(webhook["id"], "event=chat_queue.updated") == []
    end = (started + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert [r["attempt"] for r in log(webhook["id"], f"date_end={end}")] == [1]
    begin = (started + timedelta(seconds=5)).strftime("%Y-%m-%d %H:%M:%S")
    assert len(log(webhook["id"], f"date_start={begin}")) == 2

    first = client.get(f"/api/webhooks/{webhook['id']}/deliveries?limit=2", headers=caller.headers).json()
    assert len(first["data"]) == 2
    next_page = first["_pagination"]["next_page"]
    assert parse_qs(urlsplit(next_page).query) == {"offset": ["2"], "limit": ["2"]}
    rest = client.get(next_page.replace("http://massdm.test", ""), headers=caller.headers).json()
    assert len(rest["data"]) == 1 and rest["_pagination"]["next_page"] is None
    seen = [r["id"] for r in first["data"] + rest["data"]]
    assert len(set(seen)) == 3


def test_the_log_forgets_after_seven_days(app, clock, client, caller, hook, dispatch, log):
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    dispatch()
    assert len(log(webhook["id"])) == 1
    clock.advance(timedelta(days=7, seconds=1))
    WebhookDispatcher(state_of(app).engine, clock).prune()
    assert log(webhook["id"]) == []
    with transaction(state_of(app).engine) as connection:
        for table in (webhook_attempts, webhook_deliveries, webhook_events):
            assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_deleting_a_webhook_drops_what_it_was_still_owed(app, client, caller, hook, dispatch, receiver):
    webhook = hook()
    _test_event(client, caller, webhook["id"])
    assert client.delete(f"/api/webhooks/{webhook['id']}", headers=caller.headers).status_code == 204
    assert dispatch() == 0 and receiver.received == []
    with transaction(state_of(app).engine) as connection:
        assert connection.execute(select(func.count()).select_from(webhook_deliveries)).scalar_one() == 0


def test_the_pause_reason_counts_the_attempts_the_dispatcher_made(app, client, caller, hook, receiver, clock, fans,
                                                                 send):
    receiver.script = lambda n, _d: Reply(500)
    webhook = hook(events=["chat_queue.updated"])
    two_tries = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(
        senders=1, retry=RetryPolicy(first_delay=RETRY, attempts=2), pause_after=1,
        sender=SenderConfig(allow_private=True, total_timeout=2)), name="two-tries")
    send()
    for _ in range(3):
        two_tries.run_until_idle()
        clock.advance(RETRY * 4)
    paused = client.get(f"/api/webhooks/{webhook['id']}", headers=caller.headers).json()["data"]
    assert len(receiver.received) == 2 and paused["enabled"] is False
    assert "1 deliveries in a row failed all 2 attempts" in paused["pause_reason"]
