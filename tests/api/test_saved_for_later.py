"""Saved for later (CONTRACT.md §7): parked messages, and automatic sending of the oldest one every period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from tests.media_files import png

UTC = UTC
T0 = datetime(2026, 4, 1, 8, 0, 0, tzinfo=UTC)
SAVED = "/saved-for-later/messages"
SETTINGS = f"{SAVED}/settings"
ENABLE = f"{SETTINGS}/enable-or-update-automatic-messaging"
DISABLE = f"{SETTINGS}/disable-automatic-messaging"


@pytest.fixture(autouse=True)
def _fixed_time(clock):
    clock.set(T0)


@pytest.fixture
def creator(client, caller, clock):
    since = (clock.now() - timedelta(days=20)).isoformat()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in (1, 2, 3)]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    return caller


def save(client, caller, text: str, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": text, "userLists": ["fans"], "saveForLater": True, **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def call(client, caller, method: str, path: str, status: int = 200, **kwargs) -> dict:
    response = client.request(method, f"/api/{caller.account}{path}", headers=caller.headers, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def saved(client, caller, **params) -> dict:
    return call(client, caller, "GET", SAVED, params=params)["data"]


def saved_ids(client, caller) -> list[int]:
    return [item["id"] for item in saved(client, caller, limit=100)["list"]]


def sent_ids(client, caller) -> list[int]:
    return [item["id"] for item in call(client, caller, "GET", "/mass-messaging/overview")["data"]["items"]]


def work(app, clock) -> None:
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=2)).run_until_idle()


def test_saved_messages_wait_in_their_own_list_oldest_first_and_are_not_sent(client, app, creator, clock):
    media = client.post(f"/api/{creator.account}/media/upload", headers=creator.headers,
                        files={"file": ("a.png", png(50, 50))}).json()["vault_id"]
    first = save(client, creator, "<p>First <b>idea</b></p>")
    clock.advance(timedelta(minutes=5))
    second = save(client, creator, "Second idea", price=12.5, mediaFiles=[media])
    work(app, clock)

    page = call(client, creator, "GET", SAVED)
    assert page["_pagination"]["next_page"] is None
    data = page["data"]
    assert set(data) == {"list", "hasMore", "syncInProcess"}
    assert (data["hasMore"], data["syncInProcess"]) == (False, False)
    assert [item["id"] for item in data["list"]] == [first, second]
    one, two = data["list"]
    assert {"id", "type", "createdDateTime", "publishDateTime", "entity"} <= set(one)
    assert one["type"] == "message" and one["publishDateTime"] is None
    assert one["createdDateTime"] == T0.isoformat()
    assert two["createdDateTime"] == (T0 + timedelta(minutes=5)).isoformat()
    assert one["entity"]["id"] == first and one["entity"]["text"] == "<p>First <b>idea</b></p>"
    assert one["entity"]["rawText"] == "First idea" and one["entity"]["isFree"] is True
    assert two["entity"]["isFree"] is False and two["entity"]["price"] == 12.5
    assert [m["id"] for m in two["entity"]["media"]] == [media] and two["entity"]["mediaCount"] == 1

    assert sent_ids(client, creator) == []  # nothing was delivered
    queue = call(client, creator, "GET", f"/mass-messaging/{first}")["data"]["queue"]
    assert (queue["sentCount"], queue["isSavedForLater"], queue["isDone"]) == (0, True, False)

    more = saved(client, creator, limit=1)
    assert [item["id"] for item in more["list"]] == [first] and more["hasMore"] is True
    rest = saved(client, creator, limit=1, offset=1)
    assert [item["id"] for item in rest["list"]] == [second] and rest["hasMore"] is False


def test_settings_enable_update_and_disable(client, creator):
    assert call(client, creator, "GET", SETTINGS)["data"] == {"isEnabled": False, "currentCode": 0,
                                                              "options": [6, 12, 24, 48]}
    for period in (6, 12, 24, 48):
        body = call(client, creator, "PATCH", ENABLE, json={"period": period})
        assert body["data"] == {"period": period}
        settings = call(client, creator, "GET", SETTINGS)["data"]
        assert (settings["isEnabled"], settings["currentCode"]) == (True, period)
        assert settings["options"] == [6, 12, 24, 48]
    for bad in ({"period": 5}, {"period": 7}, {"period": 72}, {"period": 0}, {"period": "soon"}, {}):
        body = call(client, creator, "PATCH", ENABLE, 422, json=bad)
        assert body["error"] == "VALIDATION_ERROR" and "period" in body["errors"], (bad, body)
    assert call(client, creator, "GET", SETTINGS)["data"]["currentCode"] == 48  # the bad calls changed nothing

    assert call(client, creator, "PATCH", DISABLE)["data"] == []
    settings = call(client, creator, "GET", SETTINGS)["data"]
    assert settings["isEnabled"] is False and settings["options"] == [6, 12, 24, 48]


def test_automation_sends_the_oldest_saved_message_once_per_period(client, app, creator, clock):
    a = save(client, creator, "A")
    clock.advance(timedelta(minutes=1))
    b = save(client, creator, "B")
    clock.advance(timedelta(minutes=1))
    c = save(client, creator, "C")
    work(app, clock)
    start = clock.now()
    call(client, creator, "PATCH", ENABLE, json={"period": 6})
    listed = saved(client, creator)["list"]
    assert [i["publishDateTime"] for i in listed] == [(start + timedelta(hours=h)).isoformat() for h in (6, 12, 18)]
    assert [i["publishDateTime"] for i in saved(client, creator, limit=1, offset=2)["list"]] == [
        (start + timedelta(hours=18)).isoformat()]

    clock.advance(timedelta(hours=5, minutes=59))
    work(app, clock)
    assert saved_ids(client, creator) == [a, b, c] and sent_ids(client, creator) == []

    clock.advance(timedelta(minutes=1))  # six hours after enabling
    work(app, clock)
    assert saved_ids(client, creator) == [b, c]
    overview = call(client, creator, "GET", "/mass-messaging/overview")["data"]["items"]
    assert [(i["id"], i["rawText"], i["sentCount"]) for i in overview] == [(a, "A", 3)]
    assert overview[0]["date"] == (start + timedelta(hours=6)).isoformat(timespec="microseconds")
    queue = call(client, creator, "GET", f"/mass-messaging/{a}")["data"]["queue"]
    assert (queue["isDone"], queue["isSavedForLater"], queue["sentCount"]) == (True, False, 3)
    assert [i["publishDateTime"] for i in saved(client, creator)["list"]] == [
        (start + timedelta(hours=h)).isoformat() for h in (12, 18)]

    clock.advance(timedelta(hours=3))
    work(app, clock)
    assert saved_ids(client, creator) == [b, c]  # only half a period since the last send
    clock.advance(timedelta(hours=3))
    work(app, clock)
    assert saved_ids(client, creator) == [c] and sent_ids(client, creator) == [b, a]

    call(client, creator, "PATCH", DISABLE)
    assert [i["publishDateTime"] for i in saved(client, creator)["list"]] == [None]
    clock.advance(timedelta(hours=48))
    work(app, clock)
    assert saved_ids(client, creator) == [c] and sent_ids(client, creator) == [b, a]

    restart = clock.now()
    assert call(client, creator, "PATCH", ENABLE, json={"period": 12})["data"] == {"period": 12}
    assert [i["publishDateTime"] for i in saved(client, creator)["list"]] == [
        (restart + timedelta(hours=12)).isoformat()]
    clock.advance(timedelta(hours=12))
    work(app, clock)
    assert saved_ids(client, creator) == [] and sent_ids(client, creator) == [c, b, a]
    clock.advance(timedelta(hours=24))
    work(app, clock)  # nothing left: nothing more goes out
    assert sent_ids(client, creator) == [c, b, a]


def test_a_saved_message_can_be_canceled_and_is_never_sent(client, app, creator, clock):
    first = save(client, creator, "changed my mind")
    clock.advance(timedelta(minutes=1))
    second = save(client, creator, "keep this one")
    deleted = call(client, creator, "DELETE", f"/mass-messaging/{first}")["data"]
    assert deleted["success"] is True and deleted["queue"]["id"] == first and deleted["queue"]["isCanceled"] is True
    assert saved_ids(client, creator) == [second]

    call(client, creator, "PATCH", ENABLE, json={"period": 6})
    clock.advance(timedelta(hours=6))
    work(app, clock)
    assert saved_ids(client, creator) == [] and sent_ids(client, creator) == [second]
    clock.advance(timedelta(hours=6))
    work(app, clock)
    assert sent_ids(client, creator) == [second]
