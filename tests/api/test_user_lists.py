"""User lists: custom lists of chosen fans, and system lists that follow fan state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

SYSTEM = ["fans", "recent", "following", "rebill_on", "rebill_off", "tagged", "friends", "muted"]


@pytest.fixture
def account(client, caller, clock):
    now = clock.now()
    fans = [
        {"id": 1, "username": "active_renew", "subscribedAt": (now - timedelta(days=10)).isoformat()},
        {"id": 2, "username": "active_norenew", "autoRenew": False,
         "subscribedAt": (now - timedelta(days=9)).isoformat()},
        {"id": 3, "username": "new_today", "subscribedAt": (now - timedelta(hours=3)).isoformat(), "tagged": True},
        {"id": 4, "username": "expired", "expiresAt": (now - timedelta(days=1)).isoformat(), "following": True,
         "subscribedAt": (now - timedelta(days=40)).isoformat()},
        {"id": 5, "username": "muted_friend", "muted": True, "friend": True,
         "subscribedAt": (now - timedelta(days=8)).isoformat()},
    ]
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=fans).status_code == 200
    return caller


def _get(client, caller, path: str) -> dict:
    response = client.get(f"/api/{caller.account}{path}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _members(client, caller, list_id) -> list[int]:
    return sorted(u["id"] for u in _get(client, caller, f"/user-lists/{list_id}/users?limit=100")["list"])


def test_system_lists_are_derived_from_fan_state(client, account):
    lists = _get(client, account, "/user-lists?limit=50")
    counts = {x["id"]: x["usersCount"] for x in lists}
    assert [x["id"] for x in lists] == SYSTEM
    assert counts == {"fans": 4, "recent": 1, "following": 1, "rebill_on": 3, "rebill_off": 1, "tagged": 1,
                      "friends": 1, "muted": 1}
    assert _members(client, account, "fans") == [1, 2, 3, 5]
    assert _members(client, account, "rebill_off") == [2]
    assert _members(client, account, "recent") == [3]
    assert _members(client, account, "following") == [4]
    for x in lists:
        assert x["type"] == x["id"] and isinstance(x["id"], str)
        assert (x["canUpdate"], x["canDelete"], x["canAddUsers"], x["canManageUsers"]) == (False,) * 4


def test_system_lists_follow_changes_without_drift(client, account, clock):
    client.post(f"/api/{account.account}/fans", headers=account.headers,
                json=[{"id": 2, "username": "active_norenew", "autoRenew": True, "muted": True}])
    assert _members(client, account, "rebill_off") == []
    assert _members(client, account, "muted") == [2, 5]
    clock.advance(timedelta(days=1))
    assert _members(client, account, "recent") == []  # 27 hours since fan 3 subscribed


def test_custom_list_lifecycle(client, account):
    created = client.post(f"/api/{account.account}/user-lists", headers=account.headers, json={"name": "VIP"}).json()
    vip = created["data"]
    assert isinstance(vip["id"], int) and vip["name"] == "VIP" and vip["type"] == "custom"
    assert vip["usersCount"] == 0 and vip["canAddUsers"] is True

    added = client.post(f"/api/{account.account}/user-lists/{vip['id']}/users", headers=account.headers,
                        json={"ids": ["1", 3, "3"]})
    assert added.json()["data"] == {str(vip["id"]): [1, 3]}
    assert _members(client, account, vip["id"]) == [1, 3]

    listed = _get(client, account, "/user-lists?limit=50")
    mine = next(x for x in listed if x["name"] == "VIP")
    assert mine["id"] == str(vip["id"]) and mine["usersCount"] == 2

    got = _get(client, account, f"/user-lists/{vip['id']}")
    assert got["id"] == vip["id"] and got["usersCount"] == 2
    assert sorted(u["id"] for u in got["users"]) == [1, 3]

    fan = _get(client, account, "/fans/all?query=new_today")["list"][0]
    assert {"id": str(vip["id"]), "type": "custom", "name": "VIP", "hasUser": True} .items() <= next(
        s for s in fan["listsStates"] if s["type"] == "custom").items()

    renamed = client.put(f"/api/{account.account}/user-lists/{vip['id']}", headers=account.headers,
                         json={"name": "Top fans", "isPinnedToFeed": True}).json()["data"]
    assert (renamed["name"], renamed["isPinnedToFeed"]) == ("Top fans", True)

    removed = client.delete(f"/api/{account.account}/user-lists/{vip['id']}/users/1", headers=account.headers)
    body = removed.json()["data"]
    assert body["list"]["usersCount"] == 1
    assert body["userState"]["hasUser"] is False and body["userState"]["id"] == vip["id"]
    again = client.delete(f"/api/{account.account}/user-lists/{vip['id']}/users/1", headers=account.headers)
    assert again.status_code == 404

    cleared = client.delete(f"/api/{account.account}/user-lists/{vip['id']}/users", headers=account.headers)
    assert cleared.json()["data"]["usersCount"] == 0
    assert _members(client, account, vip["id"]) == []

    deleted = client.delete(f"/api/{account.account}/user-lists/{vip['id']}", headers=account.headers)
    assert deleted.json()["data"] == {"success": True}
    assert client.get(f"/api/{account.account}/user-lists/{vip['id']}", headers=account.headers).status_code == 404


def test_adding_unknown_fans_is_a_422_naming_them_and_adds_nothing(client, account):
    created = client.post(f"/api/{account.account}/user-lists", headers=account.headers, json={"name": "VIP"})
    vip = created.json()["data"]
    response = client.post(f"/api/{account.account}/user-lists/{vip['id']}/users", headers=account.headers,
                           json={"ids": [1, 777, 888]})
    assert response.status_code == 422
    message = response.json()["errors"]["ids"][0]
    assert "777" in message and "888" in message and " 1," not in message
    assert _members(client, account, vip["id"]) == []


def test_skip_invalid_adds_the_known_and_reports_the_rest(client, account):
    created = client.post(f"/api/{account.account}/user-lists", headers=account.headers, json={"name": "VIP"})
    vip = created.json()["data"]
    response = client.post(f"/api/{account.account}/user-lists/{vip['id']}/users", headers=account.headers,
                           json={"ids": [1, 777], "skip_invalid": True})
    assert response.json()["data"] == {"added": [1], "failed": {"777": "Not a fan of this account."}}
    assert _members(client, account, vip["id"]) == [1]


@pytest.mark.parametrize("system", SYSTEM)
def test_system_lists_refuse_edits(client, account, system):
    base = f"/api/{account.account}/user-lists/{system}"
    attempts = [
        client.put(base, headers=account.headers, json={"name": "x"}),
        client.delete(base, headers=account.headers),
        client.post(f"{base}/users", headers=account.headers, json={"ids": [1]}),
        client.delete(f"{base}/users/1", headers=account.headers),
        client.delete(f"{base}/users", headers=account.headers),
    ]
    for response in attempts:
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "SYSTEM_LIST"
        assert "system list" in response.json()["errors"]["list_id"][0]  # every 422 names its field
    assert system in [x["id"] for x in _get(client, account, "/user-lists?limit=50")]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/user-lists", {"name": "x" * 65}, "name"),
        ("POST", "/user-lists", {"name": ""}, "name"),
        ("POST", "/user-lists", {}, "name"),
        ("POST", "/user-lists", {"name": 5}, "name"),
        ("GET", "/user-lists?limit=9", None, "limit"),
        ("GET", "/user-lists?limit=51", None, "limit"),
        ("GET", "/user-lists?offset=-1", None, "offset"),
        ("GET", "/user-lists/fans/users?limit=0", None, "limit"),
        ("GET", "/user-lists/fans/users?limit=101", None, "limit"),
        ("POST", "/user-lists/{vip}/users", {"ids": []}, "ids"),
        ("POST", "/user-lists/{vip}/users", {"ids": ["abc"]}, "ids.0"),
        ("POST", "/user-lists/{vip}/users", {"ids": [2**64]}, "ids.0"),
        ("POST", "/user-lists/{vip}/users", {}, "ids"),
        ("PUT", "/user-lists/{vip}", {"name": "   "}, "name"),
        ("PUT", "/user-lists/{vip}", {"isPinnedToFeed": True}, "name"),
    ],
)
def test_bad_list_requests_are_422_naming_the_field(client, account, method, path, body, field):
    created = client.post(f"/api/{account.account}/user-lists", headers=account.headers, json={"name": "VIP"})
    vip = created.json()["data"]
    url = f"/api/{account.account}" + path.format(vip=vip["id"])
    response = client.request(method, url, headers=account.headers, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()


@pytest.mark.parametrize("list_id", ["999999", "0", "-1", "abc", "FANS", "9" * 30])
def test_unknown_lists_are_404(client, account, list_id):
    response = client.get(f"/api/{account.account}/user-lists/{list_id}", headers=account.headers)
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_lists_page_system_first_then_custom(client, account):
    for n in range(5):
        client.post(f"/api/{account.account}/user-lists", headers=account.headers, json={"name": f"L{n}"})
    first = client.get(f"/api/{account.account}/user-lists?limit=10", headers=account.headers).json()
    assert [x["name"] for x in first["data"]][8:] == ["L0", "L1"]
    assert first["_pagination"]["next_page"].endswith("limit=10&offset=10")
    second = client.get(f"/api/{account.account}/user-lists?limit=10&offset=10", headers=account.headers).json()
    assert [x["name"] for x in second["data"]] == ["L2", "L3", "L4"]
    assert second["_pagination"]["next_page"] is None


def test_a_list_of_another_account_is_not_found(client, world, account):
    other = world.account(account.team, "Other")
    vip = client.post(f"/api/{other}/user-lists", headers=account.headers, json={"name": "VIP"}).json()["data"]
    assert client.get(f"/api/{account.account}/user-lists/{vip['id']}", headers=account.headers).status_code == 404


def _walk_members(client, caller, list_id, limit: int) -> list[int]:
    """A list's members read the official SDK's way: offset 0, limit, 2 * limit, … until hasMore is false."""
    seen, offset = [], 0
    while True:
        data = _get(client, caller, f"/user-lists/{list_id}/users?limit={limit}&offset={offset}")
        seen += [u["id"] for u in data["list"]]
        if not data["hasMore"]:
            assert data["nextOffset"] is None
            return seen
        assert data["nextOffset"] == offset + limit
        offset += limit


def test_a_custom_list_pages_its_members_newest_first_as_they_and_their_fans_change(client, caller, clock):
    now = clock.now()
    fans = {i: now - timedelta(minutes=i % 5) for i in range(1, 41)}
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": i, "username": f"fan{i}", "subscribedAt": at.isoformat()} for i, at in fans.items()])
    vip = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "VIP"}).json()["data"]
    members = set(range(2, 41, 3))
    client.post(
        f"/api/{caller.account}/user-lists/{vip['id']}/users", headers=caller.headers, json={"ids": sorted(members)}
    )

    def expected() -> list[int]:
        return sorted(members, key=lambda i: (fans[i], i), reverse=True)

    def count() -> int:
        listed = _get(client, caller, "/user-lists?limit=50")
        return next(x["usersCount"] for x in listed if x["id"] == str(vip["id"]))

    assert _walk_members(client, caller, vip["id"], 3) == expected() and count() == len(members)
    # A member's subscription date changes: the list's order follows it.
    fans[5] = now + timedelta(hours=1)
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": 5, "username": "fan5", "subscribedAt": fans[5].isoformat()}])
    assert _walk_members(client, caller, vip["id"], 3) == expected() and expected()[0] == 5
    # Adding members already in the list counts only the new ones.
    client.post(f"/api/{caller.account}/user-lists/{vip['id']}/users", headers=caller.headers, json={"ids": [1, 2, 5]})
    members.add(1)
    assert _walk_members(client, caller, vip["id"], 4) == expected() and count() == len(members)
    assert _get(client, caller, f"/user-lists/{vip['id']}")["usersCount"] == len(members)
    client.delete(f"/api/{caller.account}/user-lists/{vip['id']}/users/8", headers=caller.headers)
    members.discard(8)
    assert _walk_members(client, caller, vip["id"], 3) == expected() and count() == len(members)
    preview = _get(client, caller, f"/user-lists/{vip['id']}")["users"]
    assert [u["id"] for u in preview] == expected()[:3]
    client.delete(f"/api/{caller.account}/user-lists/{vip['id']}/users", headers=caller.headers)
    assert _walk_members(client, caller, vip["id"], 3) == [] and count() == 0


def test_a_system_list_walked_by_offset_follows_the_clock(client, caller, clock):
    now = clock.now()
    body = [{"id": i, "username": f"fan{i}", "subscribedAt": (now - timedelta(hours=i)).isoformat(),
             "autoRenew": i % 2 == 0, "expiresAt": (now + timedelta(hours=i % 6)).isoformat() if i % 4 == 0 else None}
            for i in range(1, 31)]
    client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)

    def active(at) -> list[dict]:
        return [f for f in body if f["expiresAt"] is None or datetime.fromisoformat(f["expiresAt"]) > at]

    def renewing(at) -> list[int]:
        return [f["id"] for f in active(at) if f["autoRenew"]]

    assert _walk_members(client, caller, "rebill_on", 4) == renewing(now)
    clock.advance(timedelta(hours=3))
    assert _walk_members(client, caller, "rebill_on", 4) == renewing(clock.now()) != renewing(now)
    recent = [f["id"] for f in active(clock.now())
              if datetime.fromisoformat(f["subscribedAt"]) >= clock.now() - timedelta(hours=24)]
    assert recent and _walk_members(client, caller, "recent", 5) == recent
