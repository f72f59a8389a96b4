"""Malformed input of every kind gets a 4xx in the contract's shape, never a 500 or a framework body."""

from __future__ import annotations

import pytest


def _assert_contract_error(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {"error", "message", "description"} <= set(body), body
    assert isinstance(body["message"], str) and body["message"]
    assert "detail" not in body  # FastAPI's default shape never leaks
    return body


def test_unknown_route_with_a_key_is_a_json_404(client, caller):
    body = _assert_contract_error(client.get("/api/nothing/here/at/all", headers=caller.headers), 404)
    assert body["error"] == "NOT_FOUND"
    assert "/api/nothing/here/at/all" in body["message"]


def test_unknown_route_outside_api_is_a_json_404(client):
    body = _assert_contract_error(client.get("/nope"), 404)
    assert body["error"] == "NOT_FOUND"


def test_wrong_method_is_a_json_405(client, caller):
    body = _assert_contract_error(client.patch(f"/api/{caller.account}/fans/all", headers=caller.headers), 405)
    assert body["error"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "content",
    [b"{bad json", b"", b"null", b"[]", b'"text"', b"123", b"{\"name\": }", b"\xff\xfe\x00garbage"],
)
def test_unparseable_bodies_are_a_422(client, caller, content):
    response = client.post(
        f"/api/{caller.account}/user-lists",
        headers={**caller.headers, "Content-Type": "application/json"},
        content=content,
    )
    body = _assert_contract_error(response, 422)
    assert body["error"] == "VALIDATION_ERROR"
    assert body["errors"], body


@pytest.mark.parametrize(
    "name",
    [None, 5, 1.5, True, [], {}, "", " ", "x" * 65, "a\u0000b", "\ud800", 10**400],
)
def test_wrong_types_and_strange_values_are_a_422_naming_the_field(client, caller, name):
    import json

    raw = json.dumps({"name": name}) if not isinstance(name, int) or abs(name) < 10**300 else '{"name": ' + "9" * 400 + "}"
    response = client.post(
        f"/api/{caller.account}/user-lists",
        headers={**caller.headers, "Content-Type": "application/json"},
        content=raw.encode(),
    )
    body = _assert_contract_error(response, 422)
    assert "name" in body["errors"] or "body" in body["errors"], body


@pytest.mark.parametrize("name", ["emoji 💌 list", "日本語のリスト", "Ünïcödé", "<script>alert(1)</script>", "'; DROP TABLE fans;--"])
def test_unicode_and_hostile_text_round_trips(client, caller, name):
    created = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": name})
    assert created.status_code == 200
    list_id = created.json()["data"]["id"]
    assert client.get(f"/api/{caller.account}/user-lists/{list_id}", headers=caller.headers).json()["data"]["name"] == name


@pytest.mark.parametrize(
    "path",
    [
        "/fans/all?limit=99999999999999999999999999",
        "/fans/all?offset=1e309",
        "/fans/all?query=%00",
        "/fans/all?query=" + "q" * 5000,
        "/user-lists/99999999999999999999999999999",
        "/user-lists/1/users/99999999999999999999999999",
        "/user-lists/%F0%9F%92%8C",
    ],
)
def test_huge_numbers_and_odd_paths_never_500(client, caller, path):
    response = client.get(f"/api/{caller.account}{path}", headers=caller.headers)
    assert 400 <= response.status_code < 500, response.text
    _assert_contract_error(response, response.status_code)


def test_huge_account_id_is_just_not_found(client, caller):
    _assert_contract_error(client.get(f"/api/{'a' * 5000}/fans/all", headers=caller.headers), 404)
