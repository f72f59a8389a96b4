"""Fans: the platform puts them in, the provider's endpoints list them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest


def _iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def fans(client, caller, clock):
    now = clock.now()
    body = [
        {"id": 1, "username": "alice", "name": "Alice A", "subscribedAt": _iso(now - timedelta(days=3))},
        {"id": "2", "username": "bob", "subscribedAt": _iso(now - timedelta(days=2)),
         "expiresAt": _iso(now - timedelta(hours=1)), "autoRenew": False},
        {"id": 3, "username": "carol", "name": "Carol", "subscribedAt": _iso(now - timedelta(hours=2)),
         "expiresAt": _iso(now + timedelta(days=5)), "following": True, "muted": True, "tagged": True,
         "friend": True},
    ]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"received": 3, "created": 3, "updated": 0}
    return body


def _usernames(client, caller, path: str) -> list[str]:
    body = client.get(f"/api/{caller.account}{path}", headers=caller.headers).json()
    return [u["username"] for u in body["data"]["list"]]


def test_lists_all_active_and_expired_newest_first(client, caller, fans):
    assert _usernames(client, caller, "/fans/all") == ["carol", "bob", "alice"]
    assert _usernames(client, caller, "/fans/active") == ["carol", "alice"]
    assert _usernames(client, caller, "/fans/expired") == ["bob"]


def test_user_object_reflects_the_fans_state(client, caller, fans, clock):
    users = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()["data"]["list"]
    carol, bob, alice = users
    assert carol["id"] == 3 and carol["name"] == "Carol" and carol["displayName"] == "Carol"
    assert carol["subscribedOn"] is True and carol["subscribedIsExpiredNow"] is False
    assert carol["subscribedByExpireDate"].endswith("+00:00")
    assert (carol["isFollowing"], carol["isMuted"], carol["isTagged"], carol["isFriend"]) == (True, True, True, True)
    assert bob["subscribedOn"] is False and bob["subscribedIsExpiredNow"] is True
    assert bob["subscribedByAutoprolong"] is False and bob["canReceiveChatMessage"] is False
    assert alice["name"] == "Alice A" and alice["subscribedByExpireDate"] is None  # open-ended = active
    states = {s["id"]: s["hasUser"] for s in carol["listsStates"]}
    assert states == {"fans": True, "recent": True, "following": True, "rebill_on": True, "rebill_off": False,
                      "tagged": True, "friends": True, "muted": True}
    assert all(s["cannotAddUserReason"] == "SYSTEM_LIST" for s in carol["listsStates"])


def test_time_moves_fans_from_active_to_expired(client, caller, fans, clock):
    clock.advance(timedelta(days=6))  # carol's subscription ends after 5 days
    assert _usernames(client, caller, "/fans/active") == ["alice"]
    assert _usernames(client, caller, "/fans/expired") == ["carol", "bob"]


def test_query_searches_username_and_name_case_insensitively(client, caller, fans):
    assert _usernames(client, caller, "/fans/all?query=ALI") == ["alice"]
    assert _usernames(client, caller, "/fans/all?query=carol") == ["carol"]
    assert _usernames(client, caller, "/fans/all?query=%25") == []  # a literal %, not a wildcard
    assert _usernames(client, caller, "/fans/all?query=zzz") == []


def test_pagination_walks_every_fan_once(client, caller, clock):
    now = clock.now()
    client.post(
        f"/api/{caller.account}/fans",
        headers=caller.headers,
        json=[
            {"id": i, "username": f"fan{i}", "subscribedAt": _iso(now - timedelta(minutes=i % 3))} for i in range(1, 24)
        ],
    )
    url = f"/api/{caller.account}/fans/all?limit=5"
    seen: list[int] = []
    pages = 0
    while url:
        body = client.get(url, headers=caller.headers).json()
        seen += [u["id"] for u in body["data"]["list"]]
        next_page = body["_pagination"]["next_page"]
        assert body["data"]["hasMore"] is (next_page is not None)
        url = next_page.replace("http://massdm.test", "") if next_page else None
        if next_page:
            assert parse_qs(urlparse(next_page).query)["limit"] == ["5"]
        pages += 1
    assert sorted(seen) == list(range(1, 24)) and len(seen) == 23
    assert pages == 5


def test_upsert_is_idempotent_by_fan_id(client, caller, fans):
    again = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans)
    assert again.json()["data"] == {"received": 3, "created": 0, "updated": 3}
    changed = client.post(
        f"/api/{caller.account}/fans", headers=caller.headers, json=[{"id": 1, "username": "alice2", "muted": True}]
    )
    assert changed.json()["data"] == {"received": 1, "created": 0, "updated": 1}
    users = client.get(f"/api/{caller.account}/fans/all?query=alice2", headers=caller.headers).json()["data"]["list"]
    assert [(u["id"], u["isMuted"]) for u in users] == [(1, True)]
    everyone = client.get(f"/api/{caller.account}/fans/all?limit=50", headers=caller.headers)
    assert len(everyone.json()["data"]["list"]) == 3


def test_fans_belong_to_their_account(client, world, caller, fans):
    team = caller.team
    other = world.account(team, "Other")
    assert client.get(f"/api/{other}/fans/all", headers=caller.headers).json()["data"]["list"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"username": "x"}], "0.id"),
        ([{"id": 0, "username": "x"}], "0.id"),
        ([{"id": 2**63, "username": "x"}], "0.id"),
        ([{"id": "abc", "username": "x"}], "0.id"),
        ([{"id": 1, "username": ""}], "0.username"),
        ([{"id": 1}], "0.username"),
        ([{"id": 1, "username": "x" * 201}], "0.username"),
        ([{"id": 1, "username": "nul\u0000"}], "0.username"),
        ([{"id": 1, "username": "x", "subscribedAt": "yesterday"}], "0.subscribedAt"),
        ([{"id": 1, "username": "x", "expiresAt": "9999-12-31T23:59:59-23:00"}], "0.expiresAt"),
        ([{"id": 1, "username": "x", "subscribedAt": 1735689600}], "0.subscribedAt"),  # ISO text, not Unix time
        ([{"id": 1, "username": "x", "expiresAt": "4102444800"}], "0.expiresAt"),
        ([{"id": 1, "username": "x", "autoRenew": "maybe"}], "0.autoRenew"),
        ([{"id": 1, "username": "x", "lastSeen": "recently"}], "0.lastSeen"),
        ([{"id": 1, "username": "x", "lastSeen": 1735689600}], "0.lastSeen"),
        ({"id": 1, "username": "x"}, "body"),
    ],
)
def test_bad_fans_are_a_422_naming_the_field(client, caller, body, field):
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == "VALIDATION_ERROR"
    assert field in payload["errors"], payload["errors"]
    assert client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()["data"]["list"] == []


def test_more_than_ten_thousand_fans_per_call_is_refused(client, caller):
    body = [{"id": i, "username": f"f{i}"} for i in range(1, 10_002)]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 422
    assert "body" in response.json()["errors"]


def test_ten_thousand_fans_in_one_call(client, caller):
    body = [{"id": i, "username": f"f{i}"} for i in range(1, 10_001)]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.json()["data"] == {"received": 10_000, "created": 10_000, "updated": 0}
    lists = client.get(f"/api/{caller.account}/user-lists", headers=caller.headers).json()["data"]
    assert {x["id"]: x["usersCount"] for x in lists}["fans"] == 10_000


@pytest.mark.parametrize("query", ["limit=0", "limit=51", "offset=-1", "limit=1e3", "offset=99999999999999999999999"])
def test_bad_paging_is_a_422(client, caller, query):
    response = client.get(f"/api/{caller.account}/fans/all?{query}", headers=caller.headers)
    assert response.status_code == 422
    assert query.split("=")[0] in response.json()["errors"]


def test_fields_left_out_of_an_update_keep_their_value(client, caller, fans):
    before = client.get(f"/api/{caller.account}/fans/all?query=carol", headers=caller.headers).json()["data"]["list"][0]
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=[{"id": 3, "username": "carol"}])
    after = client.get(f"/api/{caller.account}/fans/all?query=carol", headers=caller.headers).json()["data"]["list"][0]
    assert after == before  # subscribedAt, expiresAt, flags and name all kept


def test_last_seen_is_what_the_platform_states_kept_when_left_out_and_unknown_by_default(client, caller, fans, clock):
    def last_seen() -> dict[str, str | None]:
        users = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()["data"]["list"]
        return {u["username"]: u["lastSeen"] for u in users}

    assert last_seen() == {"carol": None, "bob": None, "alice": None}  # never stated: not known
    seen = (clock.now() - timedelta(minutes=7)).replace(microsecond=0)
    stated = client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                         json=[{"id": 1, "username": "alice", "lastSeen": seen.astimezone(UTC).isoformat()}])
    assert stated.status_code == 200, stated.text
    assert datetime.fromisoformat(last_seen()["alice"]) == seen and last_seen()["carol"] is None
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=[{"id": 1, "username": "alice2"}])
    assert datetime.fromisoformat(last_seen()["alice2"]) == seen  # left out: kept
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": 1, "username": "alice2", "lastSeen": None}])
    assert last_seen()["alice2"] is None  # sent as null: not known any more


def _walk(client, caller, path: str, limit: int) -> list[int]:
    """Every fan of a listing, read the official SDK's way: offset 0, limit, 2 * limit, … until hasMore is false."""
    seen, offset = [], 0
    while True:
        body = client.get(f"/api/{caller.account}{path}?limit={limit}&offset={offset}", headers=caller.headers)
        assert body.status_code == 200, body.text
        data = body.json()["data"]
        seen += [u["id"] for u in data["list"]]
        if not data["hasMore"]:
            return seen
        assert len(data["list"]) == limit
        offset += limit


def _newest_first(fans: dict[int, dict]) -> list[int]:
    return [i for i, _ in sorted(fans.items(), key=lambda f: (f[1]["subscribedAt"], f[0]), reverse=True)]


def test_walking_offsets_reads_each_listing_in_order_while_fans_and_time_change(client, caller, clock):
    clock.set(datetime(2026, 5, 1, 22, 0, tzinfo=UTC))
    now = clock.now()
    fans = {i: {"id": i, "username": f"fan{i}", "subscribedAt": _iso(now - timedelta(minutes=i % 7)),
                "expiresAt": _iso(now + timedelta(hours=i % 4)) if i % 3 == 0 else None} for i in range(1, 61)}
    upserted = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=list(fans.values()))
    assert upserted.status_code == 200

    def active(at) -> dict[int, dict]:
        return {i: f for i, f in fans.items() if f["expiresAt"] is None or datetime.fromisoformat(f["expiresAt"]) > at}

    assert _walk(client, caller, "/fans/all", 7) == _newest_first(fans)
    assert _walk(client, caller, "/fans/active", 7) == _newest_first(active(now))

    moved = {5: {"id": 5, "username": "fan5", "subscribedAt": _iso(now + timedelta(minutes=1))},
             **{i: {"id": i, "username": f"fan{i}", "subscribedAt": _iso(now - timedelta(minutes=3)), "expiresAt": None}
                for i in (70, 71, 72)}}
    upserted = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=list(moved.values()))
    assert upserted.status_code == 200
    fans[5] = {**fans[5], "subscribedAt": moved[5]["subscribedAt"]}
    fans.update({i: moved[i] for i in (70, 71, 72)})
    assert _walk(client, caller, "/fans/all", 7) == _newest_first(fans)
    assert _walk(client, caller, "/fans/all", 50) == _newest_first(fans)  # one big page says the same

    clock.advance(timedelta(hours=2, minutes=30))  # past midnight: the fans expiring within 2 hours have gone
    later = clock.now()
    assert _walk(client, caller, "/fans/active", 7) == _newest_first(active(later))
    expired = {i: f for i, f in fans.items() if i not in active(later)}
    assert expired and _walk(client, caller, "/fans/expired", 4) == _newest_first(expired)


def test_list_counts_follow_every_upsert_and_the_clock_across_days(client, caller, clock):
    clock.set(datetime(2026, 5, 1, 20, 0, tzinfo=UTC))
    now = clock.now()
    fans = [{"id": i, "username": f"fan{i}", "subscribedAt": _iso(now - timedelta(hours=i * 5)),
             "expiresAt": _iso(now + timedelta(hours=i * 3 - 20)) if i % 2 else None,
             "autoRenew": i % 3 != 0, "following": i % 4 == 0, "muted": i % 5 == 0} for i in range(1, 16)]
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans)
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=[
        {"id": 2, "username": "fan2", "expiresAt": _iso(now + timedelta(minutes=30)), "autoRenew": False},
        {"id": 3, "username": "fan3", "following": True},  # the rest of fan 3 stays as it was
        {"id": 16, "username": "fan16", "subscribedAt": _iso(now - timedelta(hours=1)), "tagged": True},
    ])
    fans[1] = {**fans[1], "expiresAt": _iso(now + timedelta(minutes=30)), "autoRenew": False}
    fans[2] = {**fans[2], "following": True}
    fans.append({"id": 16, "username": "fan16", "subscribedAt": _iso(now - timedelta(hours=1)), "tagged": True})

    def expected(at) -> dict[str, int]:
        def active(f: dict) -> bool:
            return f.get("expiresAt") is None or datetime.fromisoformat(f["expiresAt"]) > at
        fresh = [f for f in fans if active(f)]
        return {"fans": len(fresh),
                "recent": sum(datetime.fromisoformat(f["subscribedAt"]) >= at - timedelta(hours=24) for f in fresh),
                "following": sum(bool(f.get("following")) for f in fans),
                "rebill_on": sum(f.get("autoRenew", True) for f in fresh),
                "rebill_off": sum(not f.get("autoRenew", True) for f in fresh),
                "tagged": sum(bool(f.get("tagged")) for f in fans), "friends": 0,
                "muted": sum(bool(f.get("muted")) for f in fans)}

    for step in (timedelta(0), timedelta(minutes=45), timedelta(hours=4), timedelta(days=1), timedelta(days=3)):
        clock.advance(step)
        lists = client.get(f"/api/{caller.account}/user-lists?limit=10", headers=caller.headers).json()["data"]
        assert {x["id"]: x["usersCount"] for x in lists} == expected(clock.now()), clock.now()
        one = client.get(f"/api/{caller.account}/user-lists/rebill_on", headers=caller.headers).json()["data"]
        assert one["usersCount"] == expected(clock.now())["rebill_on"]
