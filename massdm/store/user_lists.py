"""Custom user lists and their members. (System lists live in `store.fans`: they are derived.)

A list keeps its size (`member_count`), changed by exactly the rows each write inserts or deletes,
and each member row keeps a copy of its fan's `subscribed_at`, so a list pages in the listing
order from its own index (store.fan_pages). Every membership write starts with
`fan_tallies.begin_change` for the account: that voids the account's page marks and serialises
the write with fan upserts, which update those copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, literal, select, update

from massdm.domain.smart_lists import SmartFilter, from_document, to_document
from massdm.store import fan_tallies
from massdm.store.dialect import upsert
from massdm.store.tables import fans, user_list_members, user_lists
from massdm.store.types import UTCDateTime

_IN_CHUNK = 5000


@dataclass(frozen=True)
class CustomList:
    id: int
    account_id: str
    name: str
    is_pinned_to_feed: bool
    created_at: datetime
    member_count: int = 0  # of a list of members; a smart list's is counted when read (store.smart_lists)
    filter: SmartFilter | None = None  # a smart list's; None for a list of chosen members


def _list(row) -> CustomList:  # noqa: ANN001
    values = row._mapping
    document = values["filter"]
    return CustomList(values["id"], values["account_id"], values["name"], values["is_pinned_to_feed"],
                      values["created_at"], values["member_count"],
                      None if document is None else from_document(document))


def create_list(connection: Connection, account_id: str, name: str, now: datetime,
                smart: SmartFilter | None = None) -> CustomList:
    list_id = connection.execute(
        insert(user_lists)
        .values(account_id=account_id, name=name, is_pinned_to_feed=False, created_at=now, member_count=0,
                filter=None if smart is None else to_document(smart))
        .returning(user_lists.c.id)
    ).scalar_one()
    return CustomList(list_id, account_id, name, False, now, 0, smart)


def set_filter(connection: Connection, list_id: int, smart: SmartFilter) -> None:
    """Give a smart list a new filter (a list of members never becomes one: the service checks)."""
    connection.execute(update(user_lists).where(user_lists.c.id == list_id).values(filter=to_document(smart)))


def smart_filters(connection: Connection, account_id: str, list_ids: list[int]) -> dict[int, SmartFilter]:
    """The filters of those of these lists of the account that are smart lists."""
    if not list_ids:
        return {}
    rows = connection.execute(
        select(user_lists.c.id, user_lists.c.filter)
        .where(user_lists.c.account_id == account_id, user_lists.c.id.in_(list_ids), user_lists.c.filter.is_not(None))
    ).all()
    return {row.id: from_document(row.filter) for row in rows}


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


def delete_list(connection: Connection, account_id: str, list_id: int) -> None:
    fan_tallies.begin_change(connection, account_id)  # its marks go too (SQLite may give its id to a new list)
    connection.execute(delete(user_list_members).where(user_list_members.c.list_id == list_id))
    connection.execute(delete(user_lists).where(user_lists.c.id == list_id))


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _count_in(connection: Connection, list_id: int, change: int) -> None:
    if change:
        connection.execute(
            update(user_lists).where(user_lists.c.id == list_id).values(member_count=user_lists.c.member_count + change)
        )


def add_members(connection: Connection, list_id: int, account_id: str, fan_ids: list[int], now: datetime) -> int:
    """Add fans of the account to a list; fans already in it stay as they are. Returns how many were added.

    INSERT … SELECT from the fans, so each member row copies its fan's subscribed_at as it is (no
    fan upsert can change it before this transaction ends: both hold the account's change lock).
    The count added to `member_count` is the rows actually inserted, not the ids asked for.
    """
    fan_tallies.begin_change(connection, account_id)
    added = 0
    for chunk in _chunks(list(dict.fromkeys(fan_ids))):
        source = select(
            literal(list_id, user_list_members.c.list_id.type).label("list_id"),
            fans.c.id,
            fans.c.account_id,
            literal(now, UTCDateTime()).label("added_at"),
            fans.c.subscribed_at,
        ).where(fans.c.account_id == account_id, fans.c.id.in_(chunk))
        statement = upsert(connection, user_list_members).from_select(
            ["list_id", "fan_id", "account_id", "added_at", "subscribed_at"], source
        ).on_conflict_do_nothing(index_elements=[user_list_members.c.list_id, user_list_members.c.fan_id])
        # INSERT's row count is only kept when asked for (PostgreSQL reports it, SQLAlchemy drops it by default).
        added += connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    _count_in(connection, list_id, added)
    return added


def remove_member(connection: Connection, account_id: str, list_id: int, fan_id: int) -> bool:
    fan_tallies.begin_change(connection, account_id)
    removed = connection.execute(
        delete(user_list_members).where(user_list_members.c.list_id == list_id, user_list_members.c.fan_id == fan_id)
    ).rowcount
    _count_in(connection, list_id, -removed)
    return removed > 0


def clear_members(connection: Connection, account_id: str, list_id: int) -> None:
    fan_tallies.begin_change(connection, account_id)
    removed = connection.execute(delete(user_list_members).where(user_list_members.c.list_id == list_id)).rowcount
    _count_in(connection, list_id, -removed)


_COPY_DATE = (
    update(user_list_members)
    .where(user_list_members.c.account_id == bindparam("account"), user_list_members.c.fan_id == bindparam("fan"))
    .values(subscribed_at=bindparam("at", type_=UTCDateTime()))
)


def copy_subscription_dates(connection: Connection, account_id: str, dates: dict[int, datetime]) -> None:
    """Give these fans' member rows (in every list) their fan's new subscribed_at; store.fans calls it."""
    if dates:
        connection.execute(_COPY_DATE, [{"account": account_id, "fan": f, "at": at} for f, at in dates.items()])


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
