"""Idempotency-Key on POSTs (CONTRACT.md §8): replay, mismatch, scoping, invalid keys, in flight, 429s."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from massdm.api.state import state_of
from massdm.domain import idempotency as rules
from massdm.domain.api_keys import hash_api_key
from massdm.domain.idempotency import json_body_hash, scope_hash
from massdm.services import idempotency as idempotency_service
from massdm.store import teams as team_store
from massdm.store.db import transaction
from massdm.store.tables import api_keys

SEND = {"text": "Hello everyone", "userLists": ["fans"]}


def _add_fans(client, caller, account: str | None = None, ids=(1, 2, 3)) -> None:
    fans = [{"id": i, "username": f"fan{i}"} for i in ids]
    response = client.post(f"/api/{account or caller.account}/fans", headers=caller.headers, json=fans)
    assert response.status_code == 200, response.text


@pytest.fixture
def account(client, caller):
    _add_fans(client, caller)
    return caller


def _send(client, caller, key: str | None, body=SEND, account: str | None = None, headers=None):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/{account or caller.account}/mass-messaging",
                       headers={**(headers or caller.headers), **extra}, json=body)


def _messages(client, caller, account: str | None = None) -> list[int]:
    response = client.get(f"/api/{account or caller.account}/mass-messaging", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["data"]]


def _balance(world, caller) -> int:
    with world.engine.connect() as connection:
        return team_store.get_balance(connection, caller.team.id)


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"] and body["description"]
    return body


def test_a_repeat_replays_the_first_response_for_free_and_sends_nothing_new(client, world, account):
    first = _send(client, account, "send-1")
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    assert first.json()["_meta"]["_credits"]["used"] == 1
    balance = _balance(world, account)
    assert first.json()["_meta"]["_credits"]["balance"] == balance

    for _ in range(2):
        again = _send(client, account, "send-1")
        assert again.status_code == 200, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()  # its `_meta` too: the first answer as it was
    assert _balance(world, account) == balance
    assert _messages(client, account) == [first.json()["data"]["id"]]

    fresh = _send(client, account, "send-2")
    assert fresh.status_code == 200 and fresh.json()["data"]["id"] != first.json()["data"]["id"]
    assert _balance(world, account) == balance - 2  # the new send, and the queue listing above


def test_a_replay_is_the_first_answers_exact_bytes(client, account):
    """The stored answer goes back untouched: same bytes (rendering, `_meta`, non-ASCII text) and
    the same headers, plus `Idempotent-Replayed`."""
    answers = {
        "sent": (f"/api/{account.account}/mass-messaging", SEND),
        "refused": (f"/api/{account.account}/mass-messaging", {**SEND, "userLists": [], "userIds": [9]}),  # a 422
        "named": (f"/api/{account.account}/user-lists", {"name": "Vîp 💋"}),  # echoed as UTF-8, not escaped
    }
    for key, (path, body) in answers.items():
        headers = {**account.headers, "Idempotency-Key": key}
        first, again = (client.post(path, headers=headers, json=body) for _ in range(2))
        assert again.headers["idempotent-replayed"] == "true"
        assert (again.status_code, again.content) == (first.status_code, first.content), key
        assert {k: v for k, v in again.headers.items() if k != "idempotent-replayed"} == dict(first.headers)


def test_user_list_creation_is_idempotent_too(client, world, account):
    first = client.post(f"/api/{account.account}/user-lists", headers={**account.headers, "Idempotency-Key": "vip"},
                        json={"name": "VIP"})
    assert first.status_code == 200, first.text
    balance = _balance(world, account)
    again = client.post(f"/api/{account.account}/user-lists", headers={**account.headers, "Idempotency-Key": "vip"},
                        json={"name": "VIP"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _balance(world, account) == balance
    lists = client.get(f"/api/{account.account}/user-lists?limit=50", headers=account.headers).json()["data"]
    assert [x["name"] for x in lists if x["type"] == "custom"] == ["VIP"]

    other = client.post(f"/api/{account.account}/user-lists", headers={**account.headers, "Idempotency-Key": "vip"},
                        json={"name": "Whales"})
    _assert_error(other, 422, "IDEMPOTENCY_KEY_MISMATCH")


def test_same_key_with_a_different_body_is_a_mismatch(client, world, account):
    first = _send(client, account, "k")
    assert first.status_code == 200, first.text
    balance = _balance(world, account)
    mismatch = _send(client, account, "k", {**SEND, "text": "Something else"})
    body = _assert_error(mismatch, 422, "IDEMPOTENCY_KEY_MISMATCH")
    assert body["errors"] == {"Idempotency-Key": [body["message"]]}
    assert "idempotent-replayed" not in mismatch.headers
    _assert_error(_send(client, account, "k", {**SEND, "userLists": ["fans"], "price": 0}), 422,
                  "IDEMPOTENCY_KEY_MISMATCH")
    assert _balance(world, account) == balance
    assert _messages(client, account) == [first.json()["data"]["id"]]
    assert _send(client, account, "k").headers["idempotent-replayed"] == "true"


def test_keys_are_scoped_per_api_key_account_and_endpoint(client, world, account):
    first = _send(client, account, "shared")
    assert first.status_code == 200, first.text
    first_id = first.json()["data"]["id"]

    other_key = {"Authorization": f"Bearer {world.key(account.team, name='second key')}"}
    by_other_key = _send(client, account, "shared", headers=other_key)
    assert by_other_key.status_code == 200, by_other_key.text
    assert "idempotent-replayed" not in by_other_key.headers
    assert by_other_key.json()["data"]["id"] != first_id

    second_account = world.account(account.team, "Second")
    _add_fans(client, account, second_account)
    on_other_account = _send(client, account, "shared", account=second_account)
    assert on_other_account.status_code == 200, on_other_account.text
    assert "idempotent-replayed" not in on_other_account.headers
    assert _messages(client, account, second_account) == [on_other_account.json()["data"]["id"]]

    other_endpoint = client.post(f"/api/{account.account}/user-lists",
                                 headers={**account.headers, "Idempotency-Key": "shared"}, json={"name": "VIP"})
    assert other_endpoint.status_code == 200, other_endpoint.text
    assert other_endpoint.json()["data"]["name"] == "VIP"

    assert sorted(_messages(client, account)) == sorted([first_id, by_other_key.json()["data"]["id"]])
    assert _send(client, account, "shared").json()["data"]["id"] == first_id


def test_the_same_api_key_written_differently_is_the_same_owner(client, account):
    """Scoped per API key: `bearer` in lower case, or extra spaces, name the very same key."""
    first = _send(client, account, "spelling")
    assert first.status_code == 200, first.text
    for spelling in (f"bearer {account.api_key}", f"Bearer  {account.api_key} "):
        again = _send(client, account, "spelling", headers={"Authorization": spelling})
        assert again.status_code == 200, again.text
        assert again.headers.get("idempotent-replayed") == "true", spelling
        assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert _messages(client, account) == [first.json()["data"]["id"]]


def test_a_key_is_remembered_for_24_hours_only(client, clock, account):
    first = _send(client, account, "daily")
    clock.advance(timedelta(hours=23, minutes=59))
    replay = _send(client, account, "daily")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["data"]["id"] == first.json()["data"]["id"]
    clock.advance(timedelta(minutes=2))
    later = _send(client, account, "daily", {**SEND, "text": "A day later, anything goes"})
    assert later.status_code == 200, later.text
    assert "idempotent-replayed" not in later.headers
    assert sorted(_messages(client, account)) == sorted([first.json()["data"]["id"], later.json()["data"]["id"]])


@pytest.mark.parametrize("key", [b"", b"k" * 256, b"tab\there", b"bell\x07", b"del\x7f", b"caf\xe9"])
def test_invalid_keys_are_400_and_nothing_is_sent(client, world, account, key):
    balance = _balance(world, account)
    response = client.post(f"/api/{account.account}/mass-messaging",
                           headers=[*account.headers.items(), ("Idempotency-Key", key)], json=SEND)
    body = _assert_error(response, 400, "IDEMPOTENCY_KEY_INVALID")
    assert "255" in body["message"]
    assert _messages(client, account) == []
    assert _balance(world, account) == balance - 1  # only the listing


def test_the_longest_and_oddest_valid_keys_work(client, account):
    for key in ("k" * 255, "~!@#$%^&*() {}[]|\\:;\"'<>,.?/`", "a"):
        first = _send(client, account, key)
        assert first.status_code == 200, (key, first.text)
        again = _send(client, account, key)
        assert again.headers["idempotent-replayed"] == "true" and again.json()["data"] == first.json()["data"]
    assert len(_messages(client, account)) == 3


def test_a_stored_validation_error_is_replayed(client, world, account):
    body = {**SEND, "userLists": [], "userIds": [9]}  # fan 9 does not exist yet
    first = _send(client, account, "early", body)
    errors = _assert_error(first, 422, "VALIDATION_ERROR")["errors"]
    assert "9" in errors["userIds"][0]
    assert first.json()["_meta"]["_credits"]["used"] == 0

    _add_fans(client, account, ids=(9,))
    balance = _balance(world, account)
    again = _send(client, account, "early", body)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["errors"] == errors
    assert _messages(client, account) == []

    now_valid = _send(client, account, "later", body)
    assert now_valid.status_code == 200, now_valid.text
    assert _balance(world, account) == balance - 2


def _claim_in_flight(app, clock, caller, key: str, raw: bytes) -> None:
    """Store an in-flight attempt under the scope massdm gives this key: (API key id, endpoint, key)."""
    with state_of(app).engine.connect() as connection:
        key_id, team_id = connection.execute(
            select(api_keys.c.id, api_keys.c.team_id).where(api_keys.c.key_hash == hash_api_key(caller.api_key))
        ).one()
    scope = scope_hash(str(key_id), "POST", f"/api/{caller.account}/mass-messaging", key)
    with transaction(state_of(app).engine) as connection:
        decision, _ = idempotency_service.claim(connection, scope, json_body_hash(raw), clock.now(), team_id)
    assert decision == "proceed"


def test_a_key_still_in_flight_is_a_409_conflict(app, client, clock, world, account):
    raw = json.dumps(SEND).encode()
    _claim_in_flight(app, clock, account, "busy", raw)
    balance = _balance(world, account)
    headers = {**account.headers, "Idempotency-Key": "busy", "Content-Type": "application/json"}
    for _ in range(2):
        response = client.post(f"/api/{account.account}/mass-messaging", headers=headers, content=raw)
        _assert_error(response, 409, "IDEMPOTENCY_CONFLICT")
    other = json.dumps({**SEND, "text": "something else"}).encode()
    different = client.post(f"/api/{account.account}/mass-messaging", headers=headers, content=other)
    _assert_error(different, 422, "IDEMPOTENCY_KEY_MISMATCH")
    assert _balance(world, account) == balance
    assert _messages(client, account) == []

    clock.advance(rules.LEASE + timedelta(seconds=1))  # its holder died without renewing: the key is free again
    taken_over = client.post(f"/api/{account.account}/mass-messaging", headers=headers, content=raw)
    assert taken_over.status_code == 200, taken_over.text
    assert "idempotent-replayed" not in taken_over.headers
    assert _messages(client, account) == [taken_over.json()["data"]["id"]]


def test_a_rate_limited_answer_is_not_stored(app, client, world):
    caller = world.caller(limit_minute=2)
    _add_fans(client, caller)  # the first request of this minute
    assert _send(client, caller, "later").status_code == 200  # the second
    limited = _send(client, caller, "retry-me", {**SEND, "text": "second"})
    _assert_error(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited.headers["Retry-After"]) >= 1

    with state_of(app).engine.begin() as connection:  # the plan is upgraded: the limit no longer bites
        connection.execute(update(api_keys).values(limit_minute=1000))
    retried = _send(client, caller, "retry-me", {**SEND, "text": "second"})
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert len(_messages(client, caller)) == 2
    replay = _send(client, caller, "retry-me", {**SEND, "text": "second"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["data"]["id"] == retried.json()["data"]["id"]


def test_requests_without_a_key_are_never_deduplicated(client, account):
    ids = {_send(client, account, None).json()["data"]["id"] for _ in range(2)}
    assert len(ids) == 2 and sorted(_messages(client, account)) == sorted(ids)


def test_idempotency_errors_have_the_contracts_error_body(app, client, clock, account):
    """CONTRACT.md §2: every error body but 401/402 is {error, message, description, _meta}."""
    assert _send(client, account, "used").status_code == 200
    raw = json.dumps(SEND).encode()
    _claim_in_flight(app, clock, account, "busy", raw)
    headers = {**account.headers, "Idempotency-Key": "busy", "Content-Type": "application/json"}
    responses = {
        "IDEMPOTENCY_KEY_MISMATCH": _send(client, account, "used", {**SEND, "text": "other"}),
        "IDEMPOTENCY_CONFLICT": client.post(f"/api/{account.account}/mass-messaging", headers=headers, content=raw),
        "IDEMPOTENCY_KEY_INVALID": _send(client, account, "x" * 256),
    }
    missing = [code for code, r in responses.items() if r.json().get("error") != code or "_meta" not in r.json()]
    assert missing == [], {code: responses[code].json() for code in missing}
    for response in responses.values():
        assert response.json()["_meta"]["_credits"]["used"] == 0


def test_a_revoked_key_gets_no_replays(app, client, account, clock):
    first = _send(client, account, "before-revoke")
    assert first.status_code == 200
    with state_of(app).engine.begin() as connection:
        connection.execute(update(api_keys).where(api_keys.c.key_hash == hash_api_key(account.api_key))
                           .values(revoked_at=clock.now()))
    replay = _send(client, account, "before-revoke")
    assert replay.status_code == 401 and "idempotent-replayed" not in replay.headers
    assert replay.json() == {"error": "Unauthorized. Go to http://massdm.test/api-keys to get your API key."}


@pytest.mark.parametrize("idempotency_key", ["", "x" * 256, "ok-key"])
def test_without_a_valid_api_key_it_is_401_whatever_the_idempotency_key(client, account, idempotency_key):
    response = _send(client, account, idempotency_key, headers={"Authorization": "Bearer massdm_wrong"})
    assert response.status_code == 401
    assert response.json()["error"].startswith("Unauthorized.")


def test_the_same_json_written_differently_is_the_same_request(client, world, account):
    first = client.post(f"/api/{account.account}/mass-messaging",
                        headers={**account.headers, "Idempotency-Key": "json-1", "Content-Type": "application/json"},
                        content=b'{"text": "Hello everyone", "userLists": ["fans"]}')
    again = client.post(f"/api/{account.account}/mass-messaging",
                        headers={**account.headers, "Idempotency-Key": "json-1", "Content-Type": "application/json"},
                        content=b'{\n  "userLists":["fans"],\n  "text":"Hello everyone"\n}')
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert _messages(client, account) == [first.json()["data"]["id"]]
