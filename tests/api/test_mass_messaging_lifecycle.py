"""A mass message's life: queued, counted, delivered; edited before sending; unsent or canceled."""

from __future__ import annotations

from datetime import timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from tests import media_files

WINDOW = 1_000_000


@pytest.fixture
def account(client, caller, clock):
    now = clock.now()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(days=5)).isoformat(),
             "autoRenew": i % 2 == 0} for i in range(1, 11)]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    return caller


@pytest.fixture
def deliver(app, clock):
    worker = DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=4))
    return worker.run_until_idle


def _send(client, caller, **body) -> dict:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": "hello", "userLists": ["fans"], **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _queue(client, caller, message_id: int) -> dict:
    response = client.get(f"/api/{caller.account}/mass-messaging/{message_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["success"] is True
    return response.json()["data"]["queue"]


def test_queue_item_goes_from_uncounted_to_done(client, account, deliver):
    item = _send(client, account, userLists=["rebill_on"])
    assert (item["total"], item["pending"], item["isDone"], item["isReady"]) == (-1, 0, False, True)
    assert (item["canUnsend"], item["unsendSeconds"], item["isCanceled"]) == (True, WINDOW, False)
    deliver()
    listed = client.get(f"/api/{account.account}/mass-messaging", headers=account.headers).json()["data"]
    done = next(i for i in listed if i["id"] == item["id"])
    assert (done["total"], done["pending"], done["isDone"], done["status"]) == (5, 0, True, "sent")
    assert _queue(client, account, item["id"])["sentCount"] == 5


def test_get_shows_content_and_settings(client, account, clock):
    upload = client.post(f"/api/{account.account}/media/upload", headers=account.headers,
                         files={"file": ("a.png", media_files.png(40, 40))}).json()
    when = clock.now() + timedelta(days=1)
    item = _send(client, account, text="<b>VIP</b> only", userLists=["fans"], excludedLists=["rebill_off"],
                 userIds=[3], price=12.5, lockedText=True, mediaFiles=[upload["prefixed_id"]], previews=[0],
                 scheduledDate=when.isoformat(), giphyId="abc", rfTag="7,8")
    queue = _queue(client, account, item["id"])
    assert queue["text"] == "<b>VIP</b> only" and queue["rawText"] == "VIP only" and queue["textCropped"] == "VIP only"
    assert (queue["isFree"], queue["price"], queue["lockedText"], queue["giphyId"]) == (False, "12.50", True, "abc")
    assert queue["userLists"] == ["fans"] and queue["excludedLists"] == ["rebill_off"] and queue["userIds"] == [3]
    assert queue["mediaFiles"] == [upload["vault_id"]] and queue["previews"] == [upload["vault_id"]]
    assert queue["mediaTypes"] == "photo" and queue["status"] == "scheduled"
    assert queue["scheduledDate"].startswith(when.strftime("%Y-%m-%dT%H:%M"))
    assert queue["releaseForms"] == [{"type": "rfTag", "ids": ["7", "8"]}]


def test_put_changes_a_message_before_it_is_sent(client, account, clock, deliver):
    upload = client.post(f"/api/{account.account}/media/upload", headers=account.headers,
                         files={"file": ("a.png", media_files.png(40, 40))}).json()
    item = _send(client, account, scheduledDate=(clock.now() + timedelta(hours=1)).isoformat())
    later = clock.now() + timedelta(hours=3)
    response = client.put(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers, json={
        "text": "changed", "userLists": ["rebill_off"], "userIds": ["2"], "price": 5,
        "mediaFiles": [upload["prefixed_id"]], "scheduledDate": later.isoformat(),
    })
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == item["id"] and response.json()["data"]["total"] == -1
    queue = _queue(client, account, item["id"])
    assert (queue["text"], queue["price"], queue["userLists"], queue["userIds"]) == ("changed", "5.00",
                                                                                     ["rebill_off"], [2])
    clock.advance(timedelta(hours=1, minutes=1))
    assert deliver() == 0  # moved to later
    clock.advance(timedelta(hours=2))
    deliver()
    assert _queue(client, account, item["id"])["sentCount"] == 6  # 5 without auto-renew, plus fan 2


def test_put_keeps_what_it_is_not_given(client, account, clock):
    in_an_hour = (clock.now() + timedelta(hours=1)).isoformat()
    item = _send(client, account, userIds=[1], lockedText=True, scheduledDate=in_an_hour)
    client.put(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers, json={"text": "new"})
    queue = _queue(client, account, item["id"])
    assert (queue["text"], queue["userLists"], queue["userIds"], queue["lockedText"]) == ("new", ["fans"], [1], True)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"price": 2}, "price"), ({"userLists": ["nope"]}, "userLists"), ({"userIds": [999]}, "userIds"),
     ({"price": 10}, "mediaFiles"), ({"text": ""}, "text"), ({}, "text"), ({"scheduledDate": "2000-01-01T00:00:00Z"},
                                                                          "scheduledDate"),
     ({"scheduledDate": 4102444800}, "scheduledDate"), ({"scheduledDate": 4102444800.0}, "scheduledDate"),
     ({"scheduledDate": "4102444800"}, "scheduledDate"), ({"scheduledDate": True}, "scheduledDate")],
)
def test_put_validates_like_send(client, account, clock, body, field):
    item = _send(client, account, scheduledDate=(clock.now() + timedelta(hours=1)).isoformat())
    payload = {"text": "x", **body} if "text" not in body and body else body
    response = client.put(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers,
                          json=payload)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]
    assert _queue(client, account, item["id"])["text"] == "hello"  # nothing changed


def test_put_after_sending_is_refused(client, account, deliver):
    item = _send(client, account)
    deliver()
    response = client.put(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers,
                          json={"text": "too late"})
    assert response.status_code == 422
    assert "already been sent" in response.json()["errors"]["id"][0]


def test_unsend_window_counts_down_and_closes(client, account, clock, deliver):
    item = _send(client, account)
    deliver()
    clock.advance(timedelta(seconds=WINDOW - 10))
    queue = _queue(client, account, item["id"])
    assert (queue["canUnsend"], queue["unsendSeconds"]) == (True, 10)
    clock.advance(timedelta(seconds=20))
    queue = _queue(client, account, item["id"])
    assert (queue["canUnsend"], queue["unsendSeconds"]) == (False, 0)
    response = client.delete(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers)
    assert response.status_code == 422 and "window" in response.json()["errors"]["id"][0]


def test_unsend_keeps_the_counters_and_marks_it_canceled(client, account, deliver):
    item = _send(client, account)
    deliver()
    response = client.delete(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers)
    body = response.json()["data"]
    assert body["success"] is True
    assert (body["queue"]["isCanceled"], body["queue"]["sentCount"], body["queue"]["canUnsend"]) == (True, 10, False)
    overview = client.get(f"/api/{account.account}/mass-messaging/overview", headers=account.headers).json()
    assert overview["data"]["items"][0]["isCanceled"] is True and overview["data"]["items"][0]["sentCount"] == 10
    again = client.delete(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers)
    assert again.status_code == 422


def test_a_message_canceled_mid_delivery_is_done_and_stays_done(app, client, account, clock):
    """A poller waiting for isDone stops: the cancel ended the delivery with 4 of 10 fans reached."""
    item = _send(client, account)
    worker = DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=4))
    assert worker.run_once() == item["id"]  # counted: 10 fans, three chunks
    assert worker.run_once() == item["id"]  # the first chunk delivered (and the next one claimed ahead)
    sending = _queue(client, account, item["id"])
    assert (sending["isDone"], sending["total"], sending["pending"], sending["sentCount"]) == (False, 10, 6, 4)

    response = client.delete(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers)
    assert response.status_code == 200, response.text
    answered = response.json()["data"]["queue"]
    assert (answered["isDone"], answered["isCanceled"], answered["pending"], answered["total"]) == (True, True, 0, 10)

    assert worker.run_until_idle() == 1  # the chunk claimed ahead is rolled back; nothing else is left
    assert DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=4)).run_until_idle() == 0
    for _ in range(2):
        queue = _queue(client, account, item["id"])
        assert (queue["isDone"], queue["isCanceled"], queue["status"]) == (True, True, "canceled")
        assert (queue["total"], queue["pending"], queue["sentCount"], queue["canUnsend"]) == (10, 0, 4, False)
        listed = client.get(f"/api/{account.account}/mass-messaging", headers=account.headers).json()["data"]
        entry = next(i for i in listed if i["id"] == item["id"])
        assert (entry["isDone"], entry["isCanceled"], entry["total"], entry["pending"]) == (True, True, 10, 0)
        clock.advance(timedelta(days=1))


def test_canceling_a_scheduled_or_saved_message_means_it_never_goes_out(client, account, clock, deliver):
    scheduled = _send(client, account, scheduledDate=(clock.now() + timedelta(minutes=30)).isoformat())
    saved = _send(client, account, saveForLater=True)
    for item in (scheduled, saved):
        response = client.delete(f"/api/{account.account}/mass-messaging/{item['id']}", headers=account.headers)
        queue = response.json()["data"]["queue"]
        assert (queue["isCanceled"], queue["isDone"], queue["total"], queue["pending"]) == (True, True, -1, 0)
    clock.advance(timedelta(hours=1))
    assert deliver() == 0
    assert _queue(client, account, scheduled["id"])["sentCount"] == 0
    assert client.put(f"/api/{account.account}/mass-messaging/{scheduled['id']}", headers=account.headers,
                      json={"text": "x"}).status_code == 422


def test_queue_lists_pending_scheduled_and_recent(client, account, clock, deliver):
    old = _send(client, account, text="old")
    deliver()
    clock.advance(timedelta(days=8))
    sent = _send(client, account, text="sent")
    deliver()
    pending = _send(client, account, text="pending")
    scheduled = _send(client, account, text="later", scheduledDate=(clock.now() + timedelta(days=1)).isoformat())
    saved = _send(client, account, text="saved", saveForLater=True)
    listed = client.get(f"/api/{account.account}/mass-messaging", headers=account.headers).json()["data"]
    ids = [i["id"] for i in listed]
    assert ids == [scheduled["id"], pending["id"], sent["id"]]
    assert old["id"] not in ids and saved["id"] not in ids


def test_unknown_and_foreign_messages_are_404(client, account, world):
    item = _send(client, account)
    other = world.account(account.team, "Other")
    for method in ("GET", "DELETE"):
        assert client.request(method, f"/api/{other}/mass-messaging/{item['id']}",
                              headers=account.headers).status_code == 404
        missing = client.request(method, f"/api/{account.account}/mass-messaging/987654", headers=account.headers)
        assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"
    bad = client.get(f"/api/{account.account}/mass-messaging/abc", headers=account.headers)
    assert bad.status_code == 404 and bad.json()["message"] == "No message has the id abc."
