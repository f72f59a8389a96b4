"""Vault lists: the creator's named folders of vault media, and putting media in and out of them.

A list only ever shows media still in the vault (media/deleting takes them out of every list). Media
ids a call names must all be in the account's vault, or the call is a 404 naming the others and
changes nothing; adding media already in a list, or removing media not in it, is no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.list_names import list_name
from massdm.errors import NotFound
from massdm.services import media as media_service
from massdm.store import media as media_store
from massdm.store import vault_lists as list_store
from massdm.store.media import MediaItem
from massdm.store.vault_lists import VaultList

MAX_NAME = 255
PREVIEW_MEDIA = 3  # media shown with each list (and with the whole vault), newest first


@dataclass(frozen=True)
class Contents:
    """What a list (or the whole vault) holds: counts by media type, and its newest media."""

    counts: dict[str, int]
    previews: list[MediaItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ListView:
    vault_list: VaultList
    contents: Contents


@dataclass(frozen=True)
class ListsPage:
    lists: list[ListView]
    has_more: bool
    vault: Contents  # the whole vault: the provider's `all`


def _require(connection: Connection, account_id: str, list_id: int) -> VaultList:
    found = list_store.get_list(connection, account_id, list_id)
    if found is None:
        raise NotFound(f"Vault list {list_id} was not found.")
    return found


def _views(connection: Connection, account_id: str, lists: list[VaultList], *, previews: bool) -> list[ListView]:
    ids = [v.id for v in lists]
    counts = list_store.count_by_type(connection, ids)
    newest = list_store.newest_media(connection, ids, PREVIEW_MEDIA if previews else 0)
    wanted = sorted({m for media_ids in newest.values() for m in media_ids})
    items = {m.id: m for m in media_store.media_by_ids(connection, account_id, wanted)}
    return [ListView(v, Contents(counts[v.id], [items[m] for m in newest[v.id] if m in items])) for v in lists]


def _view(connection: Connection, account_id: str, vault_list: VaultList) -> ListView:
    return _views(connection, account_id, [vault_list], previews=True)[0]


def list_lists(
    connection: Connection, account_id: str, *, query: str | None, limit: int, offset: int, previews: bool
) -> ListsPage:
    """A page of the account's lists, newest first, with the whole vault's contents; `previews`
    False leaves every preview out (the lightweight answer needs counts only)."""
    lists, has_more = list_store.page_lists(connection, account_id, query=query, limit=limit, offset=offset)
    vault_previews: list[MediaItem] = []
    if previews:
        vault_previews, _ = media_store.page_media(connection, account_id, type=None, limit=PREVIEW_MEDIA, offset=0)
    vault = Contents(media_store.count_by_type(connection, account_id), vault_previews)
    return ListsPage(_views(connection, account_id, lists, previews=previews), has_more, vault)


def get_list(connection: Connection, account_id: str, list_id: int) -> ListView:
    return _view(connection, account_id, _require(connection, account_id, list_id))


def create_list(connection: Connection, account_id: str, name: str, now: datetime) -> ListView:
    return ListView(list_store.create_list(connection, account_id, list_name(name, MAX_NAME), now), Contents({}))


def rename_list(connection: Connection, account_id: str, list_id: int, name: str) -> ListView:
    vault_list = _require(connection, account_id, list_id)
    cleaned = list_name(name, MAX_NAME)
    list_store.rename_list(connection, vault_list.id, cleaned)
    return _view(connection, account_id, VaultList(vault_list.id, account_id, cleaned, vault_list.created_at))


def delete_list(connection: Connection, account_id: str, list_id: int) -> None:
    """The list goes; its media stay in the vault."""
    media_service.vault_lock(connection, account_id)  # not while media are being added to it
    list_store.delete_list(connection, _require(connection, account_id, list_id).id)


def add_media(connection: Connection, account_id: str, list_id: int, media_ids: list[int], now: datetime) -> ListView:
    """Under the vault's lock: neither the list nor the media can be deleted between the checks and
    the insert."""
    media_service.vault_lock(connection, account_id)
    vault_list = _require(connection, account_id, list_id)
    items = media_service.vault_items(connection, account_id, media_ids)
    list_store.add_media(connection, vault_list.id, account_id, [i.id for i in items], now)
    return _view(connection, account_id, vault_list)


def remove_media(connection: Connection, account_id: str, list_id: int, media_ids: list[int]) -> ListView:
    vault_list = _require(connection, account_id, list_id)
    items = media_service.vault_items(connection, account_id, media_ids)
    list_store.remove_media(connection, vault_list.id, [i.id for i in items])
    return _view(connection, account_id, vault_list)
