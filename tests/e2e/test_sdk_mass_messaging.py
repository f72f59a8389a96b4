"""The whole of mass messaging through the official SDK against a running `massdm serve`
(with its in-process delivery worker), fans acting through the fan side."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from onlyfansapi import OnlyFansAPI

from massdm.services import accounts as account_service
from massdm.store.db import transaction
from tests import media_files


@pytest.fixture(scope="module")
def setup(server):
    world = server.world
    team = world.team()
    account = world.account(team, "SDK Creator")
    key = world.key(team, name="sdk")
    with transaction(world.engine) as connection:
        fan_key = account_service.create_api_key(
            connection, team=team, name="fan app", account_ids=[], limit_minute=1000, limit_day=None,
            now=world.clock.now(), scopes=frozenset({"fan"}),
        ).api_key
    api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    fan_app = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {fan_key}"}, timeout=30)
    now = datetime.now(UTC)
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(days=5)).isoformat(),
             "autoRenew": i <= 6} for i in range(1, 11)]  # 7-10: auto-renew off
    fans.append({"id": 11, "username": "expired", "expiresAt": (now - timedelta(days=1)).isoformat()})
    assert api.post(f"/api/{account}/fans", json=fans).status_code == 200
    vip = api.post(f"/api/{account}/user-lists", json={"name": "VIP"}).json()["data"]["id"]
    api.post(f"/api/{account}/user-lists/{vip}/users", json={"ids": [2, 3, 8, 11]})
    client = OnlyFansAPI(api_key=key, base_url=server.base_url, max_retries=0)
    return client, account, vip, fan_app


def _until(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_send_deliver_engage_unsend(setup, tmp_path):
    client, account, vip, fan_app = setup
    upload = client.media.upload(account, file=("offer.png", media_files.png(320, 200), "image/png"))
    teaser = client.media.upload(account, file=("teaser.png", media_files.png(80, 80), "image/png"))

    # (rebill_on ∪ VIP ∪ {fan 10}) − rebill_off = fans 1-6 and 10... minus rebill_off (7-10) → 1-6; fan 11 skipped
    sent = client.mass_messaging.send(
        account, text="<p>Something special</p>", user_lists=["rebill_on", str(vip)], user_ids=["10", "11"],
        excluded_lists=["rebill_off"], price=9.99, locked_text=True,
        media_files=[upload.prefixed_id, teaser.prefixed_id], previews=[1],
    )
    assert sent.data.total == -1 and sent.data.is_done is False and sent.api_meta.api_credits.used == 1
    message_id = sent.data.id

    done = _until(lambda: next((q for q in client.mass_messaging.list(account).data
                                if q.id == message_id and q.is_done), None))
    assert (done.total, done.pending, done.has_error) == (7, 0, False)  # 6 delivered + fan 11 skipped

    queue = client.mass_messaging.retrieve(str(message_id), account=account).data.queue
    assert (queue.sent_count, queue.is_free, queue.media_types) == (6, False, "photo")

    def inbox(fan: int) -> list[dict]:
        return fan_app.get(f"/fan/v1/{fan}/messages").json()["data"]["list"]

    assert [m["id"] for m in inbox(1)] == [message_id]
    assert inbox(8) == [] and inbox(10) == [] and inbox(11) == []
    locked = inbox(2)[0]
    assert locked["text"] is None and locked["canPurchase"] is True
    assert [m.get("canView") for m in locked["media"]] == [False, True]  # the preview is visible

    for fan in (1, 2, 3):
        assert fan_app.post(f"/fan/v1/{fan}/messages/{message_id}/view").status_code == 200
    fan_app.post(f"/fan/v1/1/messages/{message_id}/view")  # a second look counts once
    for fan in (2, 4):
        bought = fan_app.post(f"/fan/v1/{fan}/messages/{message_id}/purchase").json()["data"]
        assert bought["isPurchased"] is True and bought["text"] == "<p>Something special</p>"

    overview = client.mass_messaging.retrieve_overview(account).data.items[0]
    assert (overview.id, overview.sent_count, overview.viewed_count) == (message_id, 6, 4)  # 1, 2, 3 + buyer 4
    engagement = client.engagement.messages.mass_messages.list(account).data.items[0]
    assert (engagement.sent_count, engagement.viewed_count, engagement.media_count) == (6, 4, 2)
    chart = client.engagement.messages.mass_messages.chart(account).data
    assert chart.group_messages.total == 1 and chart.group_messages_purchases.total == pytest.approx(19.98)
    top = client.engagement.messages.get_top_message(account).data.purchases
    assert (top.id, top.purchased_count, top.price, top.total_revenue_generated) == (message_id, 2, "9.99", "19.98")
    buyers = client.engagement.messages.get_message_buyers(str(message_id), account=account).data
    assert [b.id for b in buyers.list] == [2, 4] and buyers.has_more is False

    unsent = client.mass_messaging.delete(str(message_id), account=account).data
    assert unsent.success is True and unsent.queue.is_canceled is True and unsent.queue.sent_count == 6
    assert [m["id"] for m in inbox(2)] == [message_id]  # a buyer keeps it
    assert inbox(1) == []  # a non-buyer does not
    assert client.engagement.messages.get_top_message(account).data.purchases.purchased_count == 2


def test_schedule_then_edit_then_it_goes_out(setup):
    client, account, _vip, fan_app = setup
    later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    scheduled = client.mass_messaging.send(account, text="later", user_lists=["fans"], scheduled_date=later)
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    updated = client.mass_messaging.update(str(scheduled.data.id), account=account, text="sooner",
                                           user_ids=["5"], user_lists=[], scheduled_date=soon)
    assert updated.data.id == scheduled.data.id
    _until(lambda: client.mass_messaging.retrieve(str(scheduled.data.id), account=account).data.queue.sent_count == 1,
           timeout=30)
    assert [m["text"] for m in fan_app.get("/fan/v1/5/messages").json()["data"]["list"]][0] == "sooner"


def test_saved_for_later_round_trip(setup):
    client, account, _vip, _fan_app = setup
    saved = client.mass_messaging.send(account, text="keep this", user_lists=["fans"], save_for_later=True)
    listed = client.saved_for_later.messages.list(account, limit=10, offset=0).data
    assert [item.entity.text for item in listed.list] == ["keep this"] and listed.list[0].id == saved.data.id
    assert client.saved_for_later.messages.settings.retrieve(account).data.is_enabled is False
    enabled = client.saved_for_later.messages.settings.enable_or_update_automatic_messaging(account, period=12)
    assert enabled.data.period == 12
    settings = client.saved_for_later.messages.settings.retrieve(account).data
    assert (settings.is_enabled, settings.current_code, settings.options) == (True, 12, [6, 12, 24, 48])
    assert client.saved_for_later.messages.list(account, limit=10, offset=0).data.list[0].publish_date_time
    client.saved_for_later.messages.settings.disable_automatic_messaging(account)
    assert client.saved_for_later.messages.settings.retrieve(account).data.is_enabled is False
    gone = client.mass_messaging.delete(str(saved.data.id), account=account).data.queue
    assert gone.is_canceled is True
    assert client.saved_for_later.messages.list(account, limit=10, offset=0).data.list == []


def test_the_scheduling_queue_through_the_sdk(setup):
    client, account, _vip, _fan_app = setup
    zone = "Pacific/Auckland"  # far from UTC: days in the zone are not UTC's
    local_today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    at = datetime.now(UTC) + timedelta(days=2)
    scheduled = client.mass_messaging.send(account, text="in two days", user_lists=["fans"],
                                           scheduled_date=at.isoformat())
    window = {"publish_date_start": local_today.isoformat(),
              "publish_date_end": (local_today + timedelta(days=4)).isoformat(), "timezone": zone}
    listed = client.queue.list(account, **window, type=["chat", "post"])
    (item,) = [i for i in listed.data.list if i.id == scheduled.data.id]
    assert item.type == "chat" and item.entity.queue_id == scheduled.data.id and item.entity.text == "in two days"
    assert item.publish_date_time and item.created_date_time and item.entity.is_from_queue is True
    assert listed.data.sync_in_process is False and listed.api_meta.api_credits.used == 1
    counts = client.queue.count(account, **window).data.list
    day = at.astimezone(ZoneInfo(zone)).date().isoformat()
    assert counts.to_dict()[day]["chat"] >= 1 and counts.to_dict()[day]["post"] == 0
    assert client.queue.list(account, **window, type=["post"]).data.list == []
    published = client.queue.publish(str(scheduled.data.id), account=account)
    assert published.data.success is True
    delivered = _until(lambda: next((q for q in client.mass_messaging.list(account).data
                                     if q.id == scheduled.data.id and q.is_done), None))
    assert delivered.pending == 0 and delivered.total > 0
    assert all(i.id != scheduled.data.id for i in client.queue.list(account, **window).data.list)
