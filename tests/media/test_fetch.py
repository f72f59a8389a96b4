"""`fetch_to` against real HTTP servers: it connects to the address it checked, on every hop, never
through a proxy named in the environment, and gives up when the whole download overruns its deadline."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from massdm.media.fetch import FetchRefused, fetch_to


@dataclass
class Site:
    """A real HTTP server that answers every GET with `body`, and records (path, Host header) of each."""

    body: bytes
    port: int = 0
    seen: list[tuple[str, str]] = field(default_factory=list)


def _start(address: str, site: Site) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.seen.append((self.path, self.headers.get("Host", "")))
            if self.path.startswith("/redirect/"):  # one hop, to the rest of the path
                self._redirect("/" + self.path.removeprefix("/redirect/"))
            elif self.path.startswith("/slow/"):  # /slow/N: 0.4 s, then on to /slow/N-1, until /slow/0
                time.sleep(0.4)
                left = int(self.path.removeprefix("/slow/"))
                self._redirect(f"/slow/{left - 1}" if left > 1 else "/file.bin")
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

        def _redirect(self, where: str) -> None:
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((address, site.port), Handler)
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def serve() -> Iterator[Callable[[str, Site], Site]]:
    servers: list[ThreadingHTTPServer] = []

    def start(address: str, site: Site) -> Site:
        servers.append(_start(address, site))
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rebinding(serve):
    """`localhost` two ways: the system says 127.0.0.1 (where `other` listens), the test's resolver
    says 127.0.0.2 (where `checked` listens, on the same port). Whatever resolves the name a second
    time, after the check, reaches `other`."""
    other = serve("127.0.0.1", Site(b"from a rebound address"))
    checked = serve("127.0.0.2", Site(b"from the checked address", port=other.port))
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.2"]

    return checked, other, resolve, asked


def _fetch(url: str, target: Path, *, timeout: float = 10, resolve=None) -> int:
    extra = {"resolve": resolve} if resolve else {}
    return asyncio.run(fetch_to(url, target, max_bytes=1000, allow_private=True, timeout=timeout, **extra))


def test_the_download_comes_from_the_checked_address_not_a_second_lookup(rebinding, tmp_path):
    checked, other, resolve, asked = rebinding
    size = _fetch(f"http://localhost:{checked.port}/file.bin", tmp_path / "got", resolve=resolve)
    assert (tmp_path / "got").read_bytes() == b"from the checked address" and size == 24
    assert checked.seen == [("/file.bin", f"localhost:{checked.port}")]  # the host is still named as usual
    assert other.seen == [] and asked == ["localhost"]


def test_every_redirect_hop_is_checked_and_pinned(rebinding, tmp_path):
    checked, other, resolve, asked = rebinding
    _fetch(f"http://localhost:{checked.port}/redirect/redirect/file.bin", tmp_path / "got", resolve=resolve)
    assert (tmp_path / "got").read_bytes() == b"from the checked address"
    host = f"localhost:{checked.port}"
    assert checked.seen == [("/redirect/redirect/file.bin", host), ("/redirect/file.bin", host), ("/file.bin", host)]
    assert other.seen == [] and asked == ["localhost"] * 3


def test_proxy_environment_variables_are_ignored(serve, tmp_path, monkeypatch):
    origin = serve("127.0.0.1", Site(b"from the origin"))
    proxy = serve("127.0.0.1", Site(b"from the proxy"))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    _fetch(f"http://127.0.0.1:{origin.port}/file.bin", tmp_path / "got")
    assert (tmp_path / "got").read_bytes() == b"from the origin"
    assert origin.seen == [("/file.bin", f"127.0.0.1:{origin.port}")] and proxy.seen == []


def test_the_timeout_is_one_deadline_across_redirect_hops(serve, tmp_path):
    site = serve("127.0.0.1", Site(b"late"))
    started = time.monotonic()
    with pytest.raises(FetchRefused) as refused:  # 5 hops of 0.4 s each: every step is quick, the whole is not
        _fetch(f"http://127.0.0.1:{site.port}/slow/5", tmp_path / "got", timeout=1)
    assert time.monotonic() - started < 1.8
    assert str(refused.value) == "file_url did not finish downloading within 1 second."
    assert ("/file.bin", f"127.0.0.1:{site.port}") not in site.seen
