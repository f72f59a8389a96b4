"""Engagement (CONTRACT.md §3 overview, §4): sent messages, the endDate cursor, the chart, the top
message and its buyers; every number equal to what the fans did on the fan side."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from onlyfansapi import OnlyFansAPI, omit

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.services.accounts import create_api_key
from massdm.store.db import transaction
from tests.media_files import png
from tests.sdk import sdk_client

UTC = UTC
T0 = datetime(2026, 3, 5, 10, 0, 0, tzinfo=UTC)
BASE = "http://massdm.test"
ITEM_KEYS = {"id", "date", "responseType", "text", "rawText", "giphyId", "isFree", "isMediaReady", "mediaCount",
             "media", "previews", "isTip", "isReportedByMe", "viewedCount", "sentCount", "isCanceled", "template",
             "canUnsend", "unsendSeconds"}
PAID_KEYS = {"price", "purchasedCount", "canSendMessageToBuyers"}
LISTS = ("/mass-messaging/overview", "/engagement/messages/mass-messages")


@pytest.fixture(autouse=True)
def _fixed_time(clock):
    clock.set(T0)


def q(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def add_fans(client, caller, ids, clock, **extra) -> None:
    since = (clock.now() - timedelta(days=30)).isoformat()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": since, **extra} for i in ids]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200


def send(client, caller, text: str, **body) -> int:
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": text, "userLists": ["fans"], **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def vault_id(client, caller) -> int:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("a.png", png(50, 50))})
    assert response.status_code == 200, response.text
    return response.json()["vault_id"]


def send_paid(client, caller, text: str, price: float, media: int) -> int:
    return send(client, caller, text, price=price, mediaFiles=[media])


def deliver(app, clock) -> None:
    DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=3)).run_until_idle()


def get(client, caller, path: str, status: int = 200, **params) -> dict:
    response = client.get(f"/api/{caller.account}{path}", headers=caller.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def items(client, caller, path: str = LISTS[1], **params) -> list[dict]:
    return get(client, caller, path, **params)["data"]["items"]


@pytest.fixture
def fan_headers(app, caller, clock):
    with transaction(state_of(app).engine) as connection:
        issued = create_api_key(connection, team=caller.team, name="fan app", account_ids=[], limit_minute=1000,
                                limit_day=None, now=clock.now(), scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


def fan_does(client, headers, fan: int, message: int, action: str, status: int = 200) -> dict:
    response = client.post(f"/fan/v1/{fan}/messages/{message}/{action}", headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def test_lists_show_sent_messages_newest_first_in_the_contract_item_shape(client, app, caller, clock):
    add_fans(client, caller, [1, 2, 3], clock)
    free = send(client, caller, "<p>Hello <b>free</b> fans</p>")
    deliver(app, clock)
    clock.advance(timedelta(minutes=1))
    media = vault_id(client, caller)
    paid = send_paid(client, caller, "<p>Paid pic</p>", 9.99, media)
    deliver(app, clock)
    clock.advance(timedelta(minutes=1))
    send(client, caller, "later", scheduledDate=(clock.now() + timedelta(days=1)).isoformat())
    send(client, caller, "parked", saveForLater=True)
    deliver(app, clock)

    bodies = [get(client, caller, path) for path in LISTS]
    assert bodies[0]["data"] == bodies[1]["data"]
    for body in bodies:
        assert body["_pagination"]["next_page"] is None and body["data"]["hasMore"] is False
        assert body["_meta"]["_credits"]["note"] == "Always"
    newest, oldest = bodies[1]["data"]["items"]
    assert (newest["id"], oldest["id"]) == (paid, free)
    assert set(oldest) == ITEM_KEYS and set(newest) == ITEM_KEYS | PAID_KEYS
    assert oldest == {
        "id": free, "date": "2026-03-05T10:00:00.000000+00:00", "responseType": "message",
        "text": "<p>Hello <b>free</b> fans</p>",
        "rawText": "Hello free fans", "giphyId": None, "isFree": True, "isMediaReady": True, "mediaCount": 0,
        "media": [], "previews": [], "isTip": False, "isReportedByMe": False, "viewedCount": 0, "sentCount": 3,
        "isCanceled": False, "template": "group", "canUnsend": True, "unsendSeconds": 1_000_000 - 120,
    }
    assert newest["date"] == (T0 + timedelta(minutes=1)).isoformat(timespec="microseconds")
    assert (newest["isFree"], newest["price"], newest["purchasedCount"]) == (False, "9.99", 0)
    assert newest["canSendMessageToBuyers"] is False and newest["sentCount"] == 3
    assert newest["mediaCount"] == 1 and newest["media"][0]["id"] == media and newest["media"][0]["type"] == "photo"


def test_query_filters_by_message_text(client, app, caller, clock):
    add_fans(client, caller, [1], clock)
    ids = {text: send(client, caller, text) for text in ("Summer sale", "Winter news", "<i>new SUMMER</i> vibes",
                                                          "100% off", "1000 off")}
    deliver(app, clock)
    for path in LISTS:
        assert [i["id"] for i in items(client, caller, path, query="summer")] == [
            ids["<i>new SUMMER</i> vibes"], ids["Summer sale"]]
        assert [i["id"] for i in items(client, caller, path, query="100%")] == [ids["100% off"]]
        assert items(client, caller, path, query="autumn") == []


def test_start_and_end_dates_bound_the_list_inclusively(client, app, caller, clock):
    add_fans(client, caller, [1], clock)
    sent = []
    for n in range(3):  # sent at 10:00, 11:00 and 12:00
        sent.append(send(client, caller, f"hour {n}"))
        deliver(app, clock)
        clock.advance(timedelta(hours=1))
    h = [T0 + timedelta(hours=n) for n in range(3)]
    for path in LISTS:
        assert [i["id"] for i in items(client, caller, path, startDate=q(h[0] + timedelta(minutes=30)))] == [
            sent[2], sent[1]]
        assert [i["id"] for i in items(client, caller, path, endDate=q(h[1]))] == [sent[1], sent[0]]
        assert [i["id"] for i in items(client, caller, path, startDate=q(h[1]), endDate=q(h[2] - timedelta(
            seconds=1)))] == [sent[1]]
        assert items(client, caller, path, endDate=q(h[0] - timedelta(seconds=1))) == []


@pytest.mark.parametrize("path", LISTS)
def test_bad_dates_and_limits_are_a_422_naming_the_field(client, caller, path):
    cases = [
        ({"startDate": "2026-03-05 10:00:00", "endDate": "2026-03-05 10:00:00"}, "endDate"),
        ({"startDate": "2026-03-05 10:00:00", "endDate": "2026-03-04 10:00:00"}, "endDate"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"endDate": "2026-13-45 99:00:00"}, "endDate"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
    ]
    for params, field in cases:
        body = get(client, caller, path, 422, **params)
        assert body["error"] == "VALIDATION_ERROR" and field in body["errors"], (params, body)
        assert body["_meta"]["_credits"]["used"] == 0
    assert get(client, caller, path, limit=100)["data"] == {"hasMore": False, "items": []}


def test_end_date_cursor_returns_every_message_once_even_within_one_second(client, app, caller, clock):
    add_fans(client, caller, [1, 2], clock)
    expected = []  # newest first
    for n in range(3):  # three older seconds
        expected.insert(0, send(client, caller, f"early {n}"))
        deliver(app, clock)
        clock.advance(timedelta(seconds=1))
    crowded_at = clock.now()
    same_second = [send(client, caller, f"crowd {n}") for n in range(25)]
    deliver(app, clock)  # all 25 start delivering in the same second
    expected = same_second[::-1] + expected
    for n in range(2):
        clock.advance(timedelta(seconds=1))
        expected.insert(0, send(client, caller, f"late {n}"))
        deliver(app, clock)

    for path in LISTS:
        seen, url, pages = [], f"/api/{caller.account}{path}?limit=4", 0
        while url is not None:
            response = client.get(url, headers=caller.headers)
            assert response.status_code == 200, response.text
            body, pages = response.json(), pages + 1
            assert pages <= 8, "the cursor does not move on"
            page = body["data"]["items"]
            assert 1 <= len(page) <= 4
            seen += [i["id"] for i in page]
            url = body["_pagination"]["next_page"]
            assert body["data"]["hasMore"] is (url is not None)
            if url is not None:
                assert url.startswith(f"{BASE}/api/{caller.account}{path}?")
                query = urlsplit(url).query
                last = datetime.fromisoformat(page[-1]["date"])
                assert parse_qs(query)["endDate"] == [q(last)] and parse_qs(query)["limit"] == ["4"]
                url = url[len(BASE):]
        assert seen == expected and pages == 8

    default = get(client, caller, LISTS[1])
    assert [i["id"] for i in default["data"]["items"]] == expected[:10]
    assert parse_qs(urlsplit(default["_pagination"]["next_page"]).query)["limit"] == ["10"]

    # a hand-made endDate to the second includes every message of that very second, each of
    # which has a date of its own, a microsecond apart
    inclusive = items(client, caller, endDate=q(crowded_at), limit=100)
    assert [i["id"] for i in inclusive] == expected[2:]
    dates = [datetime.fromisoformat(i["date"]) for i in inclusive[:25]]
    assert dates == [crowded_at + timedelta(microseconds=n) for n in range(24, -1, -1)]
    # an item's date as endDate is that exact instant, the item itself left out
    for n in (0, 10, 24):
        after = items(client, caller, endDate=inclusive[n]["date"], limit=100)
        assert [i["id"] for i in after] == expected[3 + n:]


def test_the_sdks_own_cursor_walks_every_message_once_even_many_within_one_second(client, app, caller, clock):
    """The SDK exposes no `_pagination`: its user passes the oldest item's `date` as `end_date`."""
    add_fans(client, caller, [1], clock)
    expected = [send(client, caller, "alone")]
    deliver(app, clock)
    clock.advance(timedelta(seconds=1))
    expected = [send(client, caller, f"crowd {n}") for n in range(14)][::-1] + expected
    deliver(app, clock)  # 14 (over 3 pages of 4) start delivering at the very same instant
    clock.advance(timedelta(seconds=1))
    expected.insert(0, send(client, caller, "later"))
    deliver(app, clock)

    sdk = OnlyFansAPI(api_key=caller.api_key, base_url=BASE, http_client=client, max_retries=0)
    for walk in (sdk.mass_messaging.retrieve_overview, sdk.engagement.messages.mass_messages.list):
        seen, end_date = [], omit
        for _ in range(len(expected)):
            page = walk(caller.account, limit=4, end_date=end_date).data
            seen += [item.id for item in page.items]
            if not page.has_more:
                break
            end_date = page.items[-1].date
        assert seen == expected, walk


def test_next_page_encodes_end_date_as_the_seed_shows(client, app, caller, clock):
    # seed 000: next_page ...?endDate=2026-02-05%2011%3A06%3A57&limit=10
    add_fans(client, caller, [1], clock)
    for n in range(2):
        send(client, caller, f"message {n}")
        deliver(app, clock)
        clock.advance(timedelta(seconds=7))
    for path in LISTS:
        next_page = get(client, caller, path, limit=1)["_pagination"]["next_page"]
        assert "endDate=2026-03-05%2010%3A00%3A07" in next_page and "limit=1" in next_page, next_page


def test_chart_counts_sends_and_revenue_per_utc_day(client, app, caller, clock, fan_headers):
    clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    add_fans(client, caller, [1, 2, 3], clock)
    media = vault_id(client, caller)
    early = send_paid(client, caller, "march 6", 5, media)  # in the period before the range
    deliver(app, clock)
    fan_does(client, fan_headers, 1, early, "purchase")
    clock.set(datetime(2026, 3, 8, 10, 0, tzinfo=UTC))
    send(client, caller, "free on the 8th")
    paid = send_paid(client, caller, "paid on the 8th", 9.99, media)
    deliver(app, clock)
    for fan in (1, 2):
        fan_does(client, fan_headers, fan, paid, "purchase")
    clock.set(datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC))
    send(client, caller, "last minute of the 10th")
    deliver(app, clock)
    fan_does(client, fan_headers, 3, paid, "purchase")
    fan_does(client, fan_headers, 2, early, "purchase")
    clock.set(datetime(2026, 3, 11, 0, 0, 30, tzinfo=UTC))  # after the range
    send(client, caller, "the 11th")
    deliver(app, clock)
    fan_does(client, fan_headers, 3, early, "purchase")

    path, dates = "/engagement/messages/mass-messages/chart", {"startDate": "2026-03-08 00:00:00",
                                                                 "endDate": "2026-03-10 23:59:59"}
    data = get(client, caller, path, **dates)["data"]
    days = ["2026-03-08T00:00:00+00:00", "2026-03-09T00:00:00+00:00", "2026-03-10T00:00:00+00:00"]
    sent, bought = data["group_messages"], data["group_messages_purchases"]
    chart = [{"date": d, "count": c} for d, c in zip(days, [2, 0, 1], strict=True)]
    assert sent == {"chart": chart, "total": 3, "delta": 2}
    assert [p["date"] for p in bought["chart"]] == days
    assert [p["count"] for p in bought["chart"]] == pytest.approx([19.98, 0, 14.99])
    assert bought["total"] == pytest.approx(34.97) and bought["delta"] == pytest.approx(29.97)

    bare = get(client, caller, path, withTotal="false", **dates)["data"]
    for series in ("group_messages", "group_messages_purchases"):
        assert bare[series]["total"] is None and bare[series]["delta"] is None
        assert bare[series]["chart"] == data[series]["chart"]

    whole_year = get(client, caller, path, startDate="2025-03-11 00:00:00", endDate="2026-03-11 12:00:00")["data"]
    assert len(whole_year["group_messages"]["chart"]) == 366 and whole_year["group_messages"]["total"] == 5
    too_long = get(client, caller, path, 422, startDate="2025-03-10 00:00:00", endDate="2026-03-11 12:00:00")
    assert too_long["error"] == "VALIDATION_ERROR" and "366" in str(too_long["errors"])
    reversed_ = get(client, caller, path, 422, startDate="2026-03-10 00:00:00", endDate="2026-03-08 00:00:00")
    assert "endDate" in reversed_["errors"]


def test_chart_counts_messages_in_integers_and_revenue_in_dollars(client, app, caller, clock, fan_headers):
    """The SDK's MassMessageChartResponse types the messages' count and total as int: `2`, not `2.0`."""
    add_fans(client, caller, [1], clock)
    paid = send_paid(client, caller, "paid", 9.99, vault_id(client, caller))
    send(client, caller, "free")
    deliver(app, clock)
    fan_does(client, fan_headers, 1, paid, "purchase")
    data = get(client, caller, "/engagement/messages/mass-messages/chart")["data"]
    sent, bought = data["group_messages"], data["group_messages_purchases"]
    numbers = [point["count"] for point in sent["chart"]] + [sent["total"], sent["delta"]]
    assert all(type(n) is int for n in numbers), numbers
    assert sent["total"] == sent["delta"] == sent["chart"][-1]["count"] == 2
    assert bought["chart"][-1]["count"] == pytest.approx(9.99) and bought["total"] == pytest.approx(9.99)


def test_top_message_is_the_paid_message_that_earned_most(client, app, caller, clock, fan_headers):
    assert get(client, caller, "/engagement/messages/top-message")["data"] == {"purchases": None}
    add_fans(client, caller, [1, 2, 3, 4], clock)
    media = vault_id(client, caller)
    cheap = send_paid(client, caller, "cheap", 4.25, media)
    send(client, caller, "free")
    deliver(app, clock)
    assert get(client, caller, "/engagement/messages/top-message")["data"] == {"purchases": None}
    clock.advance(timedelta(hours=1))
    dear = send_paid(client, caller, "dear", 9.99, media)
    deliver(app, clock)
    for fan in (1, 2, 3):
        fan_does(client, fan_headers, fan, cheap, "purchase")
    fan_does(client, fan_headers, 4, dear, "purchase")

    top = get(client, caller, "/engagement/messages/top-message")["data"]["purchases"]
    assert set(top) >= ITEM_KEYS | PAID_KEYS
    assert (top["id"], top["price"], top["purchasedCount"], top["totalRevenueGenerated"]) == (cheap, "4.25", 3, "12.75")
    assert top["canSendMessageToBuyers"] is True and top["sentCount"] == 4
    assert top["relationships"]["buyers"]["href"] == f"{BASE}/api/{caller.account}/engagement/messages/{cheap}/buyers"

    fan_does(client, fan_headers, 1, dear, "purchase")  # 19.98 now beats 12.75
    top = get(client, caller, "/engagement/messages/top-message")["data"]["purchases"]
    assert (top["id"], top["purchasedCount"], top["totalRevenueGenerated"]) == (dear, 2, "19.98")
    only_first_hour = get(client, caller, "/engagement/messages/top-message", startDate=q(T0),
                          endDate=q(T0 + timedelta(minutes=59)))["data"]["purchases"]
    assert only_first_hour["id"] == cheap


def test_buyers_are_listed_in_purchase_order_page_by_page(client, app, caller, clock, fan_headers, world):
    add_fans(client, caller, range(1, 9), clock)
    last_seen = (clock.now() - timedelta(hours=5)).isoformat()
    add_fans(client, caller, [5], clock, lastSeen=last_seen)  # the platform says when fan 5 was last online
    message = send_paid(client, caller, "buy me", 3, vault_id(client, caller))
    deliver(app, clock)
    order = [5, 2, 7, 1, 6, 3, 8]
    for fan in order:
        clock.advance(timedelta(minutes=1))
        fan_does(client, fan_headers, fan, message, "purchase")

    seen, url = [], f"/api/{caller.account}/engagement/messages/{message}/buyers?limit=3"
    while url is not None:
        assert len(seen) < len(order), "the marker does not move on"
        response = client.get(url, headers=caller.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        page = body["data"]["list"]
        assert 1 <= len(page) <= 3 and body["data"]["hasMore"] is (body["_pagination"]["next_page"] is not None)
        seen += [(b["id"], b["username"]) for b in page]
        assert all(b["lastSeen"] == (last_seen if b["id"] == 5 else None) for b in page)
        url = body["_pagination"]["next_page"]
        if url is not None:
            assert url.startswith(f"{BASE}/api/{caller.account}/engagement/messages/{message}/buyers?")
            assert parse_qs(urlsplit(url).query)["limit"] == ["3"]
            url = url[len(BASE):]
    assert seen == [(f, f"fan{f}") for f in order]

    other = world.account(caller.team, "Other creator")  # same team: the key may use it
    add_fans(client, replace(caller, account=other), [1], clock)
    foreign = send(client, replace(caller, account=other), "not yours")
    for missing in (foreign, 999_999):
        body = get(client, caller, f"/engagement/messages/{missing}/buyers", 404)
        assert body["error"] == "NOT_FOUND"


def test_a_buyer_carries_every_field_of_the_sdk_buyer_from_the_fan(client, app, caller, clock, fan_headers):
    fans = [
        {"id": 1, "username": "open", "name": "Open Ended", "subscribedAt": "2025-11-20T00:00:00Z"},
        {"id": 2, "username": "ending", "subscribedAt": (T0 - timedelta(days=2)).isoformat(),
         "expiresAt": (T0 + timedelta(days=28)).isoformat(), "autoRenew": False},
        {"id": 3, "username": "lapsed", "subscribedAt": "2025-01-05T10:00:00Z"},
    ]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    message = send_paid(client, caller, "buy me", 4, vault_id(client, caller))
    deliver(app, clock)
    for fan in (1, 2, 3):
        fan_does(client, fan_headers, fan, message, "purchase")
    lapsed = [{"id": 3, "username": "lapsed", "expiresAt": "2026-01-10T10:00:00Z"}]  # bought, then expired
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=lapsed).status_code == 200

    response = sdk_client(client, caller).engagement.messages.with_raw_response.get_message_buyers(
        str(message), account=caller.account)
    raw, parsed = response.http_response.json()["data"]["list"], response.parse().data.list
    wire_names = {f.alias or name for name, f in type(parsed[0]).model_fields.items()}
    for buyer in raw:
        assert wire_names <= buyer.keys(), f"buyer {buyer['id']} lacks {wire_names - buyer.keys()}"

    def facts(b):
        return (b.id, b.username, b.name, b.display_name, b.is_active, b.subscribed_by, b.subscribed_on,
                b.subscribed_by_expire, b.subscribed_by_expire_date, b.subscribed_by_autoprolong,
                b.subscribed_is_expired_now, b.subscribed_on_expired_now, b.subscribed_on_duration)

    assert [facts(b) for b in parsed] == [
        (1, "open", "Open Ended", "Open Ended", True, True, True, False, None, True, False, False, "3 months"),
        (2, "ending", "ending", "ending", True, True, True, True, "2026-04-02T10:00:00+00:00", False, False, False,
         "1 month"),
        (3, "lapsed", "lapsed", "lapsed", False, False, False, True, "2026-01-10T10:00:00+00:00", True, True, True,
         "12 months"),
    ]
    # What massdm keeps no data of (profiles, presence, stories, streams, tips, prices): null.
    known = {"id", "username", "name", "displayName", "isActive", "isVerified", "view", "subscribedBy",
             "subscribedOn", "subscribedByExpire", "subscribedByExpireDate", "subscribedByAutoprolong",
             "subscribedIsExpiredNow", "subscribedOnExpiredNow", "subscribedOnDuration"}
    assert {k: v for k, v in raw[0].items() if k in wire_names - known} == dict.fromkeys(wire_names - known)
    assert (raw[0]["isVerified"], raw[0]["view"]) == (False, "c")
    assert (raw[0]["paidAmount"], raw[0]["purchasedAt"]) == ("4.00", "2026-03-05T10:00:00+00:00")  # extras


def test_every_read_agrees_with_what_the_fans_did(client, app, caller, clock, fan_headers):
    add_fans(client, caller, [1, 2, 3], clock)
    add_fans(client, caller, [4], clock, expiresAt=(clock.now() - timedelta(days=1)).isoformat())
    paid = send_paid(client, caller, "pay to see", 7.5, vault_id(client, caller))
    free = send(client, caller, "just hello")
    deliver(app, clock)

    fan_does(client, fan_headers, 1, paid, "view")
    fan_does(client, fan_headers, 1, paid, "view")  # a second look is not a second view
    fan_does(client, fan_headers, 2, paid, "view")
    bought = fan_does(client, fan_headers, 3, paid, "purchase")["data"]
    assert bought["isPurchased"] is True and bought["isViewed"] is True
    fan_does(client, fan_headers, 1, paid, "purchase")
    again = fan_does(client, fan_headers, 1, paid, "purchase", 409)
    assert again["error"]
    fan_does(client, fan_headers, 4, paid, "purchase", 404)  # expired: never received it
    fan_does(client, fan_headers, 2, free, "view")
    fan_does(client, fan_headers, 2, free, "purchase", 422)

    for path in LISTS:
        by_id = {i["id"]: i for i in items(client, caller, path)}
        assert (by_id[paid]["sentCount"], by_id[paid]["viewedCount"], by_id[paid]["purchasedCount"]) == (3, 3, 2)
        assert by_id[paid]["canSendMessageToBuyers"] is True
        assert (by_id[free]["sentCount"], by_id[free]["viewedCount"]) == (3, 1)
    top = get(client, caller, "/engagement/messages/top-message")["data"]["purchases"]
    assert (top["id"], top["purchasedCount"], top["totalRevenueGenerated"]) == (paid, 2, "15.00")
    buyers = get(client, caller, f"/engagement/messages/{paid}/buyers")["data"]
    assert [b["id"] for b in buyers["list"]] == [3, 1] and buyers["hasMore"] is False
    chart = get(client, caller, "/engagement/messages/mass-messages/chart", startDate=q(T0 - timedelta(days=1)),
                endDate=q(T0 + timedelta(hours=1)))["data"]
    assert chart["group_messages"]["total"] == 2
    assert chart["group_messages_purchases"]["total"] == pytest.approx(15.0)
    queue = get(client, caller, f"/mass-messaging/{paid}")["data"]["queue"]
    assert (queue["sentCount"], queue["viewedCount"], queue["purchasedCount"]) == (3, 3, 2)
