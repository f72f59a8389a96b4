"""A real `massdm serve --sandbox` process for tests: its own database (a SQLite file in its folder, or a
PostgreSQL schema made for it), its own media folder and a free port; a team with one account and a
key of every account, made in its fresh store through massdm's services once it is up.

Its output goes to `server.log` in its folder, read by byte offset, so a test can be shown the
lines written while it ran.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from massdm.testing import postgres

TEAM_SLUG = "massdm-testing"
CREDITS = 1_000_000_000  # a reset keeps the balance: enough that no suite runs out
KEY_LIMIT_MINUTE = 1_000_000  # the key's own limits never get in a test's way (faults stand for 429s)
_STARTS = 3  # attempts at a free port: another process may take the one chosen before the server binds it


class ServerFailed(RuntimeError):
    """The server did not come up (or exited); the message holds its log."""


@dataclass(frozen=True)
class Credentials:
    api_key: str
    account: str
    team: str  # the team's slug


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _settings_env(settings: Mapping[str, str]) -> dict[str, str]:
    """`{"unsend_window_seconds": "60"}` or `{"MASSDM_UNSEND_WINDOW_SECONDS": "60"}` as environment variables."""
    env = {}
    for name, value in settings.items():
        key = name.upper()
        env[key if key.startswith("MASSDM_") else f"MASSDM_{key}"] = str(value)
    return env


class SandboxServer:
    """One `massdm serve --sandbox` on 127.0.0.1. `start()` returns once /readyz answers and the
    credentials exist; `stop()` ends the process (and drops a PostgreSQL schema it made)."""

    def __init__(self, directory: Path, *, database_url: str | None = None,
                 settings: Mapping[str, str] | None = None, startup_timeout: float = 60.0) -> None:
        """`database_url`: None for a SQLite file in `directory`, or a `postgresql://` URL of a database
        in which a schema of this server's own is created. `settings`: server settings by name
        (`webhook_retry_seconds`) or environment variable (`MASSDM_WEBHOOK_RETRY_SECONDS`)."""
        if database_url is not None and not postgres.is_postgres(database_url):
            raise ValueError("the database URL must be postgresql://…; leave it out for SQLite (a file of its own)")
        self.directory = directory
        self.log_path = directory / "server.log"
        self._postgres_url = database_url
        self._schema: str | None = None
        self._settings = dict(settings or {})
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.database_url = ""
        self.base_url = ""
        self.credentials: Credentials | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._postgres_url is not None:
            self._schema, self.database_url = postgres.create_schema(self._postgres_url)
        else:
            self.database_url = f"sqlite:///{self.directory / 'massdm.db'}"
        try:
            for attempt in range(_STARTS):
                try:
                    self._launch(_free_port())
                    break
                except ServerFailed as failed:
                    if attempt + 1 == _STARTS or "address already in use" not in str(failed).lower():
                        raise
            self.credentials = self._create_credentials()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, port: int) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("MASSDM_")}  # only what we say
        env = {
            **inherited, "PYTHONUNBUFFERED": "1",
            "MASSDM_DATABASE_URL": self.database_url, "MASSDM_HOST": "127.0.0.1", "MASSDM_PORT": str(port),
            "MASSDM_MEDIA_DIR": str(self.directory / "media"),
            **_settings_env(self._settings),
        }
        command = [sys.executable, "-m", "massdm", "serve", "--sandbox", "--allow-private-webhooks"]
        start_offset = self.log_offset()
        with open(self.log_path, "ab") as log:  # the child keeps its own handle
            self._process = subprocess.Popen(command, cwd=self.directory, env=env, stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self._startup_timeout
        with httpx.Client(timeout=1) as http:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    self._process = None
                    raise ServerFailed(f"massdm serve exited:\n{self.log_since(start_offset)}")
                try:
                    if http.get(f"{self.base_url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self._end_process()
        raise ServerFailed(f"massdm serve did not answer /readyz within {self._startup_timeout:.0f} s:\n"
                           f"{self.log_since(start_offset)}")

    def _create_credentials(self) -> Credentials:
        """A team, an account and a key in the fresh store (the server migrated it), as `massdm accounts
        create` and `massdm keys create` would make them."""
        from massdm.sandbox.clock import driven_clock
        from massdm.services import accounts
        from massdm.store.db import create_store_engine, transaction

        engine = create_store_engine(self.database_url, pool_size=2)
        try:
            now = driven_clock(engine).now()  # the store's own clock, as the server tells it
            with transaction(engine) as connection:
                team = accounts.ensure_team(connection, slug=TEAM_SLUG, name="massdm.testing", credits=CREDITS,
                                            now=now)
                account = accounts.create_account(connection, team=team, display_name="Test Creator",
                                                  username="testcreator", now=now)
                key = accounts.create_api_key(connection, team=team, name="massdm.testing", account_ids=[],
                                              limit_minute=KEY_LIMIT_MINUTE, limit_day=None, now=now)
        finally:
            engine.dispose()
        return Credentials(key.api_key, account.id, team.slug)

    def stop(self) -> None:
        self._end_process()
        if self._schema is not None and self._postgres_url is not None:
            postgres.drop_schema(self._postgres_url, self._schema)
            self._schema = None

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)  # its own session: the server and anything it forked
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # --- the log ---------------------------------------------------------------------------------

    def log_offset(self) -> int:
        """Where the log ends now: pass it to `log_since` later for what was written in between."""
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int, max_lines: int | None = None) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""
        if max_lines is not None:
            lines = text.splitlines()
            if len(lines) > max_lines:
                text = "\n".join([f"[… {len(lines) - max_lines} earlier lines in {self.log_path}]",
                                  *lines[-max_lines:]]) + "\n"
        return text
