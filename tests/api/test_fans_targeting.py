"""Fan targeting: `filter[...]` and `type` on GET /fans/all|active|expired, as the official SDK sends them."""

from __future__ import annotations

from datetime import timedelta

import pytest


def _iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def fans(client, caller, clock):
    now = clock.now()
    body = [
        {"id": 1, "username": "alice", "subscribedAt": _iso(now - timedelta(days=3))},
        {"id": 2, "username": "bob", "subscribedAt": _iso(now - timedelta(days=2))},
    ]
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers, json=body)
    assert response.status_code == 200, response.text
    return body


def test_a_filter_is_never_silently_ignored(client, caller, fans):
    """Nobody has spent anything: a minimum spend of $100 matches no one (it used to list everyone)."""
    response = client.get(f"/api/{caller.account}/fans/all?filter[total_spent]=100", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["list"] == []
