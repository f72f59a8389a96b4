"""Media items (the vault) and their stored files.

An item deleted from the vault keeps its row and files (`deleted_at` set): the messages that hold it
still show it. Vault pages and counts leave it out; reads by id return it, marked, for callers to judge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from massdm.store.hot import HotStatement
from massdm.store.tables import media, media_files, vault_list_media


@dataclass(frozen=True)
class StoredFile:
    variant: str
    storage_key: str
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class MediaItem:
    id: int
    account_id: str
    upload_id: str
    type: str
    mime: str
    file_name: str
    size: int
    width: int
    height: int
    duration: int
    is_ready: bool
    has_error: bool
    created_at: datetime
    upload_claimed_at: datetime | None
    upload_claimed_by: int | None
    deleted_at: datetime | None = None
    files: tuple[StoredFile, ...] = ()

    @property
    def in_vault(self) -> bool:
        return self.deleted_at is None

    def file(self, variant: str) -> StoredFile | None:
        return next((f for f in self.files if f.variant == variant), None)


_COLUMNS = (
    media.c.id, media.c.account_id, media.c.upload_id, media.c.type, media.c.mime, media.c.file_name,
    media.c.size, media.c.width, media.c.height, media.c.duration, media.c.is_ready, media.c.has_error,
    media.c.created_at, media.c.upload_claimed_at, media.c.upload_claimed_by, media.c.deleted_at,
)


_FILES_OF = HotStatement(select(
    media_files.c.media_id, media_files.c.variant, media_files.c.storage_key, media_files.c.width,
    media_files.c.height, media_files.c.size,
).where(media_files.c.media_id.in_(bindparam("media_ids", expanding=True))))
_ACCOUNT_MEDIA = HotStatement(select(*_COLUMNS).where(
    media.c.account_id == bindparam("account_id"), media.c.id.in_(bindparam("media_ids", expanding=True))
))


def insert_media(
    connection: Connection,
    *,
    account_id: str,
    upload_id: str,
    type: str,  # noqa: A002 - the contract's word
    mime: str,
    file_name: str,
    width: int,
    height: int,
    duration: int,
    files: list[StoredFile],
    now: datetime,
) -> int:
    full = next(f for f in files if f.variant == "full")
    media_id = connection.execute(
        insert(media)
        .values(
            account_id=account_id, upload_id=upload_id, type=type, mime=mime, file_name=file_name, size=full.size,
            width=width, height=height, duration=duration, is_ready=True, has_error=False, created_at=now,
        )
        .returning(media.c.id)
    ).scalar_one()
    connection.execute(
        insert(media_files),
        [{"media_id": media_id, "variant": f.variant, "storage_key": f.storage_key, "width": f.width,
          "height": f.height, "size": f.size} for f in files],
    )
    return media_id


def _with_files(connection: Connection, rows) -> list[MediaItem]:  # noqa: ANN001
    items = [MediaItem(**row._mapping) for row in rows]
    if not items:
        return []
    by_media: dict[int, list[StoredFile]] = {}
    for row in _FILES_OF.all(connection, media_ids=[i.id for i in items]):
        file = dict(row._mapping)
        by_media.setdefault(file.pop("media_id"), []).append(StoredFile(**file))
    return [replace(i, files=tuple(by_media.get(i.id, ()))) for i in items]


def page_media(
    connection: Connection,
    account_id: str,
    *,
    type: str | None,  # noqa: A002
    limit: int,
    offset: int,
    newest_first: bool = True,
    in_list: int | None = None,
) -> tuple[list[MediaItem], bool]:
    """Vault items (not deleted) in upload order (newest first by default), only those of vault list
    `in_list` if given; and whether more follow."""
    statement = select(*_COLUMNS).where(media.c.account_id == account_id, media.c.deleted_at.is_(None))
    if type is not None:
        statement = statement.where(media.c.type == type)
    if in_list is not None:
        statement = statement.join(vault_list_media, vault_list_media.c.media_id == media.c.id).where(
            vault_list_media.c.list_id == in_list)
    order = media.c.id.desc() if newest_first else media.c.id.asc()
    rows = connection.execute(statement.order_by(order).limit(limit + 1).offset(offset)).all()
    return _with_files(connection, rows[:limit]), len(rows) > limit


def count_by_type(connection: Connection, account_id: str) -> dict[str, int]:
    """How many items of each type the vault holds (deleted ones left out)."""
    rows = connection.execute(
        select(media.c.type, func.count())
        .where(media.c.account_id == account_id, media.c.deleted_at.is_(None))
        .group_by(media.c.type)
    ).all()
    return {kind: count for kind, count in rows}


def get_media(connection: Connection, account_id: str, media_id: int) -> MediaItem | None:
    rows = connection.execute(select(*_COLUMNS).where(media.c.account_id == account_id, media.c.id == media_id)).all()
    items = _with_files(connection, rows)
    return items[0] if items else None


def media_by_ids(connection: Connection, account_id: str, media_ids: list[int]) -> list[MediaItem]:
    if not media_ids:
        return []
    rows = _ACCOUNT_MEDIA.all(connection, account_id=account_id, media_ids=media_ids)
    return _with_files(connection, rows)


def media_by_upload_ids(connection: Connection, account_id: str, upload_ids: list[str]) -> list[MediaItem]:
    if not upload_ids:
        return []
    rows = connection.execute(
        select(*_COLUMNS).where(media.c.account_id == account_id, media.c.upload_id.in_(upload_ids))
    ).all()
    return _with_files(connection, rows)


def claim_uploads(
    connection: Connection, account_id: str, upload_ids: list[str], message_id: int, now: datetime
) -> list[str]:
    """Attach upload ids to a message; returns the ones it now holds.

    Only unclaimed ids (or ids this message already holds) are taken, in one statement, so
    two messages racing for the same upload cannot both get it.
    """
    if not upload_ids:
        return []
    claimed = connection.execute(
        update(media)
        .where(
            media.c.account_id == account_id,
            media.c.upload_id.in_(upload_ids),
            or_(media.c.upload_claimed_by.is_(None), media.c.upload_claimed_by == message_id),
        )
        .values(upload_claimed_at=func.coalesce(media.c.upload_claimed_at, now), upload_claimed_by=message_id)
        .returning(media.c.upload_id)
    ).scalars()
    return list(claimed)


def release_uploads(connection: Connection, message_id: int, keep: list[str]) -> None:
    """Free the upload ids a message held but no longer uses (after an edit)."""
    statement = update(media).where(media.c.upload_claimed_by == message_id)
    if keep:
        statement = statement.where(media.c.upload_id.not_in(keep))
    connection.execute(statement.values(upload_claimed_by=None, upload_claimed_at=None))


def mark_deleted(connection: Connection, account_id: str, media_ids: list[int], now: datetime) -> list[int]:
    """Take items out of the vault (their rows and files stay for the messages that hold them);
    returns the ids this call deleted. One guarded statement: an item is deleted once."""
    if not media_ids:
        return []
    deleted = connection.execute(
        update(media)
        .where(media.c.account_id == account_id, media.c.id.in_(media_ids), media.c.deleted_at.is_(None))
        .values(deleted_at=now)
        .returning(media.c.id)
    ).scalars()
    return list(deleted)


def set_ready(connection: Connection, media_id: int, ready: bool) -> None:
    connection.execute(update(media).where(media.c.id == media_id).values(is_ready=ready))
