"""Media on the wire (CONTRACT.md §6): the media object and the bare upload object."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from massdm.api.schemas.common import WireModel, iso
from massdm.store.media import MediaItem, StoredFile

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
    list_states: list[dict[str, object]] = Field(default_factory=list)
    has_posts: bool = False
    release_forms: list[dict[str, object]] = Field(default_factory=list)

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf) -> MediaOut:
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
        )


class MediaPageOut(WireModel):
    list: list[MediaOut]
    has_more: bool


class ThumbOut(BaseModel):
    id: int
    url: str


class UploadOut(BaseModel):
    """The bare upload object. `prefixed_id` attaches the upload to one message; massdm also files
    every upload in the vault, so `vault_id` and `media` (extras) name that vault item."""

    prefixed_id: str
    file_name: str
    thumbs: list[ThumbOut]
    source_url: str | None
    vault_id: int
    media: MediaOut

    @classmethod
    def of(cls, item: MediaItem, url_of: UrlOf, source_url: str | None) -> UploadOut:
        media = MediaOut.of(item, url_of)
        thumb = media.files.thumb
        return cls(
            prefixed_id=item.upload_id,
            file_name=item.file_name,
            thumbs=[ThumbOut(id=item.id, url=thumb.url)] if thumb else [],
            source_url=source_url,
            vault_id=item.id,
            media=media,
        )
