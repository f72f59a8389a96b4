"""Issuing a key as another key (the console's keys page): never wider than the issuer."""

from __future__ import annotations

import pytest

from massdm.errors import ValidationFailed
from massdm.services import accounts as account_service
from massdm.store.db import transaction


@pytest.fixture
def team(world):
    team = world.team()
    return team, world.account(team, "One"), world.account(team, "Two")


def _issue(world, issuer: str, **asked):
    with transaction(world.engine) as connection:
        caller = account_service.authenticate(connection, f"Bearer {issuer}")
        fields = {"name": "new", "account_ids": [], "scopes": frozenset({"api"}), **asked}
        issued = account_service.issue_key_as(connection, caller, now=world.clock.now(), **fields)
        return account_service.authenticate(connection, f"Bearer {issued.api_key}")


def test_a_key_of_every_account_issues_any_key_of_its_team_with_its_own_limits(world, team):
    owner, one, _ = team
    issuer = world.key(owner, limit_minute=77, limit_day=None)
    wide = _issue(world, issuer, scopes=frozenset({"api", "fan"}))
    assert (wide.team_id, wide.all_accounts, wide.scopes, wide.limit_minute, wide.limit_day) == (
        owner.id, True, frozenset({"api", "fan"}), 77, None)
    assert _issue(world, issuer, account_ids=[one]).all_accounts is False


def test_a_limited_key_issues_only_keys_limited_to_its_accounts(world, team):
    owner, one, two = team
    issuer = world.key(owner, [one, two], limit_minute=5, limit_day=10)
    with pytest.raises(ValidationFailed) as every:
        _issue(world, issuer)
    assert every.value.errors == {"account_ids": [
        "This API key may use only some accounts, so a key it creates must be limited to some of them."]}
    stranger = world.account(owner, "Three")
    with pytest.raises(ValidationFailed) as other:
        _issue(world, issuer, account_ids=[one, stranger])
    assert other.value.errors == {"account_ids": [f"Unknown accounts: {stranger}."]}
    with pytest.raises(ValidationFailed) as scopes:
        _issue(world, issuer, account_ids=[one], scopes=frozenset({"api", "fan"}))
    assert scopes.value.errors == {"scopes": ["This API key has only the scopes api, so a key it creates cannot "
                                              "have more."]}
    narrow = _issue(world, issuer, account_ids=[two])
    assert (narrow.all_accounts, narrow.limit_minute, narrow.limit_day) == (False, 5, 10)
    with transaction(world.engine) as connection:
        assert [a.id for a in account_service.accounts_for_key(connection, narrow)] == [two]


def test_another_teams_accounts_are_unknown(world, team):
    owner, _, _ = team
    elsewhere = world.team()
    with pytest.raises(ValidationFailed) as refused:
        _issue(world, world.key(owner), account_ids=[world.account(elsewhere)])
    assert list(refused.value.errors) == ["account_ids"]


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the key a name to recognise it by."), ("a\x00b", "The name must not contain NUL characters."),
    ("x" * 201, "The name must be at most 200 characters."),
])
def test_a_key_needs_a_name(world, team, name, message):
    with pytest.raises(ValidationFailed) as refused:
        _issue(world, world.key(team[0]), name=name)
    assert refused.value.errors == {"name": [message]}
