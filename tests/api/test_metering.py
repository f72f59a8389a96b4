"""Envelope, credits and rate limits, as a caller sees them."""

from __future__ import annotations

import pytest

from massdm.api.state import state_of
from massdm.services.accounts import create_api_key
from massdm.store.db import transaction
from tests.api.routes import account_routes

ENVELOPED_GETS = [
    "/api/{account}/fans/all",
    "/api/{account}/fans/active",
    "/api/{account}/fans/expired",
    "/api/{account}/user-lists",
    "/api/{account}/user-lists/fans",
    "/api/{account}/user-lists/fans/users",
]


def _balance(body: dict) -> int:
    return body["_meta"]["_credits"]["balance"]


@pytest.mark.parametrize("path", ENVELOPED_GETS)
def test_every_enveloped_endpoint_carries_meta(client, caller, path):
    body = client.get(path.format(account=caller.account), headers=caller.headers).json()
    assert set(body) >= {"data", "_meta"}
    meta = body["_meta"]
    assert meta["_credits"] == {"used": 1, "balance": meta["_credits"]["balance"], "note": "Always"}
    assert meta["_cache"] == {"is_cached": False, "note": "Cache disabled for this endpoint"}
    limits = meta["_rate_limits"]
    assert limits["limit_minute"] == 1000 and limits["limit_day"] == 50_000
    assert limits["remaining_minute"] == 999 and limits["remaining_day"] == 49_999
    assert "notice" not in limits


def test_fresh_true_is_accepted(client, caller):
    response = client.get(f"/api/{caller.account}/fans/all?fresh=true", headers=caller.headers)
    assert response.status_code == 200
    assert response.json()["_meta"]["_cache"]["is_cached"] is False


def test_each_metered_call_costs_exactly_one_credit_and_errors_cost_nothing(client, world):
    caller = world.caller(credits=100)
    path = f"/api/{caller.account}/user-lists"
    balances = [_balance(client.get(path, headers=caller.headers).json()) for _ in range(5)]
    assert balances == [99, 98, 97, 96, 95]

    invalid = client.get(f"{path}?limit=5", headers=caller.headers)  # below the 10 minimum
    assert invalid.status_code == 422
    assert invalid.json()["_meta"]["_credits"] == {"used": 0, "balance": 95, "note": "Always"}
    bad_body = client.post(path, headers=caller.headers, json={"name": ""})
    assert bad_body.status_code == 422
    unknown = client.get(f"{path}/999999", headers=caller.headers)
    assert unknown.status_code == 404
    assert unknown.json()["_meta"]["_credits"]["used"] == 0

    assert _balance(client.get(path, headers=caller.headers).json()) == 94


def test_failed_write_is_rolled_back_with_its_charge(client, world):
    caller = world.caller(credits=10)
    path = f"/api/{caller.account}/user-lists"
    created = client.post(path, headers=caller.headers, json={"name": "VIP"}).json()["data"]
    response = client.post(f"{path}/{created['id']}/users", headers=caller.headers, json={"ids": [424242]})
    assert response.status_code == 422
    after = client.get(f"{path}/{created['id']}", headers=caller.headers).json()
    assert after["data"]["usersCount"] == 0
    assert _balance(after) == 8  # create + get; the failed add cost nothing


def test_free_endpoints_do_not_touch_credits(client, world):
    caller = world.caller(credits=3)
    for _ in range(5):
        assert client.get("/api/whoami", headers=caller.headers).status_code == 200
        assert client.get("/api/accounts", headers=caller.headers).status_code == 200
    assert _balance(client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()) == 2


def test_zero_balance_gets_402_with_the_contract_body(client, world):
    caller = world.caller(credits=1)
    path = f"/api/{caller.account}/fans/all"
    assert _balance(client.get(path, headers=caller.headers).json()) == 0
    response = client.get(path, headers=caller.headers)
    assert response.status_code == 402
    body = response.json()
    assert list(body) == ["message"]
    assert body["message"].startswith("Insufficient credits")
    # free endpoints keep working
    assert client.get("/api/whoami", headers=caller.headers).status_code == 200


@pytest.mark.parametrize(("method", "path"), account_routes(metered_only=True))
def test_every_metered_endpoint_refuses_at_zero_balance(client, world, method, path):
    caller = world.caller(credits=0)
    response = client.request(method, path.format(account=caller.account), headers=caller.headers, json={})
    assert response.status_code == 402, response.text
    assert response.json()["message"].startswith("Insufficient credits")


def test_rate_limit_trips_exactly_at_request_1001(client, world):
    caller = world.caller(limit_minute=1000)
    statuses = [client.get("/api/whoami", headers=caller.headers).status_code for _ in range(1000)]
    assert statuses == [200] * 1000
    response = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    body = response.json()
    assert body["error"] == "RATE_LIMIT_EXCEEDED"
    assert body["_meta"]["_rate_limits"]["remaining_minute"] == 0
    assert body["_meta"]["_credits"]["used"] == 0


def test_rate_limits_are_per_key(client, world):
    team = world.team()
    account = world.account(team)
    small = world.key(team, limit_minute=3)
    other = world.key(team, limit_minute=3)
    for _ in range(3):
        assert client.get("/api/whoami", headers={"Authorization": f"Bearer {small}"}).status_code == 200
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {small}"}).status_code == 429
    ok = client.get(f"/api/{account}/fans/all", headers={"Authorization": f"Bearer {other}"})
    assert ok.status_code == 200
    assert ok.json()["_meta"]["_rate_limits"]["remaining_minute"] == 2


def test_daily_limit_counts_and_trips(client, world):
    caller = world.caller(limit_minute=100, limit_day=4)
    path = f"/api/{caller.account}/fans/all"
    answers = [client.get(path, headers=caller.headers) for _ in range(4)]
    remaining = [answer.json()["_meta"]["_rate_limits"]["remaining_day"] for answer in answers]
    assert remaining == [3, 2, 1, 0]
    response = client.get(path, headers=caller.headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 60  # the day window, not the minute one


def test_plan_without_daily_limit_reports_null_and_a_notice(client, world):
    caller = world.caller(limit_day=None)
    limits = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers).json()["_meta"]["_rate_limits"]
    assert limits["limit_day"] is None and limits["remaining_day"] is None
    assert "no daily" in limits["notice"]


def test_every_enveloped_write_charges_one_credit_and_carries_meta(client, world):
    caller = world.caller(credits=1000)
    base = f"/api/{caller.account}"
    h = caller.headers
    steps = [
        ("POST", "/fans", [{"id": 1, "username": "a"}, {"id": 2, "username": "b"}]),
        ("POST", "/user-lists", {"name": "VIP"}),
        ("PUT", "/user-lists/{id}", {"name": "VIP 2"}),
        ("POST", "/user-lists/{id}/users", {"ids": [1, 2]}),
        ("DELETE", "/user-lists/{id}/users/1", None),
        ("DELETE", "/user-lists/{id}/users", None),
        ("DELETE", "/user-lists/{id}", None),
    ]
    balance = 1000
    list_id = None
    for method, path, body in steps:
        response = client.request(method, base + path.format(id=list_id), headers=h, json=body)
        assert response.status_code == 200, (method, path, response.text)
        payload = response.json()
        balance -= 1
        assert payload["_meta"]["_credits"] == {"used": 1, "balance": balance, "note": "Always"}, (method, path)
        assert payload["_meta"]["_cache"]["is_cached"] is False
        if path == "/user-lists" and method == "POST":
            list_id = payload["data"]["id"]


def _error_meta(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"error", "message", "description", "_meta"} <= set(body), body
    return body["_meta"]


@pytest.mark.parametrize(("method", "path", "status", "note"), [
    ("GET", "/api/nothing/here", 404, "Always"),
    ("GET", "/api/{account}/no-such-resource", 404, "Always"),
    ("PATCH", "/api/{account}/fans/all", 405, "Always"),
    ("PUT", "/api/{account}/mass-messaging", 405, "Always"),
    ("DELETE", "/api/whoami", 405, "Free endpoint"),
    ("PATCH", "/api/webhooks", 405, "Free endpoint"),
])
def test_a_request_no_route_takes_is_counted_and_its_error_carries_meta(client, world, method, path, status, note):
    caller = world.caller(credits=7)
    url = path.format(account=caller.account)
    meta = _error_meta(client.request(method, url, headers=caller.headers), status)
    assert meta["_credits"] == {"used": 0, "balance": 7, "note": note}
    assert meta["_cache"] == {"is_cached": False, "note": "Cache disabled for this endpoint"}
    assert meta["_rate_limits"]["remaining_minute"] == 999  # an authenticated request like any other
    assert _error_meta(client.request(method, url, headers=caller.headers), status)["_rate_limits"][
        "remaining_minute"] == 998


def test_a_request_no_route_takes_still_needs_a_key_and_keeps_to_the_rate_limit(client, world):
    response = client.patch("/api/whoami", headers={"Authorization": "Bearer massdm_nope"})
    assert response.status_code == 401 and list(response.json()) == ["error"]
    caller = world.caller(limit_minute=1)
    assert client.get("/api/nothing/here", headers=caller.headers).status_code == 404
    limited = client.get("/api/nothing/here", headers=caller.headers)
    meta = _error_meta(limited, 429)
    assert limited.json()["error"] == "RATE_LIMIT_EXCEEDED" and meta["_rate_limits"]["remaining_minute"] == 0


def _fan_key(app, caller) -> dict[str, str]:
    with transaction(state_of(app).engine) as connection:
        issued = create_api_key(connection, team=caller.team, name="fan app", account_ids=[], limit_minute=1000,
                                limit_day=None, now=state_of(app).clock.now(), scopes=frozenset({"fan"}))
    return {"Authorization": f"Bearer {issued.api_key}"}


NO_HOOK = "/api/webhooks/wh_" + "0" * 32


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), [
    ("GET", NO_HOOK, {}, None, 404),
    ("DELETE", NO_HOOK, {}, None, 404),
    ("POST", f"{NO_HOOK}/deliveries/1/redeliver", {}, None, 404),
    ("POST", "/api/webhooks", {}, {"events": []}, 422),
    ("POST", "/api/webhooks", {"Idempotency-Key": ""}, {}, 400),  # answered before routing
    ("POST", "/api/webhooks", {"Content-Length": "999999999"}, {}, 413),  # refused before the body is read
    ("GET", "/fan/v1/1/messages/999999", "fan", None, 404),
])
def test_errors_of_free_endpoints_say_free_endpoint(client, app, world, method, path, headers, body, status):
    caller = world.caller(credits=5)
    sent = _fan_key(app, caller) if headers == "fan" else {**caller.headers, **headers}
    response = client.request(method, path, headers=sent, json=body)
    assert _error_meta(response, status)["_credits"] == {"used": 0, "balance": 5, "note": "Free endpoint"}


def test_a_rate_limited_free_call_says_free_endpoint(client, world):
    caller = world.caller(credits=5, limit_minute=1)
    assert client.get("/api/whoami", headers=caller.headers).status_code == 200
    meta = _error_meta(client.get("/api/whoami", headers=caller.headers), 429)
    assert meta["_credits"] == {"used": 0, "balance": 5, "note": "Free endpoint"}
