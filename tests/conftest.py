"""Shared fixtures: a real database per test (SQLite file or PostgreSQL schema), the real ASGI app,
real server processes. tests/backends.py says which backend the run uses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.clock import ManualClock, SystemClock
from massdm.config import Settings
from massdm.services import accounts as account_service
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.teams import Team
from massdm.webhooks.receiver import Received, Reply, WebhookReceiver
from tests.backends import ON_POSTGRES, database_url, drop_created, redis_env, redis_settings

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


@event.listens_for(Engine, "engine_connect")
def _remember(connection) -> None:
    _engines.add(connection.engine)


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Every engine a test opened gives its connections back (PostgreSQL allows only so many)."""
    yield
    for engine in list(_engines):
        engine.dispose()
    _engines.clear()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    drop_created()


@dataclass
class Caller:
    """An API key and the account it is meant for, ready to make requests."""

    api_key: str
    account: str
    team: Team
    extra_accounts: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


class World:
    """Creates teams, accounts and keys straight through the services, in the test's database."""

    def __init__(self, engine, clock) -> None:
        self.engine = engine
        self.clock = clock
        self._teams = 0

    def team(self, credits: int = 1_000_000) -> Team:
        self._teams += 1
        with transaction(self.engine) as c:
            return account_service.ensure_team(
                c, slug=f"team-{self._teams}-{time.monotonic_ns()}", name=f"Team {self._teams}", credits=credits,
                now=self.clock.now(),
            )

    def account(self, team: Team, name: str = "Creator") -> str:
        with transaction(self.engine) as c:
            now = self.clock.now()
            return account_service.create_account(c, team=team, display_name=name, username=None, now=now).id

    def key(
        self,
        team: Team,
        accounts: list[str] | None = None,
        *,
        limit_minute: int = 1000,
        limit_day: int | None = 50_000,
        name: str = "test key",
    ) -> str:
        with transaction(self.engine) as c:
            return account_service.create_api_key(
                c, team=team, name=name, account_ids=accounts or [], limit_minute=limit_minute,
                limit_day=limit_day, now=self.clock.now(),
            ).api_key

    def caller(self, *, credits: int = 1_000_000, limit_minute: int = 1000, limit_day: int | None = 50_000) -> Caller:
        team = self.team(credits)
        account = self.account(team)
        return Caller(self.key(team, limit_minute=limit_minute, limit_day=limit_day), account, team)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The delivery worker does not run on its own in API tests: tests drive it step by step.
    return Settings(
        database_url=database_url(tmp_path), public_url="http://massdm.test",
        media_dir=tmp_path / "media", worker_enabled=False, **redis_settings(),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(settings: Settings, clock: ManualClock):
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(app) -> World:
    return World(state_of(app).engine, state_of(app).clock)


@pytest.fixture
def caller(world: World) -> Caller:
    return world.caller()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    database_url: str
    process: subprocess.Popen  # `massdm serve` (with several API processes: their supervisor)
    world: World
    workers: list[subprocess.Popen] = field(default_factory=list)  # `massdm worker` processes

    def stop(self) -> None:
        for process in (self.process, *self.workers):
            _signal_group(process, signal.SIGTERM)
        for process in (self.process, *self.workers):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(15)

    def kill(self) -> None:
        """SIGKILL every process of the deployment at once (API processes of --workers N included):
        a crash, nothing cleaned up."""
        for process in (self.process, *self.workers):
            _signal_group(process, signal.SIGKILL)
        for process in (self.process, *self.workers):
            process.wait(15)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the process and, if it leads a group of its own (start_server starts them so), the
    API processes it forked."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        pass


def start_server(
    directory: Path, env_extra: dict[str, str] | None = None, *, api_processes: int | None = None,
    workers: int | None = None, port: int | None = None,
) -> Server:
    """A running massdm deployment on the database of `directory` (fresh the first time; started
    again on the same directory, it finds what the last one left); waits until /readyz answers.

    On the embedded default: one `massdm serve` with its in-process worker. On PostgreSQL +
    Redis (the scale run) by default the scaled-out shape: `massdm serve --workers 2` plus
    two `massdm worker` processes.
    """
    api_processes = api_processes or (2 if ON_POSTGRES else 1)
    workers = (2 if ON_POSTGRES else 0) if workers is None else workers
    port = port or free_port()
    url = database_url(directory, "server")
    env = {
        **os.environ, "MASSDM_DATABASE_URL": url, "MASSDM_PORT": str(port),
        "MASSDM_MEDIA_DIR": str(directory / "media"), **redis_env(),
        **({"MASSDM_WORKER_ENABLED": "false", "MASSDM_WORKER_POLL_SECONDS": "0.2"} if workers else {}),
        **(env_extra or {}),
    }
    log = open(directory / "server.log", "ab")  # noqa: SIM115 - closed with the process; a restart appends
    processes = ["--workers", str(api_processes)] if api_processes > 1 else []
    command = [sys.executable, "-m", "massdm", "serve", *processes]
    process = subprocess.Popen(command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(directory / 'server.log').read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("server did not come up")
    worker_processes = [
        subprocess.Popen([sys.executable, "-m", "massdm", "worker", "--name", f"worker-{n}"], cwd=directory, env=env,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for n in range(workers)
    ]
    engine = create_store_engine(url)
    migrate(engine)
    return Server(base_url, url, process, World(engine, SystemClock()), worker_processes)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


class Receiver:
    """massdm's own webhook receiver (`massdm webhooks listen`) on loopback, keeping every delivery;
    set `script` to choose each reply (from the delivery's number, 1-based)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._server = WebhookReceiver("127.0.0.1", 0, on_delivery=self.received.append)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self._server.url}/hook"

    @property
    def script(self) -> Callable[[int, Received], Reply] | None:
        return self._server.answer

    @script.setter
    def script(self, answer: Callable[[int, Received], Reply]) -> None:
        self._server.answer = answer

    def events(self) -> list[str | None]:
        return [d.event for d in self.received]

    def wait_for(self, check: Callable[[list[Received]], bool], timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            seen = list(self.received)
            if check(seen):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver did not get what was expected; it got {[d.event for d in seen]}")
            time.sleep(0.05)

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()
