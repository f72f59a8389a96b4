"""massdm's pytest plugin (the `pytest11` entry point `massdm`): the `massdm_server` and `massdm` fixtures,
their options, and the server's log in a failing test's report (docs/testing.md).

Loaded by every pytest run where massdm is installed, so importing it is cheap: the server, the
handle and the official SDK are imported only when a test asks for a fixture. `-p no:massdm`
turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from massdm.testing.handle import Sandbox
    from massdm.testing.server import SandboxServer

DATABASE_ENV = "MASSDM_TESTING_DATABASE_URL"
LOG_LINES = 400  # at most this many of the server's last lines in a report

_SERVER = pytest.StashKey["SandboxServer"]()
_LOG_FROM = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("massdm", "massdm sandbox (massdm.testing)")
    group.addoption(
        "--massdm-database-url", dest="massdm_database_url", default=None, metavar="URL",
        help=f"run the sandbox server on PostgreSQL: a postgresql:// URL of a database in which the run makes "
        f"(and drops) a schema of its own per server; default: a SQLite file per server (also ${DATABASE_ENV} "
        "or the massdm_database_url ini option)")
    group.addoption(
        "--massdm-setting", dest="massdm_settings", action="append", default=[], metavar="NAME=VALUE",
        help="a setting of the sandbox server, by name or environment variable (unsend_window_seconds=3600, "
        "MASSDM_WEBHOOK_RETRY_SECONDS=1); repeatable, added to the massdm_settings ini option")
    parser.addini("massdm_database_url", "postgresql:// URL for the sandbox server (default: SQLite)", default=None)
    parser.addini("massdm_settings", "settings of the sandbox server, NAME=VALUE per line", type="linelist",
                  default=[])


def _database_url(config: pytest.Config) -> str | None:
    found = config.getoption("massdm_database_url") or os.environ.get(DATABASE_ENV) or config.getini(
        "massdm_database_url")
    return str(found) if found else None


def _settings(config: pytest.Config) -> dict[str, str]:
    settings = {}
    for line in [*config.getini("massdm_settings"), *config.getoption("massdm_settings")]:
        name, separator, value = str(line).partition("=")
        if not separator or not name.strip():
            raise pytest.UsageError(f"massdm setting {line!r}: expected NAME=VALUE")
        settings[name.strip()] = value.strip()
    return settings


@pytest.fixture(scope="session")
def massdm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A `massdm serve --sandbox` of this session (of this xdist worker), with its own database and media."""
    from massdm.testing.server import SandboxServer

    server = SandboxServer(tmp_path_factory.mktemp("massdm"), database_url=_database_url(request.config),
                           settings=_settings(request.config))
    server.start()
    request.config.stash[_SERVER] = server
    try:
        yield server
    finally:
        del request.config.stash[_SERVER]
        server.stop()


@pytest.fixture(scope="session")
def _massdm_session(massdm_server: SandboxServer) -> Iterator[Sandbox]:
    from massdm.testing.handle import Sandbox

    handle = Sandbox(massdm_server)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def massdm(_massdm_session: Sandbox) -> Sandbox:
    """The sandbox, reset for this test: its key, account, official SDK clients and controls."""
    _massdm_session.reset()
    return _massdm_session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    server = item.config.stash.get(_SERVER, None)
    item.stash[_LOG_FROM] = server.log_offset() if server is not None else 0  # first test: its start too
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, pytest.TestReport]:
    report = yield
    server = item.config.stash.get(_SERVER, None)
    if report.failed and server is not None and "massdm_server" in getattr(item, "fixturenames", ()):
        lines = server.log_since(item.stash.get(_LOG_FROM, 0), max_lines=LOG_LINES)
        report.sections.append((f"massdm server log ({report.when})", lines or "(nothing logged)"))
    return report
