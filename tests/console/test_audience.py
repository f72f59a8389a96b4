"""Audience pages (fans, lists, a list's members): what they show is what the API answers for the same
account, their forms change what the API then shows, and they refuse what the API refuses, in its words."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from tests.console.conftest import ConsoleClient

ROW = re.compile(r'<tr data-fan="(\d+)">')
LIST_ROW = re.compile(r'<tr data-list="([^"]+)">.*?data-testid="members">([\d,]+)<', re.DOTALL)


def api(console: ConsoleClient, method: str, path: str, status: int = 200, **kwargs) -> dict:
    answer = console.http.request(method, f"/api/{console.caller.account}{path}", headers=console.caller.headers,
                                  **kwargs)
    assert answer.status_code == status, answer.text
    return answer.json()


def fan_ids(page: str) -> list[int]:
    return [int(i) for i in ROW.findall(page)]


def messages(page: str) -> list[str]:
    """The error messages a page shows (role=alert)."""
    found = re.findall(r'<div class="error" role="alert"[^>]*>(.*?)</div>', page, re.DOTALL)
    return [html.unescape(m) for block in found for m in re.findall(r"<p>(.*?)</p>", block, re.DOTALL)]


def api_messages(body: dict) -> list[str]:
    return [m for field in body["errors"].values() for m in field]


@pytest.fixture
def fans(console: ConsoleClient, clock):
    now = clock.now()
    body = [
        {"id": 1, "username": "alice", "name": "Alice A", "subscribedAt": (now - timedelta(days=90)).isoformat(),
         "tipsSumm": 12.5, "subscribesSumm": 30},
        {"id": 2, "username": "bob", "name": "Bob", "subscribedAt": (now - timedelta(days=40)).isoformat(),
         "expiresAt": (now - timedelta(days=3)).isoformat(), "autoRenew": False},
        {"id": 3, "username": "carol", "name": "Carol C", "subscribedAt": (now - timedelta(hours=2)).isoformat(),
         "expiresAt": (now + timedelta(days=20)).isoformat(), "following": True, "tipsSumm": 4},
    ]
    api(console, "POST", "/fans", json=body)
    return body


def new_list(console: ConsoleClient, name: str, ids: list[int] | None = None) -> str:
    created = api(console, "POST", "/user-lists", json={"name": name})["data"]
    if ids:
        api(console, "POST", f"/user-lists/{created['id']}/users", json={"ids": ids})
    return str(created["id"])


def members(console: ConsoleClient, list_id: str) -> list[int]:
    return [u["id"] for u in api(console, "GET", f"/user-lists/{list_id}/users", params={"limit": 100})["data"]["list"]]


# --- fans ----------------------------------------------------------------------------------------

def test_the_fans_page_shows_the_fans_the_api_lists_with_their_spend_lists_and_counts(console, fans):
    vip = new_list(console, "VIP", [3])
    page = console.get(f"/console/accounts/{console.caller.account}/fans")
    assert page.status_code == 200
    listed = api(console, "GET", "/fans/all", params={"limit": 50})["data"]["list"]
    assert fan_ids(page.text) == [u["id"] for u in listed] == [3, 2, 1]
    spent = re.findall(r'data-testid="spent"[^>]*>([^<]+)<', page.text)
    assert spent == [f"${u['subscribedOnData']['totalSumm']:,.2f}" for u in listed] == ["$4.00", "$0.00", "$42.50"]
    carol = page.text[page.text.index('data-fan="3"'):page.text.index('data-fan="2"')]
    assert "Carol C" in carol and "@carol" in carol and "<ins>Active</ins>" in carol
    assert f'<a href="/console/accounts/{console.caller.account}/lists/{vip}">VIP</a>' in carol
    assert "Following" in carol  # of the system lists the API's listsStates has her in, those no column shows
    assert "Renew On" not in carol and "Recent" not in carol
    bob = page.text[page.text.index('data-fan="2"'):page.text.index('data-fan="1"')]
    assert "<del>Expired</del>" in bob and "Off" in bob

    active = len(api(console, "GET", "/fans/active")["data"]["list"])
    expired = len(api(console, "GET", "/fans/expired")["data"]["list"])
    system = {str(v["id"]): v["usersCount"] for v in api(console, "GET", "/user-lists")["data"]}
    assert (active, expired, system["fans"]) == (2, 1, 2)
    for status, count in (("all", 3), ("active", active), ("expired", expired)):
        assert f'data-testid="count-{status}">({count})<' in page.text


def test_the_status_filter_and_the_search_narrow_the_page_as_the_api_does(console, fans):
    base = f"/console/accounts/{console.caller.account}/fans"
    for status in ("active", "expired"):
        shown = fan_ids(console.get(base, params={"status": status}).text)
        assert shown == [u["id"] for u in api(console, "GET", f"/fans/{status}")["data"]["list"]]
    assert fan_ids(console.get(base, params={"status": "active"}).text) == [3, 1]
    for query, status, expected in (("car", "all", [3]), ("A", "all", [3, 1]), ("  alice ", "all", [1]),
                                    ("al", "expired", []), ("nobody", "all", [])):
        page = console.get(base, params={"status": status, "query": query})
        assert page.status_code == 200
        assert fan_ids(page.text) == expected
        assert expected == [u["id"] for u in api(console, "GET", f"/fans/{status}",
                                                 params={"query": query.strip()})["data"]["list"]]
    assert "No expired fan matches “al”." in console.get(base, params={"status": "expired", "query": "al"}).text
    searched = console.get(base, params={"status": "active", "query": "a"}).text
    assert 'name="status" value="active"' in searched and 'value="a"' in searched  # the form keeps both


def test_fans_are_paged_as_the_api_pages_them(console, clock):
    since = (clock.now() - timedelta(days=1)).isoformat()
    api(console, "POST", "/fans", json=[{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in range(1, 61)])
    base = f"/console/accounts/{console.caller.account}/fans"
    first = console.get(base).text
    assert fan_ids(first) == [u["id"] for u in api(console, "GET", "/fans/all", params={"limit": 50})["data"]["list"]]
    assert len(fan_ids(first)) == 50 and "Fans 1–50" in first
    link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    assert link == f"{base}?offset=50"
    second = console.get(link).text
    expected = api(console, "GET", "/fans/all", params={"limit": 50, "offset": 50})["data"]["list"]
    assert fan_ids(second) == [u["id"] for u in expected] and len(expected) == 10
    assert 'rel="next"' not in second and f'<a href="{base}" rel="prev">' in second


@pytest.mark.parametrize("params", [{"query": "x" * 201}, {"limit": "0"}, {"limit": "51"}, {"offset": "-1"},
                                    {"query": "a\x00b"}])
def test_a_query_the_api_refuses_is_refused_with_its_message(console, fans, params):
    page = console.get(f"/console/accounts/{console.caller.account}/fans", params=params)
    answer = console.http.get(f"/api/{console.caller.account}/fans/all", params=params,
                              headers=console.caller.headers)
    assert (page.status_code, answer.status_code) == (422, 422)
    assert messages(page.text) == api_messages(answer.json())
    assert fan_ids(page.text) == []


def test_an_unknown_status_is_refused(console, fans):
    page = console.get(f"/console/accounts/{console.caller.account}/fans", params={"status": "lapsed"})
    assert page.status_code == 422
    assert messages(page.text) and "status" in messages(page.text)[0]


# --- lists ---------------------------------------------------------------------------------------

def test_the_lists_page_shows_every_list_with_the_apis_member_count(console, fans):
    vip = new_list(console, "VIP", [1, 3])
    new_list(console, "Empty")
    smart = api(console, "POST", "/user-lists", json={"name": "Big tippers", "filter": {"tips": 10}})["data"]
    page = console.get(f"/console/accounts/{console.caller.account}/lists")
    assert page.status_code == 200
    shown = {list_id: int(count.replace(",", "")) for list_id, count in LIST_ROW.findall(page.text)}
    listed = api(console, "GET", "/user-lists", params={"limit": 50})["data"]
    assert shown == {str(v["id"]): v["usersCount"] for v in listed}
    assert (shown["fans"], shown["following"], shown[vip], shown[str(smart["id"])]) == (2, 1, 2, 1)
    assert ">VIP</a>" in page.text and ">Smart<" in page.text and "Active subscribers" in page.text


def test_lists_are_paged_as_the_api_pages_them(console, fans):
    ids = [new_list(console, f"List {n}") for n in range(4)]
    base = f"/console/accounts/{console.caller.account}/lists"
    first = console.get(base, params={"limit": 10}).text
    assert [i for i, _ in LIST_ROW.findall(first)] == [str(v["id"]) for v in
                                                     api(console, "GET", "/user-lists", params={"limit": 10})["data"]]
    link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    second = console.get(link).text
    assert [i for i, _ in LIST_ROW.findall(second)] == ids[2:]


def test_a_list_page_shows_its_members_as_the_api_does(console, fans):
    vip = new_list(console, "VIP", [1, 3])
    page = console.get(f"/console/accounts/{console.caller.account}/lists/{vip}")
    assert page.status_code == 200
    assert fan_ids(page.text) == members(console, vip) == [3, 1]
    assert re.search(r'data-testid="members">2<', page.text)
    assert api(console, "GET", f"/user-lists/{vip}")["data"]["usersCount"] == 2
    assert 'aria-label="Remove @alice"' in page.text and 'name="ids"' in page.text
    system = console.get(f"/console/accounts/{console.caller.account}/lists/fans").text
    assert fan_ids(system) == members(console, "fans") == [3, 1]
    assert 'name="ids"' not in system and "Remove" not in system and "cannot be edited by hand" in system
    assert console.get(f"/console/accounts/{console.caller.account}/lists/999999").status_code == 404
    assert console.get(f"/console/accounts/{console.caller.account}/lists/nope").status_code == 404


def test_a_lists_members_are_paged(console, clock):
    since = (clock.now() - timedelta(days=1)).isoformat()
    api(console, "POST", "/fans", json=[{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in range(1, 8)])
    big = new_list(console, "Big", list(range(1, 8)))
    base = f"/console/accounts/{console.caller.account}/lists/{big}"
    first = console.get(base, params={"limit": 5}).text
    api_first = api(console, "GET", f"/user-lists/{big}/users", params={"limit": 5})["data"]
    assert fan_ids(first) == [u["id"] for u in api_first["list"]]
    link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    assert link == f"{base}?limit=5&offset={api_first['nextOffset']}"
    assert fan_ids(console.get(link).text) == members(console, big)[5:]


def test_creating_a_list_makes_it_the_apis_and_opens_it(console, fans):
    answer = console.post(f"/console/accounts/{console.caller.account}/lists", {"name": "  Weekend buyers "})
    assert answer.status_code == 303
    created = [v for v in api(console, "GET", "/user-lists", params={"limit": 50})["data"] if v["type"] == "custom"]
    assert [(v["name"], v["usersCount"]) for v in created] == [("Weekend buyers", 0)]
    lists = f"/console/accounts/{console.caller.account}/lists"
    assert answer.headers["location"] == f"{lists}/{created[0]['id']}?created=1"
    opened = console.get(answer.headers["location"]).text
    assert "<h1>Weekend buyers</h1>" in opened and "List created." in opened


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "a\x00b"])
def test_a_list_name_the_api_refuses_is_refused_with_its_message_and_kept(console, fans, name):
    page = console.post(f"/console/accounts/{console.caller.account}/lists", {"name": name})
    refused = api(console, "POST", "/user-lists", 422, json={"name": name})
    assert page.status_code == 422
    assert messages(page.text) == api_messages(refused) and messages(page.text)
    if "\x00" not in name:
        assert f'name="name" value="{name}"' in page.text
    assert [v for v in api(console, "GET", "/user-lists", params={"limit": 50})["data"] if v["type"] == "custom"] == []


def test_adding_and_removing_members_changes_the_apis_list(console, fans):
    vip = new_list(console, "VIP")
    path = f"/console/accounts/{console.caller.account}/lists/{vip}"
    added = console.post(f"{path}/members", {"ids": "1, 3\n3"})
    assert added.status_code == 303 and added.headers["location"] == f"{path}?added=2"
    assert members(console, vip) == [3, 1]
    assert api(console, "GET", f"/user-lists/{vip}")["data"]["usersCount"] == 2
    page = console.get(added.headers["location"]).text
    assert "Added 2 fans to this list." in page and fan_ids(page) == [3, 1]

    removed = console.post(f"{path}/members/remove", {"fan_id": "1"})
    assert removed.status_code == 303 and removed.headers["location"] == f"{path}?removed=1"
    assert members(console, vip) == [3]
    page = console.get(removed.headers["location"]).text
    assert "Removed fan 1 from this list." in page and fan_ids(page) == [3]
    assert re.search(r'data-testid="members">1<', page)


@pytest.mark.parametrize(("typed", "sent"), [("", ""), ("abc", "abc"), ("1, 999, 998", "1,999,998"), ("0", "0")])
def test_ids_the_api_refuses_are_refused_with_its_message_and_kept(console, fans, typed, sent):
    vip = new_list(console, "VIP", [3])
    page = console.post(f"/console/accounts/{console.caller.account}/lists/{vip}/members", {"ids": typed})
    refused = api(console, "POST", f"/user-lists/{vip}/users", 422, json={"ids": sent})
    assert page.status_code == 422
    assert messages(page.text) == api_messages(refused) and messages(page.text)
    assert f">{typed}</textarea>" in page.text
    assert members(console, vip) == [3]


def test_system_and_smart_lists_refuse_hand_edits_with_the_apis_message(console, fans):
    smart = str(api(console, "POST", "/user-lists", json={"name": "Tippers", "filter": {"tips": 1}})["data"]["id"])
    base = f"/console/accounts/{console.caller.account}/lists"
    for list_id in ("fans", smart):
        page = console.post(f"{base}/{list_id}/members", {"ids": "2"})
        refused = api(console, "POST", f"/user-lists/{list_id}/users", 422, json={"ids": [2]})
        assert page.status_code == 422 and messages(page.text) == api_messages(refused)
        page = console.post(f"{base}/{list_id}/members/remove", {"fan_id": "1"})
        refused = api(console, "DELETE", f"/user-lists/{list_id}/users/1", 422)
        assert page.status_code == 422 and messages(page.text) == api_messages(refused)
    assert members(console, "fans") == [3, 1]


def test_removing_a_fan_not_in_the_list_says_what_the_api_says(console, fans):
    vip = new_list(console, "VIP", [3])
    base = f"/console/accounts/{console.caller.account}/lists/{vip}/members/remove"
    for fan_id in ("1", "999", "abc"):
        page = console.post(base, {"fan_id": fan_id})
        refused = api(console, "DELETE", f"/user-lists/{vip}/users/{fan_id}", 404)
        assert page.status_code == 404
        assert messages(page.text) == [refused["message"]]
    assert members(console, vip) == [3]
    assert console.post(f"/console/accounts/{console.caller.account}/lists/424242/members/remove",
                        {"fan_id": "3"}).status_code == 404


# --- CSRF and who may see what -------------------------------------------------------------------

def test_every_audience_form_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing(console, fans):
    vip = new_list(console, "VIP", [1])
    base = f"/console/accounts/{console.caller.account}/lists"
    forms = [(base, {"name": "Sneaky"}), (f"{base}/{vip}/members", {"ids": "2,3"}),
             (f"{base}/{vip}/members/remove", {"fan_id": "1"})]

    def state() -> tuple:
        return ([(v["id"], v["name"], v["usersCount"]) for v in api(console, "GET", "/user-lists",
                                                                     params={"limit": 50})["data"]],
                members(console, vip))

    before = state()
    for path, data in forms:
        for token in (None, "forged"):
            answer = console.post(path, data, csrf=token)
            assert answer.status_code == 403, (path, token)
            assert "This form has expired" in answer.text
    assert state() == before


def test_a_limited_key_gets_404_for_another_accounts_audience(console, console_for, world, fans):
    team = console.caller.team
    other = world.account(team, "Other creator")
    added = console.http.post(f"/api/{other}/fans", headers=console.caller.headers, json=[{"id": 9, "username": "zed"}])
    assert added.status_code == 200, added.text
    limited = console_for(type(console.caller)(world.key(team, [console.caller.account]), console.caller.account,
                                               team))
    stranger = console_for(world.caller())
    vip = new_list(console, "VIP", [1])
    own = f"/console/accounts/{console.caller.account}"
    assert limited.get(f"{own}/fans").status_code == 200
    for session, account in ((limited, other), (stranger, console.caller.account)):
        for path in ("/fans", "/lists", f"/lists/{vip}", "/lists/fans", "/engagement"):
            answer = session.get(f"/console/accounts/{account}{path}")
            assert answer.status_code == 404, (account, path)
            assert "zed" not in answer.text and "alice" not in answer.text
        for path, data in (("/lists", {"name": "Mine"}), (f"/lists/{vip}/members", {"ids": "1"}),
                           (f"/lists/{vip}/members/remove", {"fan_id": "1"})):
            assert session.post(f"/console/accounts/{account}{path}", data).status_code == 404, (account, path)
    assert members(console, vip) == [1]
    assert [v["name"] for v in api(console, "GET", "/user-lists", params={"limit": 50})["data"]
            if v["type"] == "custom"] == ["VIP"]
