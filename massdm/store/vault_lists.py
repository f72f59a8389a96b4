"""Vault lists (the creator's folders of vault media) and which media each holds.

A list holds only media still in the vault: deleting media from the vault deletes its rows here
(`drop_media`), and every read joins the media and leaves deleted ones out as well, so a row left
by a write racing a deletion is never shown. Counts and previews are computed per page of lists,
in one grouped query and one windowed query, however many lists the page has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from massdm.store.dialect import upsert
from massdm.store.tables import media, vault_list_media, vault_lists
from massdm.store.types import UTCDateTime


@dataclass(frozen=True)
class VaultList:
    id: int
    account_id: str
    name: str
    created_at: datetime


def _list(row) -> VaultList:  # noqa: ANN001
    return VaultList(**row._mapping)


def create_list(connection: Connection, account_id: str, name: str, now: datetime) -> VaultList:
    list_id = connection.execute(
        insert(vault_lists).values(account_id=account_id, name=name, created_at=now).returning(vault_lists.c.id)
    ).scalar_one()
    return VaultList(list_id, account_id, name, now)


def get_list(connection: Connection, account_id: str, list_id: int) -> VaultList | None:
    row = connection.execute(
        select(vault_lists).where(vault_lists.c.account_id == account_id, vault_lists.c.id == list_id)
    ).first()
    return _list(row) if row else None


def page_lists(
    connection: Connection, account_id: str, *, query: str | None, limit: int, offset: int
) -> tuple[list[VaultList], bool]:
    """The account's lists, newest first, whose name contains `query` (any case) if given."""
    statement = select(vault_lists).where(vault_lists.c.account_id == account_id)
    if query:
        statement = statement.where(func.lower(vault_lists.c.name).contains(query.lower(), autoescape=True))
    rows = connection.execute(statement.order_by(vault_lists.c.id.desc()).limit(limit + 1).offset(offset)).all()
    return [_list(r) for r in rows[:limit]], len(rows) > limit


def rename_list(connection: Connection, list_id: int, name: str) -> None:
    connection.execute(update(vault_lists).where(vault_lists.c.id == list_id).values(name=name))


def delete_list(connection: Connection, list_id: int) -> None:
    """The list and its rows of media; the media stay in the vault."""
    connection.execute(delete(vault_list_media).where(vault_list_media.c.list_id == list_id))
    connection.execute(delete(vault_lists).where(vault_lists.c.id == list_id))


def add_media(connection: Connection, list_id: int, account_id: str, media_ids: list[int], now: datetime) -> int:
    """Put vault media of the account in a list; media already in it stay as they are, deleted media
    are never added (INSERT … SELECT from the vault). Returns how many were added."""
    if not media_ids:
        return 0
    source = select(
        literal(list_id, vault_list_media.c.list_id.type).label("list_id"),
        media.c.id,
        literal(now, UTCDateTime()).label("added_at"),
    ).where(media.c.account_id == account_id, media.c.id.in_(media_ids), media.c.deleted_at.is_(None))
    statement = upsert(connection, vault_list_media).from_select(
        ["list_id", "media_id", "added_at"], source
    ).on_conflict_do_nothing(index_elements=[vault_list_media.c.list_id, vault_list_media.c.media_id])
    return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def remove_media(connection: Connection, list_id: int, media_ids: list[int]) -> int:
    """Take media out of a list (not out of the vault); returns how many were in it."""
    if not media_ids:
        return 0
    return connection.execute(
        delete(vault_list_media).where(vault_list_media.c.list_id == list_id,
                                       vault_list_media.c.media_id.in_(media_ids))
    ).rowcount


def lists_holding(connection: Connection, media_ids: list[int]) -> dict[int, list[VaultList]]:
    """For each media item, the lists it is in, oldest list first (every item named has an entry)."""
    holding: dict[int, list[VaultList]] = {media_id: [] for media_id in media_ids}
    if not media_ids:
        return holding
    rows = connection.execute(
        select(vault_list_media.c.media_id, *vault_lists.c)
        .join(vault_lists, vault_lists.c.id == vault_list_media.c.list_id)
        .where(vault_list_media.c.media_id.in_(media_ids))
        .order_by(vault_lists.c.id)
    ).all()
    for row in rows:
        values = dict(row._mapping)
        holding[values.pop("media_id")].append(VaultList(**values))
    return holding


def drop_media(connection: Connection, media_ids: list[int]) -> None:
    """Take media out of every list (they were deleted from the vault)."""
    if media_ids:
        connection.execute(delete(vault_list_media).where(vault_list_media.c.media_id.in_(media_ids)))


def _members(list_ids: list[int]):  # noqa: ANN202 - a join both readers below start from
    return (
        select(vault_list_media.c.list_id, media.c.id.label("media_id"), media.c.type)
        .join(media, media.c.id == vault_list_media.c.media_id)
        .where(vault_list_media.c.list_id.in_(list_ids), media.c.deleted_at.is_(None))
    )


def count_by_type(connection: Connection, list_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each list, how many media of each type it holds (every list named has an entry)."""
    counts: dict[int, dict[str, int]] = {list_id: {} for list_id in list_ids}
    if not list_ids:
        return counts
    members = _members(list_ids).subquery()
    rows = connection.execute(
        select(members.c.list_id, members.c.type, func.count()).group_by(members.c.list_id, members.c.type)
    ).all()
    for list_id, kind, count in rows:
        counts[list_id][kind] = count
    return counts


def newest_media(connection: Connection, list_ids: list[int], per_list: int) -> dict[int, list[int]]:
    """For each list, the ids of the `per_list` media added to it last, newest first."""
    newest: dict[int, list[int]] = {list_id: [] for list_id in list_ids}
    if not list_ids or per_list < 1:
        return newest
    rank = func.row_number().over(
        partition_by=vault_list_media.c.list_id,
        order_by=(vault_list_media.c.added_at.desc(), vault_list_media.c.media_id.desc()),
    )
    ranked = _members(list_ids).add_columns(rank.label("rank")).subquery()
    rows = connection.execute(
        select(ranked.c.list_id, ranked.c.media_id).where(ranked.c.rank <= per_list)
        .order_by(ranked.c.list_id, ranked.c.rank)
    ).all()
    for list_id, media_id in rows:
        newest[list_id].append(media_id)
    return newest
