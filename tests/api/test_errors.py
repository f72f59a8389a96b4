"""Malformed input of every kind gets a 4xx in the contract's shape, never a 500 or a framework body."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker


def _assert_contract_error(response, status: int) -> dict:
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

    fits = not isinstance(name, int) or abs(name) < 10**300
    raw = json.dumps({"name": name}) if fits else '{"name": ' + "9" * 400 + "}"
    response = client.post(
        f"/api/{caller.account}/user-lists",
        headers={**caller.headers, "Content-Type": "application/json"},
        content=raw.encode(),
    )
    body = _assert_contract_error(response, 422)
    assert "name" in body["errors"] or "body" in body["errors"], body


@pytest.mark.parametrize(
    "name", ["emoji 💌 list", "日本語のリスト", "Ünïcödé", "<script>alert(1)</script>", "'; DROP TABLE fans;--"]
)
def test_unicode_and_hostile_text_round_trips(client, caller, name):
    created = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": name})
    assert created.status_code == 200
    list_id = created.json()["data"]["id"]
    read = client.get(f"/api/{caller.account}/user-lists/{list_id}", headers=caller.headers)
    assert read.json()["data"]["name"] == name


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


# --- JSON nested past the limit (massdm/domain/json_body.py) ---------------------------------------

TOO_DEEP = "The JSON body is nested too deeply: at most 64 levels of arrays and objects are accepted."
# Every JSON route, both kinds: bodies read by massdm (send, upload) and bodies FastAPI parses.
JSON_ROUTES = [
    ("POST", "/api/{account}/mass-messaging"),
    ("POST", "/api/{account}/media/upload"),
    ("POST", "/api/{account}/user-lists"),
    ("POST", "/api/{account}/fans"),
    ("PUT", "/api/{account}/mass-messaging/1"),
    ("POST", "/api/webhooks"),
]


def _deep(levels: int, shape: str) -> bytes:
    if shape == "array":
        return b"[" * levels + b"]" * levels
    return b'{"text": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("levels", [100, 1_200])  # past the limit; past Python's own recursion limit
@pytest.mark.parametrize("shape", ["array", "object"])
@pytest.mark.parametrize("idempotency_key", [None, "deep-1"])
def test_json_nested_too_deeply_is_the_same_422_on_every_route(client, caller, method, path, levels, shape,
                                                                idempotency_key):
    headers = {**caller.headers, "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = f"{idempotency_key}-{method}-{path}-{levels}-{shape}"
    response = client.request(method, path.format(account=caller.account), headers=headers,
                              content=_deep(levels, shape))
    body = _assert_contract_error(response, 422)
    assert body["error"] == "VALIDATION_ERROR"
    assert body["errors"] == {"body": [TOO_DEEP]}
    assert body["message"] == TOO_DEEP
    # The server and its database connections are fine afterwards.
    created = client.post(f"/api/{caller.account}/user-lists", headers=caller.headers, json={"name": "after"})
    assert created.status_code == 200, created.text
    assert created.json()["data"]["name"] == "after"


def test_a_deep_body_with_an_idempotency_key_is_hashed_by_its_bytes_and_replayed(client, caller):
    headers = {**caller.headers, "Content-Type": "application/json", "Idempotency-Key": "deep-replay"}
    url = f"/api/{caller.account}/mass-messaging"
    first = client.post(url, headers=headers, content=_deep(1_200, "object"))
    again = client.post(url, headers=headers, content=_deep(1_200, "object"))
    other = client.post(url, headers=headers, content=_deep(1_201, "object"))
    assert first.status_code == again.status_code == 422
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["errors"] == {"body": [TOO_DEEP]}
    assert other.json()["error"] == "IDEMPOTENCY_KEY_MISMATCH"  # other bytes: another request


def test_sixty_four_levels_are_only_wrong_in_the_ordinary_way(client, caller):
    body = b'{"name": ' + b"[" * 63 + b"]" * 63 + b"}"
    response = client.post(f"/api/{caller.account}/user-lists",
                           headers={**caller.headers, "Content-Type": "application/json"}, content=body)
    errors = _assert_contract_error(response, 422)["errors"]
    assert list(errors) == ["name"] and "nested" not in errors["name"][0]


@pytest.mark.parametrize("as_multipart", [True, False])
def test_a_form_field_holding_deep_json_is_a_422_naming_it(client, caller, as_multipart):
    fields = {"text": "hello", "userLists": "[" * 5_000 + "]" * 5_000}
    url = f"/api/{caller.account}/mass-messaging"
    if as_multipart:
        response = client.post(url, headers=caller.headers, data=fields, files={"unused": ("a.txt", b"x")})
    else:
        response = client.post(url, headers=caller.headers, data=fields)
    errors = _assert_contract_error(response, 422)["errors"]
    assert list(errors) == ["userLists"]
    assert errors["userLists"][0].startswith("The JSON in the userLists field is nested too deeply")


# --- text no database column can hold: the same answer on SQLite and PostgreSQL ---------------------

MALFORMED_ACCOUNTS = ["acct_%00", "acct_" + "0" * 31 + "%00", "acct_" + "A" * 32, "acct_" + "0" * 33,
                      "acct_%F0%9F%92%8C", "%00"]


@pytest.mark.parametrize("account", MALFORMED_ACCOUNTS)
@pytest.mark.parametrize(("method", "path"), [("GET", "/fans/all"), ("GET", "/mass-messaging/overview"),
                                              ("POST", "/mass-messaging"), ("POST", "/media/upload"),
                                              ("GET", "/user-lists/fans")])
def test_an_account_id_that_cannot_exist_is_simply_not_found(client, caller, account, method, path):
    response = client.request(method, f"/api/{account}{path}", headers=caller.headers,
                              json={"text": "hi", "userLists": ["fans"]} if method == "POST" else None)
    body = _assert_contract_error(response, 404)
    assert body["error"] == "NOT_FOUND" and body["message"].startswith("Account ")
    assert body["_meta"]["_credits"]["used"] == 0


def _integer_id_routes(app) -> list[tuple[str, str, list[str]]]:
    """(method, path, its integer path parameters) of every mounted route under /api that has one,
    read from the app so that a route added later is covered too."""
    found = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        integers = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
        found += [(method, route.path, integers) for method in sorted(route.methods) if integers]
    return found


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-1", str(2**63)])
def test_an_integer_id_in_the_path_that_cannot_exist_is_simply_not_found(app, client, caller, bad_id):
    routes = _integer_id_routes(app)
    assert len(routes) >= 7  # mass-messaging/{id} x3, buyers, vault media, a list's fan, redeliver
    for method, path, integers in routes:
        url = path.format(**{"account": caller.account, "list_id": "1", "webhook_id": "wh_" + "0" * 32,
                             **dict.fromkeys(integers, bad_id)})  # a vault list's list_id is an integer
        response = client.request(method, url, headers=caller.headers, json={} if method in ("POST", "PUT") else None)
        body = _assert_contract_error(response, 404)
        assert body["error"] == "NOT_FOUND" and bad_id in body["message"] and "errors" not in body, (method, path)
        assert body["_meta"]["_credits"]["used"] == 0


def test_a_malformed_account_id_with_a_bad_key_is_still_a_401(client):
    response = client.get("/api/acct_%00/fans/all", headers={"Authorization": "Bearer massdm_nope"})
    assert response.status_code == 401 and response.json()["error"].startswith("Unauthorized.")


def _sent_message(client, caller) -> int:
    assert client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                       json=[{"id": 1, "username": "one"}]).status_code == 200
    sent = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                       json={"text": "Hello there", "userIds": [1]})
    assert sent.status_code == 200, sent.text
    DeliveryWorker(state_of(client.app).engine, state_of(client.app).clock).run_until_idle()
    return sent.json()["data"]["id"]


@pytest.mark.parametrize("path", ["/mass-messaging/overview", "/engagement/messages/mass-messages"])
@pytest.mark.parametrize("query", ["%00", "Hello%00", "%00%00there"])
def test_a_nul_in_the_search_text_is_a_422_not_every_message(client, caller, path, query):
    _sent_message(client, caller)
    found = client.get(f"/api/{caller.account}{path}?query=hello", headers=caller.headers)
    assert [m["text"] for m in found.json()["data"]["items"]] == ["Hello there"]  # the search itself works
    response = client.get(f"/api/{caller.account}{path}?query={query}", headers=caller.headers)
    body = _assert_contract_error(response, 422)
    assert body["errors"] == {"query": ["The query field is invalid: must not contain NUL characters."]}


def test_a_nul_in_skip_users_is_a_422(client, caller):
    message = _sent_message(client, caller)
    response = client.get(f"/api/{caller.account}/engagement/messages/{message}/buyers?skip_users=%00",
                          headers=caller.headers)
    body = _assert_contract_error(response, 422)
    assert list(body["errors"]) == ["skip_users"]


# --- length limits say characters for text and items for lists, under the wire name ----------------

_SEND = "/api/{account}/mass-messaging"
_HOOK = {"endpoint_url": "https://hooks.example.com/x", "events": ["chat_queue.updated"], "account_scope": "global"}


@pytest.mark.parametrize(("method", "path", "body", "field", "message"), [
    ("POST", _SEND, {"text": "x" * 20_001, "userLists": ["fans"]}, "text",
     "The text field must be at most 20,000 characters long (it has 20,001)."),
    ("POST", _SEND, {"text": "", "userLists": ["fans"]}, "text", "The text field must not be empty."),
    ("POST", _SEND, {"text": "hi", "userLists": ["x" * 101]}, "userLists.0",
     "The userLists.0 field must be at most 100 characters long (it has 101)."),
    ("POST", _SEND, {"text": "hi", "userLists": ["fans"] * 1_001}, "userLists",
     "The userLists field must have at most 1,000 items (it has 1,001)."),
    ("POST", _SEND, {"text": "hi", "userLists": ["fans"], "excludedLists": [""]}, "excludedLists.0",
     "The excludedLists.0 field must not be empty."),
    ("POST", _SEND, {"text": "hi", "userLists": ["fans"], "mediaFiles": [1] * 101}, "mediaFiles",
     "The mediaFiles field must have at most 100 items (it has 101)."),
    ("POST", _SEND, {"text": "hi", "userLists": ["fans"], "giphyId": "g" * 201}, "giphyId",
     "The giphyId field must be at most 200 characters long (it has 201)."),
    ("PUT", _SEND + "/1", {"text": "x" * 20_001}, "text",
     "The text field must be at most 20,000 characters long (it has 20,001)."),
    ("POST", "/api/{account}/user-lists", {"name": "n" * 65}, "name",
     "The name field must be at most 64 characters long (it has 65)."),
    ("POST", "/api/{account}/user-lists/1/users", {"ids": []}, "ids", "The ids field must not be empty."),
    ("POST", "/api/{account}/user-lists/1/users", {"ids": [1] * 10_001}, "ids",
     "The ids field must have at most 10,000 items (it has 10,001)."),
    ("POST", "/api/{account}/fans", [{"id": 1, "username": "u" * 201}], "0.username",
     "The 0.username field must be at most 200 characters long (it has 201)."),
    ("POST", "/api/{account}/fans", [{"id": i, "username": "u"} for i in range(1, 10_002)], "body",
     "The body field must have at most 10,000 items (it has 10,001)."),
    ("POST", "/api/webhooks", {**_HOOK, "endpoint_url": "https://h.example.com/" + "p" * 2_000}, "endpoint_url",
     "The endpoint_url field must be at most 2,000 characters long (it has 2,022)."),
    ("POST", "/api/webhooks", {**_HOOK, "events": ["e" * 101]}, "events.0",
     "The events.0 field must be at most 100 characters long (it has 101)."),
    ("POST", "/api/webhooks", {**_HOOK, "events": ["chat_queue.updated"] * 51}, "events",
     "The events field must have at most 50 items (it has 51)."),
    ("POST", "/api/webhooks", {**_HOOK, "signing_secret": "s" * 501}, "signing_secret",
     "The signing_secret field must be at most 500 characters long (it has 501)."),
    ("POST", "/api/webhooks", {**_HOOK, "account_ids": ["a" * 65]}, "account_ids.0",
     "The account_ids.0 field must be at most 64 characters long (it has 65)."),
])
def test_a_length_limit_names_the_field_and_the_unit(client, caller, method, path, body, field, message):
    response = client.request(method, path.format(account=caller.account), headers=caller.headers, json=body)
    errors = _assert_contract_error(response, 422)["errors"]
    assert errors == {field: [message]}


@pytest.mark.parametrize(("path", "field", "limit"), [
    ("/fans/all?query=", "query", 200), ("/mass-messaging/overview?query=", "query", 200),
    ("/engagement/messages/mass-messages?query=", "query", 200),
    ("/engagement/messages/1/buyers?skip_users=", "skip_users", 20),
])
def test_a_too_long_query_parameter_is_counted_in_characters(client, caller, path, field, limit):
    response = client.get(f"/api/{caller.account}{path}{'é' * (limit + 1)}", headers=caller.headers)
    errors = _assert_contract_error(response, 422)["errors"]
    assert errors == {field: [f"The {field} field must be at most {limit} characters long (it has {limit + 1})."]}


def test_a_union_branch_is_not_part_of_the_field_name(client, caller):
    response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                           json={"text": "hi", "userLists": ["fans"], "userIds": [1.5]})
    errors = _assert_contract_error(response, 422)["errors"]
    assert list(errors) == ["userIds.0"]
