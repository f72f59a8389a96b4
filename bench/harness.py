"""What the benchmarks stand on: real `massdm serve` processes, worlds written set-based, wrk, RSS.

Every benchmark compares massdm with a baseline measured in the same run on the same machine,
because absolute times on shared machines drift; only the ratios are reported as results.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, bindparam, create_engine, text

from massdm.services import accounts as account_service
from massdm.store import fan_tallies
from massdm.store.db import create_store_engine, migrate, normalise_url, transaction
from massdm.store.types import UTCDateTime

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("MASSDM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


# --- databases ------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    engine: Engine
    cleanup: list = field(default_factory=list)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def drop(self) -> None:
        self.engine.dispose()
        for step in self.cleanup:
            step()


def sqlite_database(directory: Path, name: str = "bench") -> Database:
    url = f"sqlite:///{directory / f'{name}.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    return Database(url, engine)


def postgres_database() -> Database:
    """A fresh schema in the machine's PostgreSQL, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES else "?"
    url = f"{POSTGRES}{separator}options={quote(f'-csearch_path={schema}')}"
    engine = create_store_engine(url)
    migrate(engine)

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return Database(url, engine, [drop])


# --- worlds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Creator:
    account: str
    api_key: str
    fan_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def creator(database: Database, fans: int, *, first_fan_id: int = 1, name: str = "bench") -> Creator:
    """An account with `fans` active fans (ids first_fan_id…), an API key and a fan-scoped key.

    Fans are written by one INSERT … SELECT over a generated series: setup, not what is measured.
    """
    now = datetime.now(UTC)
    with transaction(database.engine) as connection:
        team = account_service.ensure_team(connection, slug=f"{name}-{uuid.uuid4().hex[:6]}", name=name,
                                           credits=10**12, now=now)
        account = account_service.create_account(connection, team=team, display_name=name, username=None, now=now).id
        api_key = account_service.create_api_key(connection, team=team, name="bench", account_ids=[],
                                                 limit_minute=10**9, limit_day=None, now=now).api_key
        fan_key = account_service.create_api_key(connection, team=team, name="bench fans", account_ids=[],
                                                 limit_minute=10**9, limit_day=None, now=now,
                                                 scopes=frozenset({"fan"})).api_key
    add_fans(database, account, first_fan_id, fans)
    return Creator(account, api_key, fan_key)


def add_fans(database: Database, account: str, first: int, count: int) -> None:
    """`count` active fans, ids first…, by one INSERT … SELECT; then the account's kept tallies are recounted."""
    last = first + count - 1
    columns = ("account_id, id, username, name, subscribed_at, expires_at, auto_renew, following, muted, tagged, "
               "friend, created_at, updated_at")
    values = ":account, i, 'fan' || i, 'Fan ' || i, :since, NULL, TRUE, FALSE, FALSE, FALSE, FALSE, :now, :now"
    if database.is_sqlite:
        statement = (f"WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
                     f"INSERT INTO fans ({columns}) SELECT {values} FROM n")
    else:
        statement = (f"INSERT INTO fans ({columns}) SELECT {values} "
                     f"FROM generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT)) AS i")
    now = datetime.now(UTC)
    query = text(statement).bindparams(bindparam("since", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()))
    with transaction(database.engine) as connection:
        connection.execute(query, {"account": account, "first": first, "last": last, "now": now,
                                   "since": now - timedelta(days=30)})
        fan_tallies.recount(connection, account)  # raw rows bypass the deltas every fan write keeps
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE fans"))


def cancel_open_messages(database: Database) -> None:
    """Cancel every message not yet delivered (those a latency benchmark sent only to time the request)."""
    with transaction(database.engine) as connection:
        connection.execute(text("UPDATE mass_messages SET canceled_at = :now WHERE finished_at IS NULL "
                                "AND canceled_at IS NULL").bindparams(bindparam("now", type_=UTCDateTime())),
                           {"now": datetime.now(UTC)})


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen

    def rss_kb(self) -> tuple[int, int]:
        """(current, peak) resident memory of the server process, in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        current = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        return current, peak

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far: what a request costs, whatever
        else the shared machine is running."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve(database: Database, directory: Path, *, factory: str | None = None, **env: str) -> Server:
    """`massdm serve` (one process, its worker in-process unless told otherwise) on `database`;
    with `factory` ("module:function"), uvicorn serving the app that function builds instead."""
    port = free_port()
    environment = {**os.environ, "MASSDM_DATABASE_URL": database.url, "MASSDM_PORT": str(port),
                   "MASSDM_MEDIA_DIR": str(directory / "media"), "MASSDM_BENCH_ROUTES": "true",
                   "MASSDM_WORKER_POLL_SECONDS": "0.2", **env}
    command = [sys.executable, "-m", "massdm", "serve"]
    if factory is not None:
        command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
                   "--log-level", "info"]
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    log = open(directory / f"server-{port}.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((directory / f"server-{port}.log").read_text())
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return Server(base_url, process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("massdm serve did not come up")


# --- load -----------------------------------------------------------------------------------


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("the benchmarks need wrk (Debian package wrk; `make bench` installs it)")
    return found


def wrk(url: str, *, seconds: float, connections: int = 16, threads: int = 1, headers: dict[str, str] | None = None,
        lua: str | None = None) -> float:
    """Requests per second wrk achieves against `url` (non-2xx answers make the run fail)."""
    command = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(lua)
        script.close()
        command += ["-s", script.name]
    try:
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        if script:
            os.unlink(script.name)
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk saw errors against {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def median_latency(client: httpx.Client, method: str, url: str, *, runs: int, **kwargs: object) -> float:
    """Median seconds of `runs` sequential requests (each must succeed)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.request(method, url, **kwargs)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    samples.sort()
    return samples[len(samples) // 2]
