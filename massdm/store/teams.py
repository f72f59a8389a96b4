"""Teams and their credit balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, insert, select, update

from massdm.store.hot import HotStatement
from massdm.store.tables import teams


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    slug: str
    credit_balance: int
    created_at: datetime
    credits_used: int = 0  # every credit charged so far


def _team(row) -> Team:  # noqa: ANN001
    return Team(row.id, row.name, row.slug, row.credit_balance, row.created_at, row.credits_used)


def create_team(connection: Connection, *, name: str, slug: str, credits: int, now: datetime) -> Team:
    team_id = connection.execute(
        insert(teams).values(name=name, slug=slug, credit_balance=credits, created_at=now).returning(teams.c.id)
    ).scalar_one()
    return Team(team_id, name, slug, credits, now)


def get_team_by_slug(connection: Connection, slug: str) -> Team | None:
    row = connection.execute(select(teams).where(teams.c.slug == slug)).first()
    return _team(row) if row else None


def get_team(connection: Connection, team_id: int) -> Team | None:
    row = connection.execute(select(teams).where(teams.c.id == team_id)).first()
    return _team(row) if row else None


# Every metered call charges: compiled once, run on the driver (store/hot.py).
_BALANCE = select(teams.c.credit_balance).where(teams.c.id == bindparam("team_id"))
_TAKE = HotStatement(
    update(teams)
    .where(teams.c.id == bindparam("team_id"), teams.c.credit_balance >= bindparam("amount"))
    .values(credit_balance=teams.c.credit_balance - bindparam("amount"),
            credits_used=teams.c.credits_used + bindparam("amount"))
    .returning(teams.c.credit_balance)
)


def get_balance(connection: Connection, team_id: int) -> int:
    return connection.execute(_BALANCE, {"team_id": team_id}).scalar_one()


def take_credits(connection: Connection, team_id: int, amount: int) -> int | None:
    """Subtract `amount` if the balance covers it, atomically; the new balance, or None if it does not.

    The guard lives in the UPDATE itself, so concurrent callers can never overdraw.
    """
    row = _TAKE.first(connection, team_id=team_id, amount=amount)
    return row.credit_balance if row is not None else None


_ADDED = teams.c.credit_balance + bindparam("amount")
_ADD = (
    update(teams)
    .where(teams.c.slug == bindparam("team_slug"))
    .values(credit_balance=case((_ADDED < 0, 0), else_=_ADDED))
    .returning(teams.c.credit_balance)
)


def add_credits(connection: Connection, slug: str, amount: int) -> int | None:
    """Add `amount` (negative: take it away, down to 0 at most) to the team's balance; the new balance,
    or None if there is no such team.

    One statement computed from the balance as it is when the row is written, so a charge committed
    meanwhile is never overwritten (a read-then-write here would lose it on PostgreSQL).
    """
    return connection.execute(_ADD, {"team_slug": slug, "amount": amount}).scalar_one_or_none()
