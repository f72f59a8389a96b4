"""A real HTTP webhook receiver on loopback: records every request, answers from a script."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Delivered:
    path: str
    headers: dict[str, str]  # lower-cased names
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)

    @property
    def event(self) -> str:
        return self.body["event"]

    @property
    def key(self) -> str:
        return self.headers["x-ofapi-idempotency-key"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # answer only once this is set


class Receiver:
    def __init__(self) -> None:
        self.received: list[Delivered] = []
        self.script: Callable[[int, Delivered], Reply] = lambda n, d: Reply()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivered = Delivered(self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                with receiver._lock:
                    receiver.received.append(delivered)
                    reply = receiver.script(len(receiver.received), delivered)
                if reply.hold is not None:
                    reply.hold.wait(60)
                if reply.delay:
                    time.sleep(reply.delay)
                data = b'{"ok":true}'
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender gave up (timeout) or died

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self) -> list[str]:
        return [d.event for d in self.received]

    def wait_for(self, check: Callable[[list[Delivered]], bool], timeout: float = 30) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = list(self.received)
            if check(seen):
                return seen
            time.sleep(0.05)
        raise AssertionError(f"the receiver did not get what was expected; it got {[d.event for d in seen]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()
