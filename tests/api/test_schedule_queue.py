"""The scheduling queue (SDK `queue`): scheduled and saved-for-later messages by publish day, and publish now."""

from __future__ import annotations

from datetime import timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from tests.api.test_saved_for_later import T0, _fixed_time, creator  # noqa: F401 - fixtures: 3 fans, time at T0

# T0 is 2026-04-01 08:00 UTC: 10:00 in Berlin (summer time), 17:00 in Tokyo.
WINDOW = {"publishDateStart": "2026-04-01", "publishDateEnd": "2026-04-03", "timezone": "Europe/Berlin"}




def _send(client, caller, text: str, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": text, "userLists": ["fans"], **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def _get(client, caller, path: str, status: int = 200, **params) -> dict:
    response = client.get(f"/api/{caller.account}{path}", headers=caller.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def _queue(client, caller, **params) -> list[dict]:
    return _get(client, caller, "/queue", **{**WINDOW, **params})["data"]["list"]


def test_scheduled_messages_by_publish_date_soonest_first(client, creator):
    later = _send(client, creator, "day after", scheduledDate=_at(30))
    soon = _send(client, creator, "<b>soon</b>", scheduledDate=_at(2))
    _send(client, creator, "too late", scheduledDate=_at(24 * 5))
    _send(client, creator, "now")  # not scheduled: in the mass-messaging queue, not this one
    body = _get(client, creator, "/queue", **WINDOW)
    items = body["data"]["list"]
    assert [i["id"] for i in items] == [soon, later]
    first = items[0]
    assert first["type"] == "chat" and first["publishDateTime"] == "2026-04-01T10:00:00+00:00"
    assert first["createdDateTime"] == "2026-04-01T08:00:00+00:00"
    entity = first["entity"]
    assert entity["id"] == entity["queueId"] == soon
    assert entity["text"] == "<b>soon</b>" and entity["rawText"] == "soon" and entity["isFree"] is True
    assert entity["scheduledAt"] == "2026-04-01T10:00:00+00:00" and entity["isFromQueue"] is True
    assert entity["userLists"] == ["fans"] and entity["unsendSecondsQueue"] > 0
    assert body["data"]["syncInProcess"] is False
    assert body["_meta"]["_credits"]["used"] == 1
    assert [i["id"] for i in _queue(client, creator, limit=1)] == [soon]


def test_the_window_is_whole_days_in_the_zone_given(client, creator):
    # 23:30 UTC on April 1st is already April 2nd in Tokyo, still April 1st in New York.
    late = _send(client, creator, "late", scheduledDate="2026-04-01T23:30:00Z")
    tokyo = {"publishDateStart": "2026-04-01", "publishDateEnd": "2026-04-01", "timezone": "Asia/Tokyo"}
    new_york = {"publishDateStart": "2026-04-01", "publishDateEnd": "2026-04-01", "timezone": "America/New_York"}
    assert _get(client, creator, "/queue", **tokyo)["data"]["list"] == []
    assert [i["id"] for i in _get(client, creator, "/queue", **new_york)["data"]["list"]] == [late]
    counts = _get(client, creator, "/queue/counts", **{**tokyo, "publishDateEnd": "2026-04-03"})["data"]
    assert counts == {"list": {"2026-04-02": {"chat": 1, "post": 0}}, "syncInProcess": False}


def test_counts_per_day(client, creator):
    for hours in (2, 3, 30, 31, 32):
        _send(client, creator, f"at {hours}", scheduledDate=_at(hours))
    body = _get(client, creator, "/queue/counts", **WINDOW)
    assert body["data"]["list"] == {"2026-04-01": {"chat": 2, "post": 0}, "2026-04-02": {"chat": 3, "post": 0}}
    assert body["_meta"]["_credits"]["used"] == 1


def test_saved_messages_appear_at_their_automatic_publish_times(client, creator):
    first = _send(client, creator, "saved one", saveForLater=True)
    second = _send(client, creator, "saved two", saveForLater=True)
    assert _queue(client, creator) == []  # parked without automation: no publish date
    response = client.patch(f"/api/{creator.account}/saved-for-later/messages/settings/"
                            "enable-or-update-automatic-messaging", headers=creator.headers, json={"period": 24})
    assert response.status_code == 200, response.text
    scheduled = _send(client, creator, "scheduled", scheduledDate=_at(30))
    items = _queue(client, creator)
    assert [(i["id"], i["publishDateTime"]) for i in items] == [
        (first, "2026-04-02T08:00:00+00:00"), (scheduled, "2026-04-02T14:00:00+00:00"),
        (second, "2026-04-03T08:00:00+00:00"),
    ]
    counts = _get(client, creator, "/queue/counts", **WINDOW)["data"]["list"]
    assert counts == {"2026-04-02": {"chat": 2, "post": 0}, "2026-04-03": {"chat": 1, "post": 0}}
    one_day = {**WINDOW, "publishDateStart": "2026-04-03"}
    assert [i["id"] for i in _get(client, creator, "/queue", **one_day)["data"]["list"]] == [second]


def test_a_window_of_date_times_starts_and_ends_at_them(client, creator):
    early = _send(client, creator, "early", scheduledDate=_at(1))
    late = _send(client, creator, "late", scheduledDate=_at(5))
    # Berlin is UTC+2 here: early publishes at 11:00 local time, late at 15:00.
    from_noon = {**WINDOW, "publishDateStart": "2026-04-01 12:00:00", "publishDateEnd": "2026-04-01"}
    assert [i["id"] for i in _queue(client, creator, **from_noon)] == [late]  # the end day still runs to midnight
    until_noon = {**WINDOW, "publishDateEnd": "2026-04-01 12:00:00"}
    assert [i["id"] for i in _queue(client, creator, **until_noon)] == [early]


@pytest.mark.parametrize("kinds", [{"type": "post"}, {"type[]": "post"}])
def test_massdm_has_no_posts(client, creator, kinds):
    _send(client, creator, "soon", scheduledDate=_at(2))
    assert _queue(client, creator, **kinds) == []


@pytest.mark.parametrize("kinds", [{"type": "chat,post"}, {"type[]": ["chat", "post"]}, {"type": ["post", "chat"]}])
def test_type_in_every_form_clients_send(client, creator, kinds):
    soon = _send(client, creator, "soon", scheduledDate=_at(2))
    assert [i["id"] for i in _queue(client, creator, **kinds)] == [soon]


@pytest.mark.parametrize(("params", "field"), [
    ({"publishDateStart": "2026-03-31"}, "publishDateStart"),  # before today
    ({"publishDateStart": "tomorrow"}, "publishDateStart"),
    ({"publishDateEnd": "2026-02-30"}, "publishDateEnd"),
    ({"publishDateStart": "2026-04-03", "publishDateEnd": "2026-04-02"}, "publishDateEnd"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"type": "like"}, "type"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
])
def test_bad_windows_are_422_with_the_field_named(client, creator, params, field):
    body = _get(client, creator, "/queue", 422, **{**WINDOW, **params})
    assert body["error"] == "VALIDATION_ERROR" and list(body["errors"]) == [field], body


def test_the_three_window_fields_are_required(client, creator):
    body = _get(client, creator, "/queue", 422)
    assert set(body["errors"]) == {"publishDateStart", "publishDateEnd", "timezone"}
    assert _get(client, creator, "/queue/counts", 422, timezone="UTC")["errors"].keys() == {
        "publishDateStart", "publishDateEnd"}


def _publish(client, caller, queue_id: int, status: int = 200) -> dict:
    response = client.put(f"/api/{caller.account}/queue/{queue_id}/publish", headers=caller.headers)
    assert response.status_code == status, response.text
    return response.json()


def _deliver(app, clock) -> None:
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=2)).run_until_idle()


def _status(client, caller, message_id: int) -> dict:
    return _get(client, caller, f"/mass-messaging/{message_id}")["data"]["queue"]


def test_publish_sends_a_scheduled_message_now(app, client, clock, creator):
    message = _send(client, creator, "soon", scheduledDate=_at(5))
    _deliver(app, clock)
    assert _status(client, creator, message)["sentCount"] == 0  # not due yet
    body = _publish(client, creator, message)
    assert body["data"] == {"success": True} and body["_meta"]["_credits"]["used"] == 1
    assert _queue(client, creator) == []  # no longer scheduled
    _deliver(app, clock)
    assert _status(client, creator, message)["sentCount"] == 3


def test_publish_sends_a_saved_message_now(app, client, clock, creator):
    message = _send(client, creator, "parked", saveForLater=True)
    _publish(client, creator, message)
    saved = _get(client, creator, "/saved-for-later/messages")["data"]["list"]
    assert saved == []
    _deliver(app, clock)
    assert _status(client, creator, message)["sentCount"] == 3


def test_what_cannot_be_published(app, client, clock, world, creator):
    sent = _send(client, creator, "already out")
    _deliver(app, clock)
    refused = _publish(client, creator, sent, 422)
    assert refused["errors"] == {"queue_id": ["This mass message has already been sent."]}
    canceled = _send(client, creator, "never", scheduledDate=_at(5))
    deleted = client.delete(f"/api/{creator.account}/mass-messaging/{canceled}", headers=creator.headers)
    assert deleted.status_code == 200
    reason = _publish(client, creator, canceled, 422)["errors"]["queue_id"][0]
    assert reason.startswith("This mass message was canceled")
    assert _publish(client, creator, 999_999, 404)["error"] == "NOT_FOUND"
    mine = _send(client, creator, "mine", scheduledDate=_at(5))
    assert _publish(client, world.caller(), mine, 404)["error"] == "NOT_FOUND"  # another team's account
    assert [i["id"] for i in _queue(client, creator)] == [mine]  # still scheduled
