"""A 50 MB upload must not grow the server's memory by anything like 50 MB: it streams to disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import media_files
from tests.conftest import Server, start_server

FIFTY_MB = 50 * 1_000_000
CHUNK = 1 << 20


def peak_rss_bytes(pid: int) -> int:
    """The process's high-water mark of resident memory (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def streamed_upload(head: bytes, total: int, boundary: str = "massdmboundary") -> Iterator[bytes]:
    """A multipart body with one `file` part of `total` bytes, produced chunk by chunk."""
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n"
           f"Content-Type: video/mp4\r\n\r\n").encode()
    yield head
    remaining = total - len(head)
    zeros = b"\0" * CHUNK
    while remaining > 0:
        piece = zeros[: min(CHUNK, remaining)]
        remaining -= len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def upload(server, caller, head: bytes, total: int) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/{caller.account}/media/upload",
        headers={**caller.headers, "Content-Type": "multipart/form-data; boundary=massdmboundary"},
        content=streamed_upload(head, total),
        timeout=120,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One API process, so its memory is the memory measured."""
    running = start_server(tmp_path_factory.mktemp("memory"), api_processes=1, workers=0)
    yield running
    running.stop()


def test_fifty_megabyte_upload_streams_to_disk(server, tmp_path):
    caller = server.world.caller()
    clip = media_files.mp4(tmp_path, seconds=1)
    warm = upload(server, caller, clip, 2 * 1_000_000)  # load every code path once
    assert warm.status_code == 200, warm.text
    before = peak_rss_bytes(server.process.pid)

    response = upload(server, caller, clip, FIFTY_MB)
    assert response.status_code == 200, response.text
    full = response.json()["media"]["files"]["full"]
    assert full["size"] == FIFTY_MB
    growth = peak_rss_bytes(server.process.pid) - before
    print(f"peak RSS growth during a 50 MB upload: {growth / 1_000_000:.1f} MB")
    assert growth < 15 * 1_000_000, f"server memory grew by {growth / 1_000_000:.1f} MB"
