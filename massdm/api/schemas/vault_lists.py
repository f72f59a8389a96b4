"""Vault lists on the wire (the SDK's `media.vault.lists`): a list with its counts and newest media,
the page of lists with the whole vault (`all`), and the lightweight page of names and counts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from massdm.api.schemas.common import Text, WireModel
from massdm.api.schemas.media import UrlOf
from massdm.services.vault_lists import MAX_NAME, Contents, ListsPage, ListView
from massdm.store.media import MediaItem

CUSTOM = "custom"  # the provider's type of a list the creator made (its own folders have others)
ORDER, SORT = "recent", "desc"  # lists come newest first


class ListMediaOut(WireModel):
    """A list's preview of one media item: its type and a URL to show (the thumbnail where there is one)."""

    type: str
    url: str

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf) -> ListMediaOut:
        shown = item.file("thumb") or item.file("full")
        assert shown is not None
        return cls(type=item.type, url=url_of(shown))


class VaultContentsOut(WireModel):
    """What a list, or the whole vault (the page's `all`), holds: counts by type and the newest items."""

    videos_count: int
    photos_count: int
    gifs_count: int
    audios_count: int
    medias: list[ListMediaOut]

    @classmethod
    def fields_of(cls, contents: Contents, url_of: UrlOf) -> dict[str, Any]:
        counts = contents.counts
        return {"videos_count": counts.get("video", 0), "photos_count": counts.get("photo", 0),
                "gifs_count": counts.get("gif", 0), "audios_count": counts.get("audio", 0),
                "medias": [ListMediaOut.of(i, url_of) for i in contents.previews]}


class VaultAllOut(VaultContentsOut):
    """The whole vault: every item in it, in lists or not."""

    @classmethod
    def of(cls, contents: Contents, url_of: UrlOf) -> VaultAllOut:
        return cls(**cls.fields_of(contents, url_of))


class VaultListOut(VaultContentsOut):
    id: int
    type: str = CUSTOM
    name: str
    has_media: bool
    can_update: bool = True
    can_delete: bool = True

    @classmethod
    def of(cls, view: ListView, url_of: UrlOf) -> VaultListOut:
        return cls(id=view.vault_list.id, name=view.vault_list.name, has_media=view.contents.total > 0,
                   **cls.fields_of(view.contents, url_of))


class VaultListsPageOut(WireModel):
    list: list[VaultListOut]
    all: VaultAllOut
    has_more: bool
    can_create_vault_lists: bool = True
    order: str = ORDER
    sort: str = SORT

    @classmethod
    def of(cls, page: ListsPage, url_of: UrlOf) -> VaultListsPageOut:
        return cls(list=[VaultListOut.of(v, url_of) for v in page.lists], all=VaultAllOut.of(page.vault, url_of),
                   has_more=page.has_more)


class VaultListBriefOut(WireModel):
    id: int
    name: str
    type: str = CUSTOM
    can_update: bool = True
    media_count: int


class VaultAllBriefOut(WireModel):
    media_count: int


class VaultListsBriefPageOut(WireModel):
    """`lightweight=true`: names and one count per list, no previews."""

    list: list[VaultListBriefOut]
    all: VaultAllBriefOut
    has_more: bool
    can_create_vault_lists: bool = True
    order: str = ORDER
    sort: str = SORT

    @classmethod
    def of(cls, page: ListsPage) -> VaultListsBriefPageOut:
        lists = [VaultListBriefOut(id=v.vault_list.id, name=v.vault_list.name, media_count=v.contents.total)
                 for v in page.lists]
        return cls(list=lists, all=VaultAllBriefOut(media_count=page.vault.total), has_more=page.has_more)


class VaultListIn(WireModel):
    name: Annotated[Text, Field(min_length=1, max_length=MAX_NAME, description=f"At most {MAX_NAME} characters.")]
