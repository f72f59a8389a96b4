"""API keys. Only a hash of each key is stored; the key itself is shown once, at creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update

from massdm.store.accounts import ACCOUNT_COLUMNS, Account, key_may_use
from massdm.store.hot import HotStatement, Row
from massdm.store.tables import accounts, api_key_accounts, api_keys, teams


@dataclass(frozen=True)
class ApiKey:
    id: int
    team_id: int
    name: str
    all_accounts: bool
    limit_minute: int
    limit_day: int | None
    created_at: datetime
    last_used_at: datetime | None
    team_name: str
    team_slug: str
    team_balance: int
    scopes: frozenset[str] = frozenset({"api"})


def create_api_key(
    connection: Connection,
    *,
    team_id: int,
    name: str,
    key_hash: str,
    key_hint: str,
    account_ids: list[str],
    limit_minute: int,
    limit_day: int | None,
    now: datetime,
    scopes: frozenset[str] = frozenset({"api"}),
) -> int:
    """Store a key; an empty `account_ids` means the key may use every account of its team."""
    key_id = connection.execute(
        insert(api_keys)
        .values(
            team_id=team_id,
            name=name,
            key_hash=key_hash,
            key_hint=key_hint,
            all_accounts=not account_ids,
            limit_minute=limit_minute,
            limit_day=limit_day,
            created_at=now,
            scopes=" ".join(sorted(scopes)),
        )
        .returning(api_keys.c.id)
    ).scalar_one()
    if account_ids:
        connection.execute(
            insert(api_key_accounts), [{"key_id": key_id, "account_id": a} for a in dict.fromkeys(account_ids)]
        )
    return key_id


# Every authenticated request runs these: compiled once, run on the driver (store/hot.py).
KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.team_id,
    api_keys.c.name,
    api_keys.c.all_accounts,
    api_keys.c.limit_minute,
    api_keys.c.limit_day,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
    teams.c.name.label("team_name"),
    teams.c.slug.label("team_slug"),
    teams.c.credit_balance.label("team_balance"),
    api_keys.c.scopes,
)
_ACTIVE = (api_keys.c.key_hash == bindparam("key_hash"), api_keys.c.revoked_at.is_(None))
_ACTIVE_KEY = HotStatement(
    select(*KEY_COLUMNS).join(teams, teams.c.id == api_keys.c.team_id).where(*_ACTIVE)
)
# The same, with the account a request names, if the key may use it (one statement for both checks).
_ACTIVE_KEY_AND_ACCOUNT = HotStatement(
    select(*KEY_COLUMNS, *(column.label(f"account_{column.key}") for column in ACCOUNT_COLUMNS))
    .join(teams, teams.c.id == api_keys.c.team_id)
    .outerjoin(
        accounts,
        and_(accounts.c.id == bindparam("account_id"), accounts.c.team_id == api_keys.c.team_id,
             or_(api_keys.c.all_accounts, key_may_use(api_keys.c.id))),
    )
    .where(*_ACTIVE)
)
_TOUCH = HotStatement(
    update(api_keys).where(api_keys.c.id == bindparam("key_id")).values(last_used_at=bindparam("used_at"))
)


def find_active_key(connection: Connection, key_hash: str) -> ApiKey | None:
    row = _ACTIVE_KEY.first(connection, key_hash=key_hash)
    return key_of_row(row) if row is not None else None


def find_active_key_and_account(
    connection: Connection, key_hash: str, account_id: str
) -> tuple[ApiKey, Account | None] | None:
    """The key, and the account if it exists in the key's team and the key may use it."""
    row = _ACTIVE_KEY_AND_ACCOUNT.first(connection, key_hash=key_hash, account_id=account_id)
    if row is None:
        return None
    account = None
    if row.account_id is not None:
        account = Account(row.account_id, row.account_team_id, row.account_display_name, row.account_username,
                          row.account_onlyfans_id, row.account_created_at)
    return key_of_row(row), account


def key_of_row(row: Row) -> ApiKey:
    return ApiKey(
        row.id,
        row.team_id,
        row.name,
        row.all_accounts,
        row.limit_minute,
        row.limit_day,
        row.created_at,
        row.last_used_at,
        row.team_name,
        row.team_slug,
        row.team_balance,
        frozenset(row.scopes.split()),
    )


def key_exists(connection: Connection, key_hash: str) -> bool:
    return connection.execute(select(api_keys.c.id).where(api_keys.c.key_hash == key_hash)).first() is not None


def touch_key(connection: Connection, key_id: int, now: datetime) -> None:
    _TOUCH.run(connection, key_id=key_id, used_at=now)


@dataclass(frozen=True)
class KeyListing:
    """A key as its team's key list shows it: never its secret, only the hint it starts with."""

    id: int
    name: str
    key_hint: str
    all_accounts: bool
    account_ids: tuple[str, ...]
    scopes: frozenset[str]
    limit_minute: int
    limit_day: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_team_keys(connection: Connection, team_id: int) -> list[KeyListing]:
    """The team's keys, newest first, revoked ones included (they say when)."""
    rows = connection.execute(
        select(api_keys).where(api_keys.c.team_id == team_id).order_by(api_keys.c.id.desc())
    ).all()
    named = connection.execute(
        select(api_key_accounts.c.key_id, api_key_accounts.c.account_id)
        .where(api_key_accounts.c.key_id.in_([row.id for row in rows]))
        .order_by(api_key_accounts.c.account_id)
    ).all()
    by_key: dict[int, list[str]] = {}
    for key_id, account_id in named:
        by_key.setdefault(key_id, []).append(account_id)
    return [KeyListing(row.id, row.name, row.key_hint, row.all_accounts, tuple(by_key.get(row.id, ())),
                       frozenset(row.scopes.split()), row.limit_minute, row.limit_day, row.created_at,
                       row.last_used_at, row.revoked_at) for row in rows]


def revoke_key(connection: Connection, team_id: int, key_id: int, now: datetime) -> bool:
    """Revoke the team's key `key_id` (from now on it authenticates nothing); False if the team has
    no such active key."""
    result = connection.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.team_id == team_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


def key_by_id(connection: Connection, key_id: int) -> ApiKey | None:
    """The active key `key_id`, as authentication reads it."""
    row = connection.execute(
        select(*KEY_COLUMNS).join(teams, teams.c.id == api_keys.c.team_id)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    ).first()
    return key_of_row(row) if row is not None else None
