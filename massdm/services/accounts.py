"""Teams, creator accounts and API keys: who may call massdm, and on which accounts."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.domain.api_keys import hash_api_key, is_account_id, key_hint, new_account_id, new_api_key
from massdm.errors import NotFound, Unauthorized, ValidationFailed
from massdm.store import accounts as account_store
from massdm.store import api_keys as key_store
from massdm.store import teams as team_store
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey, KeyListing
from massdm.store.teams import Team

DEFAULT_TEAM_SLUG = "default"
MAX_KEY_NAME = 200
# `last_used_at` is written when it is older than this: a busy key costs one write a second, not one a call.
KEY_USE_RESOLUTION = timedelta(seconds=1)
KEY_SCOPES = frozenset({"api", "fan"})


@dataclass(frozen=True)
class IssuedKey:
    """A key as it exists for a moment after creation: the only time its secret is known."""

    id: int
    api_key: str
    team_slug: str
    account_ids: list[str]


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "team"


def ensure_team(connection: Connection, *, slug: str, name: str | None, credits: int, now: datetime) -> Team:
    slug = _slugify(slug)
    team = team_store.get_team_by_slug(connection, slug)
    if team is not None:
        return team
    return team_store.create_team(connection, name=name or slug, slug=slug, credits=credits, now=now)


def team_exists(connection: Connection, slug: str) -> bool:
    return team_store.get_team_by_slug(connection, slug) is not None


def create_account(
    connection: Connection, *, team: Team, display_name: str, username: str | None, now: datetime
) -> Account:
    name = display_name.strip()
    if not name:
        raise ValidationFailed.field("name", "The account name must not be empty.")
    return account_store.create_account(
        connection,
        account_id=new_account_id(),
        team_id=team.id,
        display_name=name,
        username=username or _slugify(name),
        onlyfans_id=secrets.randbelow(900_000_000) + 100_000_000,
        now=now,
    )


def create_api_key(
    connection: Connection,
    *,
    team: Team,
    name: str,
    account_ids: list[str],
    limit_minute: int,
    limit_day: int | None,
    now: datetime,
    secret: str | None = None,
    scopes: frozenset[str] = frozenset({"api"}),
) -> IssuedKey:
    """Issue a key for the team, limited to `account_ids` if any are given.

    `secret` lets a caller choose the key (the demo does, so scripts can keep one);
    by default it is random. Only its hash is stored. `scopes`: "api" (the provider's API)
    and/or "fan" (the fan-side endpoints of the platform's fan app).
    """
    unknown = set(scopes) - KEY_SCOPES
    if not scopes or unknown:
        raise ValidationFailed.field("scopes", f"Key scopes are {', '.join(sorted(KEY_SCOPES))}.")
    for account_id in account_ids:
        account = account_store.get_account(connection, account_id) if is_account_id(account_id) else None
        if account is None or account.team_id != team.id:
            raise NotFound(f"Account {account_id} does not exist in team {team.slug}.")
    api_key = secret or new_api_key()
    key_id = key_store.create_api_key(
        connection,
        team_id=team.id,
        name=name,
        key_hash=hash_api_key(api_key),
        key_hint=key_hint(api_key),
        account_ids=account_ids,
        limit_minute=limit_minute,
        limit_day=limit_day,
        now=now,
        scopes=frozenset(scopes),
    )
    return IssuedKey(key_id, api_key, team.slug, account_ids)


def issue_key_as(
    connection: Connection, caller: ApiKey, *, name: str, account_ids: list[str], scopes: frozenset[str],
    now: datetime,
) -> IssuedKey:
    """A new key of the caller's team, issued by the caller (the console's keys page): never wider
    than the caller. A key limited to some accounts may issue only keys limited to some of those
    accounts, with none of the scopes it lacks; every new key has its issuer's rate limits."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Give the key a name to recognise it by."]
    elif "\x00" in name:
        errors["name"] = ["The name must not contain NUL characters."]
    elif len(name) > MAX_KEY_NAME:
        errors["name"] = [f"The name must be at most {MAX_KEY_NAME} characters."]
    chosen = list(dict.fromkeys(account_ids))
    usable = {a.id for a in accounts_for_key(connection, caller)}
    strangers = [a for a in chosen if a not in usable]
    if strangers:
        errors["account_ids"] = [f"Unknown accounts: {', '.join(strangers[:20])}."]
    elif not caller.all_accounts and not chosen:
        errors["account_ids"] = ["This API key may use only some accounts, so a key it creates must be limited to "
                                 "some of them."]
    if not scopes or set(scopes) - KEY_SCOPES:
        errors["scopes"] = [f"Key scopes are {', '.join(sorted(KEY_SCOPES))}."]
    elif not caller.all_accounts and not scopes <= caller.scopes:
        errors["scopes"] = [f"This API key has only the scopes {', '.join(sorted(caller.scopes))}, so a key it "
                            "creates cannot have more."]
    if errors:
        raise ValidationFailed(errors)
    team = team_store.get_team(connection, caller.team_id)
    if team is None:
        raise NotFound("The team does not exist.")
    return create_api_key(connection, team=team, name=name, account_ids=chosen, limit_minute=caller.limit_minute,
                          limit_day=caller.limit_day, now=now, scopes=scopes)


def key_is_known(connection: Connection, secret: str) -> bool:
    return key_store.key_exists(connection, hash_api_key(secret))


def _key_hash(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    return hash_api_key(token)


def _admit(key: ApiKey | None, scope: str) -> ApiKey:
    if key is None or scope not in key.scopes:
        raise Unauthorized("unknown or revoked key, or one without this scope")
    return key


def key_use_is_stale(key: ApiKey, now: datetime) -> bool:
    """Whether the key's `last_used_at` is older than its resolution and is to be stamped again."""
    return key.last_used_at is None or now - key.last_used_at >= KEY_USE_RESOLUTION


def stamp_key_use(connection: Connection, key: ApiKey, now: datetime) -> None:
    key_store.touch_key(connection, key.id, now)


def authenticate(connection: Connection, authorization: str | None, scope: str = "api") -> ApiKey:
    """The key behind an `Authorization: Bearer ...` header; Unauthorized if there is none
    or it lacks `scope`. Only reads: the caller stamps the key's use where it writes."""
    return _admit(key_store.find_active_key(connection, _key_hash(authorization)), scope)


def authenticate_for_account(
    connection: Connection, authorization: str | None, account_id: str
) -> tuple[ApiKey, Account | None]:
    """`authenticate`, and the account if this key may use it, looked up together (every call under
    /api/{account} needs both). None for an account the key may not use; `require_account` says 404."""
    if not is_account_id(account_id):
        return authenticate(connection, authorization), None
    found = key_store.find_active_key_and_account(connection, _key_hash(authorization), account_id)
    key, account = found if found is not None else (None, None)
    return _admit(key, "api"), account


def find_key(connection: Connection, authorization: str | None) -> ApiKey | None:
    """The active key the header names, whatever its scopes; None if there is none."""
    try:
        return key_store.find_active_key(connection, _key_hash(authorization))
    except Unauthorized:
        return None


def get_account(connection: Connection, account_id: str) -> Account | None:
    """The account, or None if there is none by that id."""
    return account_store.get_account(connection, account_id) if is_account_id(account_id) else None


def team_of(connection: Connection, account: Account) -> Team:
    team = team_store.get_team(connection, account.team_id)
    if team is None:
        raise NotFound(f"The team of account {account.id} does not exist.")
    return team


def add_credits(connection: Connection, team_slug: str, amount: int) -> int | None:
    """Top up (or reduce, never below 0) a team's balance in one guarded statement; the new balance,
    or None if there is no such team."""
    return team_store.add_credits(connection, team_slug, amount)


def require_account(account: Account | None, account_id: str) -> Account:
    """Unknown and forbidden accounts look the same: 404."""
    if account is None:
        raise NotFound(f"Account {account_id} was not found.")
    return account


def accounts_for_key(connection: Connection, key: ApiKey) -> list[Account]:
    return account_store.list_accounts_for_key(
        connection, team_id=key.team_id, key_id=key.id, all_accounts=key.all_accounts
    )


def list_keys(connection: Connection, key: ApiKey) -> list[KeyListing]:
    """The keys of the caller's team. A key limited to some accounts sees only itself: it may not
    learn of keys wider than it."""
    keys = key_store.list_team_keys(connection, key.team_id)
    return keys if key.all_accounts else [k for k in keys if k.id == key.id]


def revoke_key(connection: Connection, caller: ApiKey, key_id: int, now: datetime) -> None:
    """Revoke one of the team's keys. Only a key with every account may revoke, and it may revoke
    itself (the console then signs out); NotFound for a key the caller may not see."""
    if not caller.all_accounts and key_id != caller.id:
        raise NotFound(f"API key {key_id} was not found.")
    if not key_store.revoke_key(connection, caller.team_id, key_id, now):
        raise NotFound(f"API key {key_id} was not found.")


def team_usage(connection: Connection, key: ApiKey) -> Team:
    """The caller's team: its balance and the credits used so far."""
    team = team_store.get_team(connection, key.team_id)
    if team is None:
        raise NotFound("The team does not exist.")
    return team
