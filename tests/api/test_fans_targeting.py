"""Fan targeting: `filter[...]` and `type` on GET /fans/all|active|expired, as the official SDK sends them,
and the spend they filter on: the platform's tips and subscriptions, and massdm's own purchases."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.test_fan_inbox import (  # noqa: F401 - fixtures
    _act,
    _add_fans,
    _fan_headers,
    _upload,
    deliver,
    send,
)


def _iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def fans(client, caller, clock):
    """Six fans, newest subscription first: f (online), e, d, c, b, a; spend in USD, months of 30 days."""
    now = clock.now()
    days = timedelta(days=1)
    body = [
        {"id": 1, "username": "a", "subscribedAt": _iso(now - 400 * days), "tipsSumm": 150, "subscribesSumm": 120},
        {"id": 2, "username": "b", "subscribedAt": _iso(now - 200 * days), "expiresAt": _iso(now - 100 * days),
         "subscribesSumm": 29.97},  # subscribed 100 days: 3 months, expired
        {"id": 3, "username": "c", "subscribedAt": _iso(now - 95 * days), "tipsSumm": "10.00"},
        {"id": 4, "username": "d", "subscribedAt": _iso(now - 60 * days), "expiresAt": _iso(now - 5 * days),
         "tipsSumm": 5, "subscribesSumm": 0.5},  # 55 days: one month, expired
        {"id": 5, "username": "e", "subscribedAt": _iso(now - 30 * days), "expiresAt": _iso(now + 30 * days)},
        {"id": 6, "username": "f", "subscribedAt": _iso(now - 2 * days), "online": True, "tipsSumm": 99.99},
    ]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    return caller


def _get(client, caller, path: str):
    return client.get(f"/api/{caller.account}{path}", headers=caller.headers)


def _names(client, caller, path: str) -> list[str]:
    response = _get(client, caller, path)
    assert response.status_code == 200, response.text
    return [u["username"] for u in response.json()["data"]["list"]]


def test_a_filter_is_never_silently_ignored(client, caller):
    """Nobody has spent anything: a minimum spend of $100 matches no one (it used to list everyone)."""
    now = "2026-01-01T00:00:00Z"
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": 1, "username": "alice", "subscribedAt": now}, {"id": 2, "username": "bob"}])
    response = client.get(f"/api/{caller.account}/fans/all?filter[total_spent]=100", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["list"] == []


@pytest.mark.parametrize(("query", "expected"), [
    ("", "fedcba"),
    ("filter[total_spent]=0", "fedcba"),
    ("filter[total_spent]=10", "fcba"),  # c: exactly $10
    ("filter[total_spent]=30", "fa"),  # b: $29.97
    ("filter[total_spent]=271", ""),  # a: $270
    ("filter[max_total_spent]=0", "e"),  # never spent
    ("filter[max_total_spent]=5.49", "e"),  # d: $5.50
    ("filter[max_total_spent]=5.5", "ed"),
    ("filter[max_total_spent]=5.509", "ed"),  # whole cents within the bound
    ("filter[max_total_spent]=1e3", "fedcba"),
    ("filter[tips]=10", "fca"),
    ("filter[tips]=100", "a"),
    ("filter[duration]=0", "fedcba"),
    ("filter[duration]=1", "edcba"),  # e: exactly 30 days; d lasted 55 days before it ended
    ("filter[duration]=2", "cba"),
    ("filter[duration]=4", "a"),  # b lasted 100 days, not 120
    ("filter[online]=1", "f"),
    ("filter[online]=0", "edcba"),
    ("type=all", "fedcba"),
    ("type=active", "feca"),
    ("type=expired", "db"),
])
def test_each_filter_on_all_fans(client, fans, query, expected):
    assert "".join(_names(client, fans, f"/fans/all?{query}")) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("/fans/all?filter[total_spent]=10&filter[max_total_spent]=100", "fcb"),  # a range
    ("/fans/all?filter[total_spent]=5&filter[max_total_spent]=5.50", "d"),
    ("/fans/all?filter[tips]=5&filter[duration]=1", "dca"),
    ("/fans/all?filter[tips]=5&filter[online]=0&filter[duration]=2", "ca"),
    ("/fans/all?filter[max_total_spent]=30&filter[duration]=1", "edcb"),
    ("/fans/all?type=expired&filter[total_spent]=10", "b"),
    ("/fans/active?filter[max_total_spent]=10", "ec"),
    ("/fans/active?filter[duration]=1&filter[tips]=1", "ca"),
    ("/fans/active?type=active&filter[online]=1", "f"),
    ("/fans/active?type=all&filter[online]=0", "eca"),
    ("/fans/expired?filter[duration]=2", "b"),
    ("/fans/expired?type=expired&filter[tips]=1", "d"),
    ("/fans/all?query=A&filter[tips]=100", "a"),
    ("/fans/all?query=b&filter[tips]=100", ""),
])
def test_filters_combine_with_each_other_the_endpoint_type_and_query(client, fans, path, expected):
    assert "".join(_names(client, fans, path)) == expected


def test_the_next_page_keeps_the_filters_and_a_walk_sees_each_match_once(client, fans):
    response = _get(client, fans, "/fans/all?filter[online]=0&filter[duration]=1&limit=2")
    assert [u["username"] for u in response.json()["data"]["list"]] == ["e", "d"]
    next_page = response.json()["_pagination"]["next_page"]
    assert parse_qs(urlsplit(next_page).query) == {"filter[online]": ["0"], "filter[duration]": ["1"],
                                                   "limit": ["2"], "offset": ["2"]}
    second = client.get(next_page.replace("http://massdm.test", ""), headers=fans.headers).json()["data"]
    assert [u["username"] for u in second["list"]] == ["c", "b"] and second["hasMore"] is True
    walked = [_names(client, fans, f"/fans/all?filter[online]=0&filter[duration]=1&limit=2&offset={n}")
              for n in (0, 2, 4, 6)]
    assert walked == [["e", "d"], ["c", "b"], ["a"], []]


def test_time_moves_fans_into_a_duration(client, fans, clock):
    walked = [_names(client, fans, f"/fans/all?filter[duration]=1&limit=1&offset={n}") for n in range(3)]
    assert walked == [["e"], ["d"], ["c"]]  # of e, d, c, b, a
    assert _names(client, fans, "/fans/active?filter[duration]=1&limit=1&offset=1") == ["c"]  # e, c, a
    clock.advance(timedelta(days=31))  # f has now been subscribed 33 days; e ended after 60, and counts
    assert _names(client, fans, "/fans/all?filter[duration]=1&limit=1&offset=1") == ["e"]  # f, e, d, c, b, a
    assert _names(client, fans, "/fans/active?filter[duration]=1&limit=1&offset=1") == ["c"]  # f, c, a
    assert _names(client, fans, "/fans/all?filter[duration]=1") == ["f", "e", "d", "c", "b", "a"]


def test_the_fan_object_carries_what_the_fan_spent(client, fans):
    users = {u["username"]: u for u in _get(client, fans, "/fans/all").json()["data"]["list"]}
    spent = {name: {k: v for k, v in u["subscribedOnData"].items() if k.endswith("Summ")} for name, u in users.items()}
    assert spent["a"] == {"totalSumm": 270, "messagesSumm": 0, "tipsSumm": 150, "subscribesSumm": 120,
                          "postsSumm": 0, "streamsSumm": 0}
    assert spent["b"]["totalSumm"] == 29.97 and spent["d"]["totalSumm"] == 5.5
    assert spent["e"]["totalSumm"] == 0 and spent["f"]["tipsSumm"] == 99.99
    assert (users["f"]["isOnline"], users["a"]["isOnline"]) == (True, False)


def test_max_total_spent_answers_report_their_source(client, fans):
    data = _get(client, fans, "/fans/all?filter[max_total_spent]=0").json()["data"]
    assert data["_source"] == {"is_complete": True, "omitted_from_page": 0}
    assert "_source" not in _get(client, fans, "/fans/all?filter[total_spent]=1").json()["data"]


@pytest.mark.parametrize(("query", "field"), [
    ("filter.total_spent=100", "filter.total_spent"),  # the dot form the SDK's docs warn about
    ("filter.max_total_spent=0", "filter.max_total_spent"),
    ("filter.online=1", "filter.online"),
    ("filter_tips=5", "filter_tips"),  # what PHP turns the dot form into
    ("filter[total]=5", "filter[total]"),
    ("filter=1", "filter"),
    ("filter[tips]=1&filter[tips]=2", "filter[tips]"),
    ("filter[total_spent]=-1", "filter[total_spent]"),
    ("filter[total_spent]=abc", "filter[total_spent]"),
    ("filter[total_spent]=1.5", "filter[total_spent]"),  # whole USD
    ("filter[total_spent]=", "filter[total_spent]"),
    ("filter[total_spent]=99999999999999999999", "filter[total_spent]"),
    ("filter[max_total_spent]=nan", "filter[max_total_spent]"),
    ("filter[max_total_spent]=inf", "filter[max_total_spent]"),
    ("filter[max_total_spent]=-0.01", "filter[max_total_spent]"),
    ("filter[max_total_spent]=1e400", "filter[max_total_spent]"),
    ("filter[tips]=-5", "filter[tips]"),
    ("filter[duration]=-1", "filter[duration]"),
    ("filter[duration]=1201", "filter[duration]"),
    ("filter[duration]=one", "filter[duration]"),
    ("filter[online]=2", "filter[online]"),
    ("filter[online]=true", "filter[online]"),
    ("type=bogus", "type"),
    ("type=ACTIVE", "type"),
    ("filter[max_total_spent]=0&filter[online]=1", "filter[max_total_spent]"),  # the provider's rule
    ("filter[total_spent]=10&filter[max_total_spent]=9.99", "filter[total_spent]"),  # an empty range
])
def test_a_filter_in_the_wrong_form_or_with_a_bad_value_is_a_422(client, fans, query, field):
    response = _get(client, fans, f"/fans/all?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR" and body["message"] and body["description"]
    assert list(body["errors"]) == [field], body["errors"]
    assert body["_meta"]["_credits"]["used"] == 0  # validation errors cost nothing


@pytest.mark.parametrize("path", ["/fans/active?type=expired", "/fans/expired?type=active"])
def test_a_type_the_endpoint_cannot_show_is_a_422(client, fans, path):
    response = _get(client, fans, path)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["type"]
    assert "/fans/all?type=" in response.json()["errors"]["type"][0]


def test_a_bad_filter_without_a_key_is_still_a_401(client, fans):
    response = client.get(f"/api/{fans.account}/fans/all?filter.total_spent=1")
    assert response.status_code == 401
    response = client.get(f"/api/{fans.account}/fans/all?filter[online]=7")
    assert response.status_code == 401


# --- what the platform states: the upsert's columns -------------------------------------------------


def test_tips_subscriptions_and_online_are_kept_when_left_out_and_overwritten_when_sent(client, fans):
    changed = client.post(f"/api/{fans.account}/fans", headers=fans.headers, json=[
        {"id": 1, "username": "a", "tipsSumm": 20},  # subscriptions and online kept
        {"id": 6, "username": "f", "online": False},  # tips kept
    ])
    assert changed.json()["data"] == {"received": 2, "created": 0, "updated": 2}
    users = {u["username"]: u for u in _get(client, fans, "/fans/all").json()["data"]["list"]}
    assert (users["a"]["subscribedOnData"]["tipsSumm"], users["a"]["subscribedOnData"]["subscribesSumm"]) == (20, 120)
    assert users["a"]["subscribedOnData"]["totalSumm"] == 140
    assert users["f"]["isOnline"] is False and users["f"]["subscribedOnData"]["tipsSumm"] == 99.99
    assert _names(client, fans, "/fans/all?filter[online]=1") == []
    assert _names(client, fans, "/fans/all?filter[tips]=100") == []
    assert _names(client, fans, "/fans/all?filter[total_spent]=140") == ["a"]
    again = client.post(f"/api/{fans.account}/fans", headers=fans.headers, json=[
        {"id": 1, "username": "a", "tipsSumm": 20}])  # totals, not increments: the same again changes nothing
    assert again.status_code == 200
    assert _names(client, fans, "/fans/all?filter[total_spent]=141") == []


@pytest.mark.parametrize(("fan", "field"), [
    ({"tipsSumm": -1}, "0.tipsSumm"),
    ({"tipsSumm": 1.234}, "0.tipsSumm"),  # whole cents only
    ({"tipsSumm": "ten"}, "0.tipsSumm"),
    ({"tipsSumm": 1e12}, "0.tipsSumm"),
    ({"tipsSumm": None}, "0.tipsSumm"),
    ({"subscribesSumm": "NaN"}, "0.subscribesSumm"),
    ({"subscribesSumm": "Infinity"}, "0.subscribesSumm"),
    ({"online": "sometimes"}, "0.online"),
])
def test_bad_spend_or_online_values_are_a_422_naming_the_field(client, caller, fan, field):
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                           json=[{"id": 1, "username": "x", **fan}])
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()["errors"]


# --- what massdm counts: purchases ----------------------------------------------------------------------


def _spend(client, caller, fan_id: int) -> tuple:
    users = _get(client, caller, "/fans/all?limit=50").json()["data"]["list"]
    data = next(u for u in users if u["id"] == fan_id)["subscribedOnData"]
    return data["messagesSumm"], data["totalSumm"]


@pytest.fixture
def buyers(app, client, caller, clock):
    """Fans 1, 2, 3 (fan 1 tipped $1) receiving messages; a fan key of the same team."""
    _add_fans(client, caller, caller.account, clock)
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=[{"id": 1, "username": "fan1",
                                                                              "tipsSumm": 1}])
    return _fan_headers(app, clock, caller.team)


def test_a_purchase_adds_its_price_to_the_buyers_spend_once(client, caller, buyers, send):
    paid = send(caller, text="paid", price="12.50", mediaFiles=[_upload(client, caller)])
    assert _names(client, caller, "/fans/all?filter[total_spent]=10") == []
    assert _act(client, buyers, 1, paid, "purchase").status_code == 200
    assert _spend(client, caller, 1) == (12.5, 13.5)
    assert _act(client, buyers, 1, paid, "purchase").status_code == 409  # bought already: nothing added
    assert _spend(client, caller, 1) == (12.5, 13.5)
    assert _names(client, caller, "/fans/all?filter[total_spent]=10") == ["fan1"]
    assert _names(client, caller, "/fans/all?filter[max_total_spent]=13.49") == ["fan3", "fan2", "gone"]
    other = send(caller, text="more", price=3, mediaFiles=[_upload(client, caller)])
    assert _act(client, buyers, 1, other, "purchase").status_code == 200
    assert _spend(client, caller, 1) == (15.5, 16.5)
    assert _act(client, buyers, 1, other, "view").status_code == 200  # a view costs nothing
    assert _spend(client, caller, 1) == (15.5, 16.5)


def test_a_batch_of_purchases_adds_each_price_exactly_once(client, caller, buyers, send):
    first = send(caller, text="one", price=5, mediaFiles=[_upload(client, caller)])
    second = send(caller, text="two", price="7.25", mediaFiles=[_upload(client, caller)])
    assert _act(client, buyers, 2, first, "purchase").status_code == 200  # bought before the batch
    events = [{"fanId": f, "messageId": m, "type": "purchase"} for f, m in
              ((1, first), (1, second), (1, first), (2, first), (2, second), (3, second))]
    response = client.post("/fan/v1/events", headers=buyers, json={"events": events})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["data"]["results"]] == [
        "applied", "applied", "duplicate", "duplicate", "applied", "applied"]
    assert _spend(client, caller, 1) == (12.25, 13.25)
    assert _spend(client, caller, 2) == (12.25, 12.25)
    assert _spend(client, caller, 3) == (7.25, 7.25)
    retried = client.post("/fan/v1/events", headers=buyers, json={"events": events})  # the whole batch again
    assert retried.json()["data"]["applied"] == 0
    assert [_spend(client, caller, f) for f in (1, 2, 3)] == [(12.25, 13.25), (12.25, 12.25), (7.25, 7.25)]
    assert _names(client, caller, "/fans/all?filter[total_spent]=12") == ["fan2", "fan1"]


def test_a_walk_of_a_spend_filter_follows_purchases_made_between_its_pages(client, caller, buyers, send):
    paid = send(caller, text="paid", price=10, mediaFiles=[_upload(client, caller)])
    path = "/fans/all?filter[max_total_spent]=0&limit=1"
    assert _names(client, caller, f"{path}&offset=0") == ["fan3"]
    assert _names(client, caller, f"{path}&offset=1") == ["fan2"]
    assert _act(client, buyers, 3, paid, "purchase").status_code == 200  # fan 3 leaves the never-spent
    assert _names(client, caller, f"{path}&offset=1") == ["gone"]
    assert _names(client, caller, f"{path}&offset=0") == ["fan2"]


# --- accounts apart -------------------------------------------------------------------------------------


def test_filters_and_spend_stay_within_their_account(app, client, clock, world, caller, send):
    second = world.account(caller.team, "Second")
    _add_fans(client, caller, caller.account, clock)
    _add_fans(client, caller, second, clock)  # the same fan ids on both accounts
    client.post(f"/api/{second}/fans", headers=caller.headers,
                json=[{"id": 1, "username": "fan1", "tipsSumm": 500, "online": True}])
    fan = _fan_headers(app, clock, caller.team)
    paid = send(caller, text="paid", price=50, mediaFiles=[_upload(client, caller)])
    assert _act(client, fan, 2, paid, "purchase").status_code == 200  # fan 2 of the first account

    def names(account: str, query: str) -> list[str]:
        response = client.get(f"/api/{account}/fans/all?{query}", headers=caller.headers)
        return [u["username"] for u in response.json()["data"]["list"]]

    assert names(caller.account, "filter[tips]=100") == [] and names(second, "filter[tips]=100") == ["fan1"]
    assert names(caller.account, "filter[online]=1") == [] and names(second, "filter[online]=1") == ["fan1"]
    assert names(caller.account, "filter[total_spent]=50") == ["fan2"]
    assert names(second, "filter[total_spent]=50") == ["fan1"]  # its $500 of tips; fan 2 there spent nothing
    stranger = world.caller()
    assert client.get(f"/api/{second}/fans/all?filter[tips]=100", headers=stranger.headers).status_code == 404


def test_purchase_windows_follow_real_purchases_even_those_after_the_judging_moment(
        app, client, caller, clock, buyers, send):
    """A smart list's purchase windows read the fan's latest purchase, kept by single and batch
    purchases; judged at an earlier moment (a message's send time), a fan who bought since is judged
    by the purchases before that moment alone."""
    from massdm.api.state import state_of
    from massdm.domain.smart_lists import SmartFilter
    from massdm.store import smart_lists
    from massdm.store.db import transaction

    first = send(caller, text="one", price=5, mediaFiles=[_upload(client, caller)])
    second = send(caller, text="two", price=6, mediaFiles=[_upload(client, caller)])
    assert _act(client, buyers, 2, first, "purchase").status_code == 200  # fan 2: 3 days before now
    clock.advance(timedelta(days=3))
    now = clock.now()
    assert _act(client, buyers, 1, second, "purchase").status_code == 200  # fan 1: now, its only one
    batch = client.post("/fan/v1/events", headers=buyers,
                        json={"events": [{"fanId": 2, "messageId": second, "type": "purchase"},
                                         {"fanId": 3, "messageId": first, "type": "purchase"}]})
    assert batch.json()["data"]["applied"] == 2  # fan 2 again and fan 3 for the first time, now

    def members(at, **window) -> int:
        with transaction(state_of(app).engine) as connection:
            return smart_lists.count_members(connection, caller.account, SmartFilter(**window), at)

    # fans 1, 2, 3 and the expired fan 4; nobody else bought anything
    assert members(now, bought_within_days=7) == 3
    assert members(now, not_bought_within_days=7) == 1  # fan 4
    assert members(now - timedelta(days=1), bought_within_days=7) == 1  # fan 2's first purchase; 1's and 3's later
    assert members(now - timedelta(days=1), not_bought_within_days=7) == 3
    assert members(now - timedelta(days=4), bought_within_days=7) == 0  # before anybody bought
    assert members(now + timedelta(days=8), bought_within_days=7) == 0  # both last bought 8 days before
    assert members(now + timedelta(days=8), not_bought_within_days=7) == 4
    smart = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers,
                        json={"name": "Bought this week", "filter": {"lastPurchaseWithinDays": 7}})
    assert smart.json()["data"]["usersCount"] == 3
