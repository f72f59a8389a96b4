"""Keys, accounts and who may see what."""

from __future__ import annotations

import re

from sqlalchemy import select

from massdm.api.state import state_of
from massdm.store.tables import api_keys


def test_whoami_names_the_key_and_team(client, world):
    team = world.team()
    key = world.key(team, name="ops key")
    response = client.get("/api/whoami", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    body = response.json()
    assert body["api_key"]["name"] == "ops key"
    assert body["team"] == {"name": team.name, "slug": team.slug}
    assert "_meta" not in body  # bare shape
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", body["api_key"]["created_at"])


def test_whoami_reports_when_the_key_was_last_used(client, caller, clock):
    first = client.get("/api/whoami", headers=caller.headers).json()
    assert first["api_key"]["last_used_at"] is None  # the current call is not "last use" yet
    second = client.get("/api/whoami", headers=caller.headers).json()
    assert second["api_key"]["last_used_at"] is not None


def test_accounts_is_a_bare_array_of_the_keys_accounts(client, world):
    team = world.team()
    a = world.account(team, "Alice")
    b = world.account(team, "Bob")
    everything = world.key(team)
    only_a = world.key(team, [a])

    listed = client.get("/api/accounts", headers={"Authorization": f"Bearer {everything}"}).json()
    assert sorted(x["id"] for x in listed) == sorted([a, b])
    assert {x["id"]: x["display_name"] for x in listed}[a] == "Alice"
    assert all(re.fullmatch(r"acct_[0-9a-f]{32}", x["id"]) for x in listed)

    limited = client.get("/api/accounts", headers={"Authorization": f"Bearer {only_a}"}).json()
    assert [x["id"] for x in limited] == [a]


def test_missing_or_bad_key_gets_the_contract_401(client, caller):
    expected = {"error": "Unauthorized. Go to http://massdm.test/api-keys to get your API key."}
    bad = ({}, {"Authorization": "Bearer nope"}, {"Authorization": caller.api_key}, {"Authorization": "Basic x"})
    for headers in bad:
        for path in ("/api/whoami", "/api/accounts", f"/api/{caller.account}/fans/all", "/api/anything/unknown"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.json() == expected


def test_keys_are_stored_only_as_hashes(client, world, app):
    team = world.team()
    key = world.key(team)
    assert key.startswith("massdm_") and len(key) >= len("massdm_") + 40
    assert re.fullmatch(r"massdm_[A-Za-z0-9_-]+", key)
    with state_of(app).engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(select(api_keys))]
    assert rows, "the key should be in the table"
    for row in rows:
        for value in row.values():
            assert key not in str(value)
        assert re.fullmatch(r"[0-9a-f]{64}", row["key_hash"])


def test_keys_are_random(world):
    team = world.team()
    assert len({world.key(team) for _ in range(20)}) == 20
