"""Media on the wire (CONTRACT.md §6): the media object, the bare upload object and its status, and
the media ids a vault call names.

The upload object carries every field of the SDK's `MediaUploadResponse` under the provider's own
names (snake_case and camelCase mixed, as the provider sends them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from massdm.api.schemas.common import IdLike, WireModel, iso
from massdm.domain.media import upload_cost
from massdm.store.media import MediaItem, StoredFile
from massdm.store.vault_lists import VaultList

MAX_MEDIA_IDS = 1000  # media ids one vault call may name

UrlOf = Callable[[StoredFile], str]  # where a stored file is served, as an absolute URL


class FileOut(WireModel):
    url: str
    width: int
    height: int
    size: int


class FullFileOut(FileOut):
    sources: list[dict[str, str]] = Field(default_factory=list)


class FilesOut(WireModel):
    full: FullFileOut
    thumb: FileOut | None
    preview: FileOut | None
    square_preview: FileOut | None


class CountersOut(WireModel):
    likes_count: int = 0
    tips_summ: int = 0


class ListStateOut(WireModel):
    """A vault list the item is in (the vault shows them; the fan side never does)."""

    id: int
    type: str = "custom"
    name: str
    has_media: bool = True
    can_add_media: bool = True


class MediaOut(WireModel):
    """The provider's media object; `thumb`, `preview` and `squarePreview` are null where none exists
    (audio, or video without ffmpeg)."""

    id: int
    type: str
    converted_to_video: bool = False
    can_view: bool = True
    has_error: bool
    created_at: str
    is_ready: bool
    duration: int
    has_custom_preview: bool = False
    files: FilesOut
    video_sources: dict[str, str | None] = Field(default_factory=lambda: dict.fromkeys(("240", "720")))
    counters: CountersOut = Field(default_factory=CountersOut)
    list_states: list[ListStateOut] = Field(default_factory=list)
    has_posts: bool = False
    release_forms: list[dict[str, object]] = Field(default_factory=list)

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf, lists: list[VaultList] | None = None) -> MediaOut:
        def file_out(stored: StoredFile | None) -> FileOut | None:
            if stored is None:
                return None
            return FileOut(url=url_of(stored), width=stored.width, height=stored.height, size=stored.size)

        full = item.file("full")
        assert full is not None
        return cls(
            id=item.id,
            type=item.type,
            has_error=item.has_error,
            created_at=iso(item.created_at) or "",
            is_ready=item.is_ready,
            duration=item.duration,
            files=FilesOut(
                full=FullFileOut(url=url_of(full), width=full.width, height=full.height, size=full.size),
                thumb=file_out(item.file("thumb")),
                preview=file_out(item.file("preview")),
                square_preview=file_out(item.file("squarePreview")),
            ),
            list_states=[ListStateOut(id=v.id, name=v.name) for v in lists or ()],
        )


class MediaPageOut(WireModel):
    list: list[MediaOut]
    has_more: bool


class ThumbOut(BaseModel):
    id: int
    url: str


class UploadAdditionalOut(BaseModel):
    user: str  # the creator's OnlyFans user id, a string as the provider writes it


class UploadOut(BaseModel):
    """The bare upload object. `prefixed_id` attaches the upload to one message; `sourceUrl` is the
    uploaded file itself as stored, `host` the server that keeps it (the provider's are its own storage
    and converter). massdm processes an upload within the request, with no converter job:
    `processId` and `extra` (that job's id and opaque data) are null. massdm also files every upload
    in the vault, so `vault_id` and `media` (extras) name that vault item."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    prefixed_id: str
    file_name: str
    process_id: str | None = Field(default=None, alias="processId")
    host: str
    source_url: str = Field(alias="sourceUrl")
    extra: str | None = None
    additional: UploadAdditionalOut
    thumbs: list[ThumbOut]
    note: str
    vault_id: int
    media: MediaOut

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf, *, creator_id: int, max_bytes: int) -> UploadOut:
        media = MediaOut.of(item, url_of)
        thumb = media.files.thumb
        return cls(
            prefixed_id=item.upload_id,
            file_name=item.file_name,
            host=urlsplit(media.files.full.url).netloc,
            source_url=media.files.full.url,
            additional=UploadAdditionalOut(user=str(creator_id)),
            thumbs=[ThumbOut(id=item.id, url=thumb.url)] if thumb else [],
            note=f"Maximum file size is {max_bytes:,} bytes.",
            vault_id=item.id,
            media=media,
        )


class MediaIdsIn(WireModel):
    """`{"mediaIds": [...]}`: vault media ids, as numbers or numeric strings."""

    media_ids: Annotated[list[IdLike], Field(min_length=1, max_length=MAX_MEDIA_IDS,
                                             description=f"1 to {MAX_MEDIA_IDS} vault media ids.")]


class UploadStatusOut(BaseModel):
    """The bare status of an upload. massdm finishes every upload before answering it, so a known one
    is always `completed`, with what it cost."""

    status: Literal["completed"] = "completed"
    prefixed_id: str
    credits_used: int
    media: UploadOut  # what the upload itself answered

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf, *, creator_id: int, max_bytes: int) -> UploadStatusOut:
        return cls(prefixed_id=item.upload_id, credits_used=upload_cost(item.size),
                   media=UploadOut.of(item, url_of, creator_id=creator_id, max_bytes=max_bytes))
