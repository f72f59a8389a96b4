"""Creator accounts, and which of them an API key may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, insert, select

from massdm.store.tables import accounts, api_key_accounts


@dataclass(frozen=True)
class Account:
    id: str
    team_id: int
    display_name: str
    username: str
    onlyfans_id: int
    created_at: datetime


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


def _key_may_use(key_id: int, all_accounts: bool):  # noqa: ANN202
    if all_accounts:
        return True
    return exists().where(api_key_accounts.c.key_id == key_id, api_key_accounts.c.account_id == accounts.c.id)


def get_account_for_key(
    connection: Connection, *, account_id: str, team_id: int, key_id: int, all_accounts: bool
) -> Account | None:
    """The account if it exists, belongs to the key's team and the key may use it; else None."""
    row = connection.execute(
        select(accounts).where(
            accounts.c.id == account_id, accounts.c.team_id == team_id, _key_may_use(key_id, all_accounts)
        )
    ).first()
    return _account(row) if row else None


def list_accounts_for_key(connection: Connection, *, team_id: int, key_id: int, all_accounts: bool) -> list[Account]:
    rows = connection.execute(
        select(accounts)
        .where(accounts.c.team_id == team_id, _key_may_use(key_id, all_accounts))
        .order_by(accounts.c.created_at, accounts.c.id)
    )
    return [_account(r) for r in rows]


def list_team_accounts(connection: Connection, team_id: int) -> list[Account]:
    rows = connection.execute(select(accounts).where(accounts.c.team_id == team_id).order_by(accounts.c.created_at))
    return [_account(r) for r in rows]
