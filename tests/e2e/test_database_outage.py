"""The database stops answering under a running server: 503 with Retry-After, then service again by itself.

PostgreSQL: the server reaches it through a TCP relay of the test's own, which the test cuts
(every connection dropped, new ones refused) and later restores on the same port. SQLite: another
process holds the write lock past the busy timeout; every call that must write (a charge is a
write) is 503 meanwhile, and the process stays alive.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from massdm.store import teams as team_store
from tests.backends import ON_POSTGRES, database_url
from tests.conftest import free_port, start_server


class Relay:
    """A TCP relay to PostgreSQL that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread, frees the port
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.netloc.rpartition('@')[0]}@127.0.0.1:{port}"))


def _until_ok(call, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = call()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.25)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.skipif(not ON_POSTGRES, reason="the PostgreSQL half of this promise; the SQLite half is below")
def test_postgresql_gone_is_a_503_and_service_resumes_by_itself(tmp_path):
    direct = database_url(tmp_path, "server")
    parts = urlsplit(direct)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relay.start()
    server = start_server(tmp_path, {"MASSDM_DATABASE_URL": _through(direct, relay.port),
                                     "MASSDM_OVERLOAD_WAIT_SECONDS": "2"}, api_processes=1, workers=0)
    try:
        caller = server.world.caller()
        api = httpx.Client(base_url=server.base_url, headers=caller.headers, timeout=30)
        assert api.get(f"/api/{caller.account}/user-lists").status_code == 200
        with server.world.engine.connect() as connection:
            balance = team_store.get_balance(connection, caller.team.id)

        relay.cut()
        started = time.monotonic()
        for _ in range(5):
            _assert_unavailable(api.get(f"/api/{caller.account}/user-lists"))
            _assert_unavailable(api.post(f"/api/{caller.account}/user-lists", json={"name": "lost"}))
        assert time.monotonic() - started < 60
        assert api.get("/healthz").status_code == 200
        assert api.get("/readyz").status_code == 503

        relay.start()
        created = _until_ok(lambda: api.post(f"/api/{caller.account}/user-lists", json={"name": "after"}))
        assert created.status_code == 200 and created.json()["data"]["name"] == "after"
        with server.world.engine.connect() as connection:
            assert team_store.get_balance(connection, caller.team.id) == balance - 1  # only the call that worked
        api.close()
    finally:
        server.stop()
        relay.cut()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite half of this promise; the PostgreSQL half is above")
def test_sqlite_locked_past_the_busy_timeout_is_a_503_for_writes_while_reads_go_on(tmp_path):
    server = start_server(tmp_path, {"MASSDM_SQLITE_BUSY_TIMEOUT_MS": "300"}, api_processes=1, workers=0)
    try:
        caller = server.world.caller()
        api = httpx.Client(base_url=server.base_url, headers=caller.headers, timeout=30)
        assert api.post(f"/api/{caller.account}/user-lists", json={"name": "before"}).status_code == 200

        holder = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=5)
        holder.execute("BEGIN IMMEDIATE")  # another process sits on the write lock
        try:
            _assert_unavailable(api.post(f"/api/{caller.account}/user-lists", json={"name": "blocked"}))
            # A metered read reads without the lock, but its charge needs it: unavailable too, and uncharged.
            _assert_unavailable(api.get(f"/api/{caller.account}/user-lists/fans"))
            assert api.get("/healthz").status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        created = _until_ok(lambda: api.post(f"/api/{caller.account}/user-lists", json={"name": "after"}))
        assert created.status_code == 200
        names = [item["name"] for item in api.get(f"/api/{caller.account}/user-lists?limit=50").json()["data"]]
        assert "blocked" not in names and {"before", "after"} <= set(names)
        api.close()
    finally:
        server.stop()
