"""Custom user lists and their members. (System lists live in `store.fans`: they are derived.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from massdm.store.dialect import upsert
from massdm.store.tables import user_list_members, user_lists


@dataclass(frozen=True)
class CustomList:
    id: int
    account_id: str
    name: str
    is_pinned_to_feed: bool
    created_at: datetime


def _list(row) -> CustomList:  # noqa: ANN001
    return CustomList(row.id, row.account_id, row.name, row.is_pinned_to_feed, row.created_at)


def create_list(connection: Connection, account_id: str, name: str, now: datetime) -> CustomList:
    list_id = connection.execute(
        insert(user_lists)
        .values(account_id=account_id, name=name, is_pinned_to_feed=False, created_at=now)
        .returning(user_lists.c.id)
    ).scalar_one()
    return CustomList(list_id, account_id, name, False, now)


def get_list(connection: Connection, account_id: str, list_id: int) -> CustomList | None:
    row = connection.execute(
        select(user_lists).where(user_lists.c.account_id == account_id, user_lists.c.id == list_id)
    ).first()
    return _list(row) if row else None


def existing_list_ids(connection: Connection, account_id: str, list_ids: list[int]) -> set[int]:
    if not list_ids:
        return set()
    return set(
        connection.execute(
            select(user_lists.c.id).where(user_lists.c.account_id == account_id, user_lists.c.id.in_(list_ids))
        ).scalars()
    )


def page_lists(connection: Connection, account_id: str, *, limit: int, offset: int) -> tuple[list[CustomList], bool]:
    rows = connection.execute(
        select(user_lists)
        .where(user_lists.c.account_id == account_id)
        .order_by(user_lists.c.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    return [_list(r) for r in rows[:limit]], len(rows) > limit


def count_lists(connection: Connection, account_id: str) -> int:
    return connection.execute(
        select(func.count()).select_from(user_lists).where(user_lists.c.account_id == account_id)
    ).scalar_one()


def update_list(connection: Connection, list_id: int, *, name: str, is_pinned_to_feed: bool | None) -> None:
    values: dict[str, object] = {"name": name}
    if is_pinned_to_feed is not None:
        values["is_pinned_to_feed"] = is_pinned_to_feed
    connection.execute(update(user_lists).where(user_lists.c.id == list_id).values(**values))


def delete_list(connection: Connection, list_id: int) -> None:
    connection.execute(delete(user_list_members).where(user_list_members.c.list_id == list_id))
    connection.execute(delete(user_lists).where(user_lists.c.id == list_id))


def count_members(connection: Connection, list_ids: list[int]) -> dict[int, int]:
    counts = {i: 0 for i in list_ids}
    if list_ids:
        for list_id, count in connection.execute(
            select(user_list_members.c.list_id, func.count())
            .where(user_list_members.c.list_id.in_(list_ids))
            .group_by(user_list_members.c.list_id)
        ):
            counts[list_id] = count
    return counts


def add_members(connection: Connection, list_id: int, account_id: str, fan_ids: list[int], now: datetime) -> None:
    """Add fans (who must exist) to a list; fans already in it stay as they are."""
    if not fan_ids:
        return
    statement = upsert(connection, user_list_members).on_conflict_do_nothing(
        index_elements=[user_list_members.c.list_id, user_list_members.c.fan_id]
    )
    connection.execute(
        statement,
        [{"list_id": list_id, "fan_id": f, "account_id": account_id, "added_at": now} for f in dict.fromkeys(fan_ids)],
    )


def remove_member(connection: Connection, list_id: int, fan_id: int) -> bool:
    result = connection.execute(
        delete(user_list_members).where(user_list_members.c.list_id == list_id, user_list_members.c.fan_id == fan_id)
    )
    return result.rowcount > 0


def clear_members(connection: Connection, list_id: int) -> None:
    connection.execute(delete(user_list_members).where(user_list_members.c.list_id == list_id))


def list_names(connection: Connection, list_ids: set[int]) -> dict[int, str]:
    if not list_ids:
        return {}
    return dict(
        connection.execute(select(user_lists.c.id, user_lists.c.name).where(user_lists.c.id.in_(list_ids))).all()
    )


def find_list_by_name(connection: Connection, account_id: str, name: str) -> CustomList | None:
    row = connection.execute(
        select(user_lists)
        .where(user_lists.c.account_id == account_id, user_lists.c.name == name)
        .order_by(user_lists.c.id)
        .limit(1)
    ).first()
    return _list(row) if row else None
