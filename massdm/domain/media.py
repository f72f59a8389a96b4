"""Media rules: what a file is (from its bytes), what an upload costs, what its id and name look like."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from massdm.domain.ids import is_random_id, new_random_id

MediaType = Literal["photo", "gif", "video", "audio"]

UPLOAD_PREFIX = "ofapi_media_"
BYTES_PER_MB = 1_000_000  # the contract's 1 MB = 1,000 KB
CREDITS_PER_MB = 3
SNIFF_BYTES = 64

THUMB_SIZE = 300
PREVIEW_MAX_WIDTH = 960
SQUARE_PREVIEW_SIZE = 960


@dataclass(frozen=True)
class Sniffed:
    type: MediaType
    extension: str
    mime: str


def upload_cost(size: int) -> int:
    """3 credits per started MB: 1 byte costs 3, 1,000,001 bytes cost 6."""
    return CREDITS_PER_MB * max(1, math.ceil(size / BYTES_PER_MB))


def new_upload_id() -> str:
    return new_random_id(UPLOAD_PREFIX)


def is_upload_id(value: str) -> bool:
    return is_random_id(value, UPLOAD_PREFIX)


def sniff(head: bytes) -> Sniffed | None:
    """The media type from a file's first bytes (its signature), never from its name.

    Images are confirmed later by actually decoding them; this only decides which
    decoder to trust.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("photo", "png", "image/png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("photo", "jpg", "image/jpeg")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("gif", "gif", "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("photo", "webp", "image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "wav", "audio/wav")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi", "video/x-msvideo")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return Sniffed("audio", "m4a", "audio/mp4")
        if brand == b"qt  ":
            return Sniffed("video", "mov", "video/quicktime")
        return Sniffed("video", "mp4", "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "webm", "video/webm")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 in (0xE2, 0xE4, 0xE6)):
        return Sniffed("audio", "mp3", "audio/mpeg")
    if head.startswith(b"fLaC"):
        return Sniffed("audio", "flac", "audio/flac")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "ogg", "audio/ogg")
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_file_name(raw: str | None, fallback: str = "upload") -> str:
    """The name a client gave its file, safe to show back: no directories, no control characters.

    It is only ever metadata; stored files are named by massdm, never by the client.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", _UNSAFE.sub("", name)).strip().lstrip(".")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "replace").decode("utf-8")
    return name[:255] or fallback
