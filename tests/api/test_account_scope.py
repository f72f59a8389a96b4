"""A key limited to account A learns nothing about account B: every endpoint answers 404."""

from __future__ import annotations

import pytest

from tests.api.routes import account_routes


@pytest.fixture
def scoped(world):
    team = world.team()
    a = world.account(team, "A")
    b = world.account(team, "B")
    other_team = world.team()
    c = world.account(other_team, "C")
    key = world.key(team, [a])
    return {"headers": {"Authorization": f"Bearer {key}"}, "a": a, "b": b, "c": c}


@pytest.mark.parametrize(("method", "path"), account_routes())
def test_every_account_endpoint_hides_other_accounts(client, scoped, method, path):
    bodies = []
    for account in (scoped["b"], scoped["c"], "acct_" + "0" * 32):
        response = client.request(method, path.format(account=account), headers=scoped["headers"], json={})
        assert response.status_code == 404, (method, path, response.text)
        body = response.json()
        assert body["error"] == "NOT_FOUND"
        bodies.append(body["message"].replace(account, "<account>"))
    # another team's account, a sibling account and a made-up one are indistinguishable
    assert len(set(bodies)) == 1


@pytest.mark.parametrize(("method", "path"), account_routes())
def test_the_allowed_account_is_reachable(client, scoped, method, path):
    response = client.request(method, path.format(account=scoped["a"]), headers=scoped["headers"], json={})
    assert response.status_code != 404 or "was not found" in response.json()["message"]
    assert scoped["a"] not in response.json().get("message", "")
