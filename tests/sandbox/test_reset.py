"""Reset: a team's sandbox data back to empty in one call, keys, accounts and other teams untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import LargeBinary

from massdm.api.state import state_of
from massdm.store import tables, team_state
from massdm.store.team_state import Target
from tests.sandbox.test_snapshots import add_fans, build_state, get, queue_window, read_everything, settings  # noqa: F401


def test_every_table_is_classified_once():
    names = team_state.classified()
    assert sorted(names) == sorted(set(names)), "a table is in two classes of store/team_state.py"
    unknown = set(tables.metadata.tables) - set(names)
    assert not unknown, f"classify {sorted(unknown)} in massdm/store/team_state.py (data, derived, kept or store-wide)"
    assert not set(names) - set(tables.metadata.tables), "store/team_state.py names a table that is gone"
    for name in (name for name, data in team_state.DATA.items() if data.saved):  # a snapshot holds rows as JSON
        assert not any(isinstance(c.type, LargeBinary) for c in tables.metadata.tables[name].columns), name


def test_every_table_referring_to_team_data_is_team_data_itself():
    """So deleting the data tables children first leaves no cascade anything to do (store.team_state.skip_cascades)."""
    owned = set(team_state.DATA) | set(team_state.DERIVED)
    for table in tables.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name in team_state.DATA:
                assert table.name in owned, (table.name, key.column.table.name)


def test_the_registry_check_can_fail(monkeypatch):
    monkeypatch.delitem(team_state.DATA, "fans")
    with pytest.raises(AssertionError, match="fans"):
        test_every_table_is_classified_once()


def test_a_whole_team_reset_empties_every_listing_and_keeps_keys_and_other_teams(client, caller, world, receiver):
    other = world.caller()
    add_fans(client, other, 30)
    theirs = read_everything(client, other)
    build_state(client, caller, world, receiver, fans=3000)
    assert get(client, caller, "/fans/all")["data"]["list"]
    client.post("/sandbox/v1/clock", headers=caller.headers, json={"frozen": True})

    response = client.post("/sandbox/v1/reset", headers=caller.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["team"] is True and body["accounts"] == [caller.account]
    assert body["deleted"]["fans"] == 3003 and body["deleted"]["webhooks"] == 1

    for path in ("/fans/all", "/fans/active", "/fans/expired", "/media/vault", "/media/vault/lists",
                 "/saved-for-later/messages", "/queue" + queue_window(client, caller), "/mass-messaging",
                 "/engagement/messages/mass-messages", "/mass-messaging/overview"):
        data = get(client, caller, path)["data"]
        listed = data if isinstance(data, list) else data.get("list", data.get("items"))
        assert listed == [], (path, data)
    lists = get(client, caller, "/user-lists?limit=50")["data"]
    assert [item for item in lists if item["type"] == "custom"] == []
    assert all(item["usersCount"] == 0 for item in lists), lists
    counts = get(client, caller, "/queue/counts" + queue_window(client, caller))["data"]
    assert not any(counts.values()), counts
    assert client.get("/api/webhooks", headers=caller.headers).json()["data"] == []
    assert client.get("/api/whoami", headers=caller.headers).status_code == 200  # the key survived
    clock = client.get("/sandbox/v1/clock", headers=caller.headers).json()
    assert clock["frozen"] is False
    assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
    theirs.pop("/sandbox/v1/clock")  # the one clock, which this reset set running
    assert {k: v for k, v in read_everything(client, other).items() if k != "/sandbox/v1/clock"} == theirs

    add_fans(client, caller, 120)  # the tallies start again from nothing, and pages seek right
    fans = get(client, caller, "/fans/all?limit=50&offset=100")["data"]
    assert [f["id"] for f in fans["list"]] == list(range(20, 0, -1))
    counts = {i["id"]: i["usersCount"] for i in get(client, caller, "/user-lists?limit=50")["data"]}
    assert counts["fans"] == 120


def test_pages_walked_before_a_reset_do_not_serve_stale_positions_after(client, caller):
    add_fans(client, caller, 9000)
    for offset in range(0, 9000, 4500):
        get(client, caller, f"/fans/all?limit=10&offset={offset}")  # marks laid along the way
    client.post("/sandbox/v1/reset", headers=caller.headers, json={"account": caller.account})
    add_fans(client, caller, 9000, first=100_001)
    page = get(client, caller, "/fans/all?limit=10&offset=4500")["data"]["list"]
    assert [f["id"] for f in page] == list(range(104_500, 104_490, -1))


def test_a_limited_key_resets_only_its_accounts(client, caller, world, receiver):
    second = world.account(caller.team, "Second")
    limited = world.key(caller.team, [second])
    headers = {"Authorization": f"Bearer {limited}"}
    build_state(client, caller, world, receiver, fans=20)
    add_fans(client, caller, 10, account=second)
    mine = read_everything(client, caller)

    refused = client.post("/sandbox/v1/reset", headers=headers, json={"account": caller.account})
    assert refused.status_code == 404, refused.text
    assert refused.json()["error"] == "NOT_FOUND" and refused.json()["message"]
    response = client.post("/sandbox/v1/reset", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["accounts"] == [second] and response.json()["team"] is False
    assert get(client, caller, "/fans/all", account=second)["data"]["list"] == []
    assert read_everything(client, caller) == mine  # the other account and the team's webhooks stay


def test_resetting_one_account_leaves_the_others(client, caller, world, receiver):
    second = world.account(caller.team, "Second")
    add_fans(client, caller, 10, account=second)
    build_state(client, caller, world, receiver, fans=10)
    before = get(client, caller, "/fans/all", account=second)["data"]
    response = client.post("/sandbox/v1/reset", headers=caller.headers, json={"account": caller.account})
    assert response.status_code == 200 and response.json()["team"] is False
    assert get(client, caller, "/fans/all")["data"]["list"] == []
    assert get(client, caller, "/fans/all", account=second)["data"] == before
    assert len(client.get("/api/webhooks", headers=caller.headers).json()["data"]) == 1


@pytest.mark.parametrize("body", [{"account": 1}, {"extra": 1}, {"account": "acct_nope"}])
def test_bad_reset_bodies(client, caller, body):
    response = client.post("/sandbox/v1/reset", headers=caller.headers, json=body)
    assert response.status_code in (404, 422), response.text
    assert response.json()["error"] in ("NOT_FOUND", "VALIDATION_ERROR") and response.json()["message"]


def test_the_store_resets_a_target_set_based(app, caller):
    engine = state_of(app).engine
    from massdm.store.db import transaction
    with transaction(engine) as connection:
        deleted = team_state.delete_rows(connection, Target(caller.team.id, (caller.account,), whole=True))
    assert set(deleted) == set(team_state.DATA)


def _listed_messages(client, caller) -> list[dict]:
    data = get(client, caller, "/mass-messaging")["data"]
    return data if isinstance(data, list) else data.get("list", data.get("items"))


@pytest.mark.parametrize("control", ["reset", "restore"])
def test_an_idempotency_key_runs_again_after_a_whole_team_reset_or_restore(client, caller, control):
    """A suite reusing a literal Idempotency-Key in two tests, resetting between them, gets a new message
    in the second, not the first test's stored response (whose message the reset removed)."""
    if control == "restore":
        assert client.post("/sandbox/v1/snapshots", headers=caller.headers, json={"name": "empty"}).status_code == 201
    add_fans(client, caller, 3)
    url, body = f"/api/{caller.account}/mass-messaging", {"text": "hello", "userLists": ["fans"]}
    headers = {**caller.headers, "Idempotency-Key": "test-send-1"}
    first = client.post(url, headers=headers, json=body)
    assert first.status_code == 200, first.text
    replay = client.post(url, headers=headers, json=body)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == first.content

    path = "/sandbox/v1/reset" if control == "reset" else "/sandbox/v1/snapshots/empty/restore"
    assert client.post(path, headers=caller.headers).status_code == 200
    assert _listed_messages(client, caller) == []
    add_fans(client, caller, 3)
    again = client.post(url, headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    assert [m["id"] for m in _listed_messages(client, caller)] == [again.json()["data"]["id"]]
    once_more = client.post(url, headers=headers, json=body)  # and the new answer is the one kept
    assert once_more.headers.get("idempotent-replayed") == "true" and once_more.content == again.content


def test_a_limited_keys_reset_keeps_the_teams_idempotency_keys(client, caller, world):
    limited = {"Authorization": f"Bearer {world.key(caller.team, [world.account(caller.team, 'Second')])}"}
    add_fans(client, caller, 3)
    url, body = f"/api/{caller.account}/mass-messaging", {"text": "hello", "userLists": ["fans"]}
    headers = {**caller.headers, "Idempotency-Key": "kept"}
    first = client.post(url, headers=headers, json=body)
    assert client.post("/sandbox/v1/reset", headers=limited).status_code == 200
    replay = client.post(url, headers=headers, json=body)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == first.content
