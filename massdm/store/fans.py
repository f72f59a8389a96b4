"""Fans of an account, and the system lists derived from their state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, ColumnElement, and_, case, false, func, or_, select

from massdm.domain.audience import recent_cutoff
from massdm.domain.fans import FanStatus
from massdm.store.dialect import upsert
from massdm.store.tables import fans, user_list_members

_IN_CHUNK = 5000


@dataclass(frozen=True)
class Fan:
    id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool
    created_at: datetime
    updated_at: datetime
    system_lists: frozenset[str] = frozenset()  # filled by page_fans(with_system_lists=...)


UPDATABLE = ("username", "name", "subscribed_at", "expires_at", "auto_renew", "following", "muted", "tagged", "friend")


@dataclass(frozen=True)
class FanRecord:
    """One fan as the platform states it, for an idempotent upsert.

    `provided` names the fields the platform actually sent: a known fan gets only those
    overwritten (the rest keep their stored value); a new fan takes the values given here,
    defaults included.
    """

    id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool
    provided: frozenset[str] = frozenset(UPDATABLE)


_FAN_COLUMNS = (
    fans.c.id,
    fans.c.username,
    fans.c.name,
    fans.c.subscribed_at,
    fans.c.expires_at,
    fans.c.auto_renew,
    fans.c.following,
    fans.c.muted,
    fans.c.tagged,
    fans.c.friend,
    fans.c.created_at,
    fans.c.updated_at,
)


def _fan(row, system_list_ids: tuple[str, ...] = ()) -> Fan:  # noqa: ANN001
    base = tuple(row[: len(_FAN_COLUMNS)])
    flags = row[len(_FAN_COLUMNS) :]
    return Fan(*base, system_lists=frozenset(i for i, flag in zip(system_list_ids, flags) if flag))


def active_condition(now: datetime) -> ColumnElement[bool]:
    return or_(fans.c.expires_at.is_(None), fans.c.expires_at > now)


def status_condition(status: FanStatus, now: datetime) -> ColumnElement[bool] | None:
    if status == "active":
        return active_condition(now)
    if status == "expired":
        return fans.c.expires_at <= now
    return None


def system_list_condition(list_id: str, now: datetime) -> ColumnElement[bool]:
    """Membership of a system list, as a condition on the `fans` row (see domain.audience)."""
    active = active_condition(now)
    conditions: dict[str, ColumnElement[bool]] = {
        "fans": active,
        "recent": and_(active, fans.c.subscribed_at >= recent_cutoff(now)),
        "following": fans.c.following.is_(True),
        "rebill_on": and_(active, fans.c.auto_renew.is_(True)),
        "rebill_off": and_(active, fans.c.auto_renew.is_(False)),
        "tagged": fans.c.tagged.is_(True),
        "friends": fans.c.friend.is_(True),
        "muted": fans.c.muted.is_(True),
    }
    return conditions.get(list_id, false())


def custom_list_condition(list_id: int) -> ColumnElement[bool]:
    return (
        select(user_list_members.c.fan_id)
        .where(
            user_list_members.c.list_id == list_id,
            user_list_members.c.account_id == fans.c.account_id,
            user_list_members.c.fan_id == fans.c.id,
        )
        .exists()
    )


def _search_condition(query: str) -> ColumnElement[bool]:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        func.lower(fans.c.username).like(pattern, escape="\\"),
        func.lower(fans.c.name).like(pattern, escape="\\"),
    )


def page_fans(
    connection: Connection,
    account_id: str,
    *,
    where: ColumnElement[bool] | None = None,
    query: str | None = None,
    limit: int,
    offset: int,
    now: datetime,
    system_list_ids: tuple[str, ...] = (),
) -> tuple[list[Fan], bool]:
    """One page of fans, newest subscription first; and whether more follow.

    Each fan comes with the system lists (of `system_list_ids`) it belongs to, computed
    by the same conditions that define those lists, so the two can never disagree.
    """
    flags = [system_list_condition(i, now).label(f"in_{i}") for i in system_list_ids]
    statement = select(*_FAN_COLUMNS, *flags).where(fans.c.account_id == account_id)
    if where is not None:
        statement = statement.where(where)
    if query:
        statement = statement.where(_search_condition(query))
    rows = connection.execute(
        statement.order_by(fans.c.subscribed_at.desc(), fans.c.id.desc()).limit(limit + 1).offset(offset)
    ).all()
    return [_fan(r, system_list_ids) for r in rows[:limit]], len(rows) > limit


def get_fan(connection: Connection, account_id: str, fan_id: int) -> Fan | None:
    row = connection.execute(select(*_FAN_COLUMNS).where(fans.c.account_id == account_id, fans.c.id == fan_id)).first()
    return _fan(row) if row else None


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def existing_fan_ids(connection: Connection, account_id: str, fan_ids: Iterable[int]) -> set[int]:
    wanted = list(dict.fromkeys(fan_ids))
    found: set[int] = set()
    for chunk in _chunks(wanted):
        found.update(
            connection.execute(
                select(fans.c.id).where(fans.c.account_id == account_id, fans.c.id.in_(chunk))
            ).scalars()
        )
    return found


def upsert_fans(connection: Connection, account_id: str, records: list[FanRecord], now: datetime) -> tuple[int, int]:
    """Insert new fans and overwrite known ones (by id); returns (created, updated).

    Idempotent: sending the same records again changes nothing but `updated_at`.
    """
    if not records:
        return 0, 0
    by_id = {r.id: r for r in records}  # the last record for an id wins
    known = existing_fan_ids(connection, account_id, by_id)
    groups: dict[frozenset[str], list[FanRecord]] = {}
    for record in by_id.values():
        groups.setdefault(record.provided, []).append(record)
    for provided, group in groups.items():
        _upsert_group(connection, account_id, group, provided, now)
    return len(by_id) - len(known), len(known)


def _upsert_group(
    connection: Connection, account_id: str, records: list[FanRecord], provided: frozenset[str], now: datetime
) -> None:
    rows = [
        {
            "account_id": account_id,
            "id": r.id,
            "username": r.username,
            "name": r.name,
            "subscribed_at": r.subscribed_at,
            "expires_at": r.expires_at,
            "auto_renew": r.auto_renew,
            "following": r.following,
            "muted": r.muted,
            "tagged": r.tagged,
            "friend": r.friend,
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]
    statement = upsert(connection, fans)
    changing = [name for name in UPDATABLE if name in provided] + ["updated_at"]
    statement = statement.on_conflict_do_update(
        index_elements=[fans.c.account_id, fans.c.id],
        set_={name: statement.excluded[name] for name in changing},
    )
    connection.execute(statement, rows)


def count_system_lists(connection: Connection, account_id: str, now: datetime, list_ids: Iterable[str]) -> dict[str, int]:
    """Members of each system list, in one pass over the account's fans."""
    ids = list(list_ids)
    if not ids:
        return {}
    columns = [func.coalesce(func.sum(case((system_list_condition(i, now), 1), else_=0)), 0) for i in ids]
    row = connection.execute(select(*columns).where(fans.c.account_id == account_id)).one()
    return dict(zip(ids, (int(v) for v in row)))


def custom_lists_of_fans(connection: Connection, account_id: str, fan_ids: list[int]) -> dict[int, set[int]]:
    """For each fan, the custom lists it belongs to."""
    result: dict[int, set[int]] = {f: set() for f in fan_ids}
    for chunk in _chunks(fan_ids):
        for fan_id, list_id in connection.execute(
            select(user_list_members.c.fan_id, user_list_members.c.list_id).where(
                user_list_members.c.account_id == account_id, user_list_members.c.fan_id.in_(chunk)
            )
        ):
            result[fan_id].add(list_id)
    return result
