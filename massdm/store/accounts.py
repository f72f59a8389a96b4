"""Creator accounts, and which of them an API key may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, insert, select

from massdm.store.hot import HotStatement
from massdm.store.tables import accounts, api_key_accounts


@dataclass(frozen=True)
class Account:
    id: str
    team_id: int
    display_name: str
    username: str
    onlyfans_id: int
    created_at: datetime


# An account's columns in the order of `Account`'s fields.
ACCOUNT_COLUMNS = (accounts.c.id, accounts.c.team_id, accounts.c.display_name, accounts.c.username,
                   accounts.c.onlyfans_id, accounts.c.created_at)


def _account(row) -> Account:  # noqa: ANN001
    return Account(row.id, row.team_id, row.display_name, row.username, row.onlyfans_id, row.created_at)


def create_account(
    connection: Connection,
    *,
    account_id: str,
    team_id: int,
    display_name: str,
    username: str,
    onlyfans_id: int,
    now: datetime,
) -> Account:
    connection.execute(
        insert(accounts).values(
            id=account_id,
            team_id=team_id,
            display_name=display_name,
            username=username,
            onlyfans_id=onlyfans_id,
            created_at=now,
        )
    )
    return Account(account_id, team_id, display_name, username, onlyfans_id, now)


def get_account(connection: Connection, account_id: str) -> Account | None:
    row = connection.execute(select(accounts).where(accounts.c.id == account_id)).first()
    return _account(row) if row else None


def key_may_use(key_id):  # noqa: ANN001, ANN201 - a value or a column; a SQL condition
    """The key was given this account (keys of all the team's accounts are checked apart)."""
    return exists().where(api_key_accounts.c.key_id == key_id, api_key_accounts.c.account_id == accounts.c.id)


# The fan side checks every call against the accounts its key may use.
_TEAM_ACCOUNTS_SELECT = (
    select(*ACCOUNT_COLUMNS)
    .where(accounts.c.team_id == bindparam("team_id"))
    .order_by(accounts.c.created_at, accounts.c.id)
)
_TEAM_ACCOUNTS = HotStatement(_TEAM_ACCOUNTS_SELECT)
_KEY_ACCOUNTS = HotStatement(_TEAM_ACCOUNTS_SELECT.where(key_may_use(bindparam("key_id"))))


def list_accounts_for_key(connection: Connection, *, team_id: int, key_id: int, all_accounts: bool) -> list[Account]:
    """The accounts the key may use (the fan side checks every request against them)."""
    if all_accounts:
        rows = _TEAM_ACCOUNTS.all(connection, team_id=team_id)
    else:
        rows = _KEY_ACCOUNTS.all(connection, team_id=team_id, key_id=key_id)
    return [_account(r) for r in rows]


def list_team_accounts(connection: Connection, team_id: int) -> list[Account]:
    rows = connection.execute(select(accounts).where(accounts.c.team_id == team_id).order_by(accounts.c.created_at))
    return [_account(r) for r in rows]
