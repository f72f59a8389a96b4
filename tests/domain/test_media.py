from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.media import clean_file_name, is_upload_id, new_upload_id, sniff, upload_cost
from tests import media_files


@pytest.mark.parametrize(
    ("head", "kind", "ext"),
    [
        (b"\x89PNG\r\n\x1a\n....", "photo", "png"),
        (b"\xff\xd8\xff\xe0..JFIF", "photo", "jpg"),
        (b"GIF89a....", "gif", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "photo", "webp"),
        (b"\x00\x00\x00\x20ftypisom....", "video", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  ....", "video", "mov"),
        (b"\x00\x00\x00\x20ftypM4A ....", "audio", "m4a"),
        (b"\x1a\x45\xdf\xa3....", "video", "webm"),
        (b"ID3\x04\x00....", "audio", "mp3"),
        (b"\xff\xfb\x90\x64....", "audio", "mp3"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio", "wav"),
        (b"fLaC....", "audio", "flac"),
    ],
)
def test_sniffing_by_signature(head, kind, ext):
    sniffed = sniff(head)
    assert sniffed is not None and (sniffed.type, sniffed.extension) == (kind, ext)


@pytest.mark.parametrize("head", [b"", b"hello world", b"%PDF-1.7", b"PK\x03\x04", b"<html>", b"\xff\xd8"])
def test_other_bytes_are_not_media(head):
    assert sniff(head) is None


def test_real_generated_files_sniff_as_what_they_are():
    assert sniff(media_files.png()[:64]).type == "photo"
    assert sniff(media_files.jpeg()[:64]).type == "photo"
    assert sniff(media_files.gif()[:64]).type == "gif"


@pytest.mark.parametrize(("size", "credits"), [(1, 3), (999_999, 3), (1_000_000, 3), (1_000_001, 6), (50_000_000, 150)])
def test_three_credits_per_started_megabyte(size, credits):
    assert upload_cost(size) == credits


def test_upload_ids():
    upload_id = new_upload_id()
    assert is_upload_id(upload_id) and len(upload_id) == len("ofapi_media_") + 32
    assert not is_upload_id("ofapi_media_XYZ") and not is_upload_id("123")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("photo.png", "photo.png"), ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\pic.jpg", "pic.jpg"),
     ("", "upload"), (None, "upload"), ("..", "upload"), (".env", "env"), ("a\x00b\nc.png", "abc.png")],
)
def test_file_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean


@given(st.text())
def test_clean_names_are_always_safe(raw):
    name = clean_file_name(raw)
    assert name and "/" not in name and "\\" not in name and "\x00" not in name and len(name) <= 255
    assert not name.startswith(".")
    name.encode("utf-8")
