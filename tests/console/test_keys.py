"""The console's keys and credits: the balance and what charges used, the keys, a new key shown once,
revoking (one's own key included), and what a limited key's session or another team's may do."""

from __future__ import annotations

import re

import pytest

from massdm.console.session import COOKIE
from massdm.services import accounts as account_service
from massdm.store.db import transaction
from tests.conftest import Caller
from tests.console.conftest import ConsoleClient
from tests.console.pages import row_with, text_of

_NEW_KEY = re.compile(r'id="new-key"[^>]*value="(massdm_[^"]+)"')


def _whoami(client, api_key: str) -> int:
    return client.get("/api/whoami", headers={"Authorization": f"Bearer {api_key}"}).status_code


def _key_ids(world, caller: Caller) -> list[int]:
    with transaction(world.engine) as connection:
        team_key = account_service.authenticate(connection, f"Bearer {caller.api_key}")
        return [k.id for k in account_service.list_keys(connection, team_key)]


def _own_id(world, api_key: str) -> int:
    with transaction(world.engine) as connection:
        return account_service.authenticate(connection, f"Bearer {api_key}").id


def _create(console: ConsoleClient, **fields) -> str:
    answer = console.post("/console/keys", {"name": "ci", "scopes": ["api"], **fields})
    assert answer.status_code == 200, answer.text
    found = _NEW_KEY.search(answer.text)
    assert found, answer.text
    return found.group(1)


def test_the_keys_page_shows_the_balance_the_usage_and_the_keys_without_their_secrets(console: ConsoleClient,
                                                                                      caller, world):
    page = console.get("/console/keys")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Balance 1,000,000 credits" in shown and "Used so far 0 credits" in shown
    row = row_with(page.text, "(this session)")
    assert row.startswith(f"test key (this session) #{_own_id(world, caller.api_key)} {caller.api_key[:10]}")
    assert "every account api 1,000/min · 50,000/day" in row and row.endswith("active Revoke…")
    assert caller.api_key not in page.text


def test_an_api_call_that_charges_moves_the_credits_used(console: ConsoleClient, client, caller, world):
    answer = client.get(f"/api/{caller.account}/fans/all", headers=caller.headers)
    assert answer.json()["_meta"]["_credits"]["used"] == 1
    client.get(f"/api/{caller.account}/user-lists", headers=caller.headers)
    with transaction(world.engine) as connection:
        key = account_service.authenticate(connection, f"Bearer {caller.api_key}")
        team = account_service.team_usage(connection, key)
    assert (team.credit_balance, team.credits_used) == (1_000_000 - 2, 2)
    shown = text_of(console.get("/console/keys").text)
    assert "Balance 999,998 credits" in shown and "Used so far 2 credits" in shown


def test_a_failed_call_uses_no_credits(console: ConsoleClient, client, caller, world):
    assert client.get("/api/acct_" + "0" * 32 + "/fans/all", headers=caller.headers).status_code == 404
    assert "Used so far 0 credits" in text_of(console.get("/console/keys").text)


def test_a_new_key_is_shown_once_in_the_answer_and_works(console: ConsoleClient, client):
    answer = console.post("/console/keys", {"name": "ci", "scopes": ["api"]})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert "location" not in answer.headers and str(answer.url).endswith("/console/keys")
    new_key = _NEW_KEY.search(answer.text).group(1)
    assert "shown only this once" in text_of(answer.text)
    assert _whoami(client, new_key) == 200
    listing = console.get("/console/keys").text
    assert new_key not in listing  # nothing shows it again
    row = row_with(listing, "ci #")
    assert f"{new_key[:10]}" in row and "every account api" in row


def test_a_key_can_be_limited_to_some_accounts(console: ConsoleClient, client, caller, world):
    second = world.account(caller.team, "Second Creator")
    new_key = _create(console, name="second only", account_ids=[second])
    accounts = client.get("/api/accounts", headers={"Authorization": f"Bearer {new_key}"}).json()
    assert [a["id"] for a in accounts] == [second]
    assert "Second Creator api" in row_with(console.get("/console/keys").text, "second only")


def test_a_form_with_mistakes_comes_back_with_the_messages_and_makes_no_key(console: ConsoleClient, world, caller):
    before = _key_ids(world, caller)
    answer = console.post("/console/keys", {"name": "  ", "scopes": ["root"], "account_ids": ["acct_nope"]})
    assert answer.status_code == 422
    shown = text_of(answer.text)
    assert "Give the key a name to recognise it by." in shown
    assert "Unknown accounts: acct_nope." in shown and "Key scopes are api, fan." in shown
    assert _key_ids(world, caller) == before


def test_revoke_asks_first_and_the_revoked_key_is_refused_by_the_api(console: ConsoleClient, client, world):
    doomed = _create(console, name="doomed")
    doomed_id = _own_id(world, doomed)
    confirm = text_of(console.get(f"/console/keys/{doomed_id}/revoke").text)
    assert "Revoke key “doomed”?" in confirm and "stops working at once" in confirm
    assert _whoami(client, doomed) == 200  # asking revoked nothing
    answer = console.post(f"/console/keys/{doomed_id}/revoke")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/keys?done=revoked"
    assert _whoami(client, doomed) == 401
    listing = console.get(answer.headers["location"]).text
    assert "Key revoked" in text_of(listing) and "revoked" in row_with(listing, "doomed")
    assert "Revoke…" not in row_with(listing, "doomed")
    assert console.post(f"/console/keys/{doomed_id}/revoke").status_code == 404  # once is enough


def test_revoking_the_key_one_is_signed_in_with_signs_one_out(console: ConsoleClient, client, caller, world):
    own = _own_id(world, caller.api_key)
    assert "revoking it signs you out" in text_of(console.get(f"/console/keys/{own}/revoke").text)
    answer = console.post(f"/console/keys/{own}/revoke")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    assert f'{COOKIE}=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    assert _whoami(client, caller.api_key) == 401
    assert console.get("/console/keys").status_code == 303


@pytest.fixture
def limited(console_for, world, caller) -> ConsoleClient:
    """A session of a key limited to a second account of the caller's team."""
    second = world.account(caller.team, "Second Creator")
    return console_for(Caller(world.key(caller.team, [second], name="limited"), second, caller.team))


def test_a_limited_keys_session_sees_only_its_own_key(limited: ConsoleClient, caller, world):
    page = limited.get("/console/keys").text
    assert "limited (this session)" in text_of(page) and "test key" not in page
    wide = _own_id(world, caller.api_key)
    assert limited.get(f"/console/keys/{wide}/revoke").status_code == 404
    assert limited.post(f"/console/keys/{wide}/revoke").status_code == 404
    assert _whoami(limited.http, caller.api_key) == 200


def test_a_limited_keys_session_cannot_create_a_key_wider_than_itself(limited: ConsoleClient, caller, world):
    before = _key_ids(world, caller)
    every = limited.post("/console/keys", {"name": "wider", "scopes": ["api"]})
    assert every.status_code == 422
    assert "a key it creates must be limited to some of them" in text_of(every.text)
    other = limited.post("/console/keys", {"name": "wider", "scopes": ["api"], "account_ids": [caller.account]})
    assert other.status_code == 422 and f"Unknown accounts: {caller.account}." in text_of(other.text)
    fan = limited.post("/console/keys", {"name": "wider", "scopes": ["api", "fan"],
                                         "account_ids": [limited.caller.account]})
    assert fan.status_code == 422 and "cannot have more" in text_of(fan.text)
    assert _key_ids(world, caller) == before
    narrow = _create(limited, name="narrow", account_ids=[limited.caller.account])
    accounts = limited.http.get("/api/accounts", headers={"Authorization": f"Bearer {narrow}"}).json()
    assert [a["id"] for a in accounts] == [limited.caller.account]


def test_another_teams_session_never_sees_or_revokes_this_teams_keys(console_for, world, client, caller):
    other = console_for(world.caller())
    page = other.get("/console/keys").text
    assert caller.team.name not in page and caller.api_key[:13] not in page
    own = _own_id(world, caller.api_key)
    assert other.get(f"/console/keys/{own}/revoke").status_code == 404
    assert other.post(f"/console/keys/{own}/revoke").status_code == 404
    assert _whoami(client, caller.api_key) == 200
    for garbage in ("0", "-1", "x", "99999999999999999999999"):
        assert other.get(f"/console/keys/{garbage}/revoke").status_code == 404


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_the_key_forms_refuse_a_missing_or_wrong_csrf_token(console: ConsoleClient, client, caller, world, csrf):
    spare = world.key(caller.team, name="spare")
    before = _key_ids(world, caller)
    created = console.post("/console/keys", {"name": "sneaky", "scopes": ["api"]}, csrf=csrf)
    assert created.status_code == 403 and "massdm_" not in created.text
    revoked = console.post(f"/console/keys/{_own_id(world, spare)}/revoke", csrf=csrf)
    assert revoked.status_code == 403
    assert _key_ids(world, caller) == before and _whoami(client, spare) == 200
