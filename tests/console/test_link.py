"""`massdm console link`, run as the command line runs it: the link it prints signs a browser in, once."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from massdm.app import create_app
from massdm.cli import app as cli_app
from massdm.config import Settings
from massdm.console.session import COOKIE
from tests.backends import database_url, redis_settings
from tests.console.pages import text_of

PUBLIC = "http://console.example:8123"


@pytest.fixture
def massdm(tmp_path, monkeypatch):
    """`massdm ARGS...` on the test's own database; the result (stdout and stderr apart)."""
    monkeypatch.setenv("MASSDM_DATABASE_URL", database_url(tmp_path, "cli"))
    monkeypatch.setenv("MASSDM_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("MASSDM_MEDIA_DIR", str(tmp_path / "media"))

    def run(*args: str, check: bool = True):
        result = CliRunner().invoke(cli_app, list(args))
        if check:
            assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    return run


@pytest.fixture
def browser_of(tmp_path):
    """A fresh browser (cookie jar) on the app over the CLI's database."""
    app = create_app(Settings(database_url=database_url(tmp_path, "cli"), media_dir=tmp_path / "media",
                              worker_enabled=False, **redis_settings()))
    opened: list[TestClient] = []

    def make() -> TestClient:
        opened.append(TestClient(app).__enter__())
        return opened[-1]

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _link(massdm, *args: str) -> str:
    printed = massdm("console", "link", *args).stdout.strip()
    assert printed.startswith(f"{PUBLIC}/console/link/"), printed
    return urlsplit(printed).path


def test_the_printed_link_signs_in_once(massdm, browser_of):
    massdm("accounts", "create", "--name", "Alice")
    key = json.loads(massdm("keys", "create", "--name", "admin", "--json").stdout)["api_key"]
    path = _link(massdm)
    assert key not in path

    browser = browser_of()
    answer = browser.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    home = browser.get("/console", follow_redirects=False)
    assert home.status_code == 200
    assert "Alice" in text_of(home.text) and "signed in as key “admin” of team default" in text_of(home.text)

    again = browser_of().get(path, follow_redirects=False)
    assert again.status_code == 401 and f"{COOKIE}=" not in again.headers.get("set-cookie", "")  # no session
    assert "This sign-in link is unknown, used or expired" in text_of(again.text)


def test_a_link_for_a_chosen_key_signs_in_as_that_key(massdm, browser_of):
    account = json.loads(massdm("accounts", "create", "--name", "Alice", "--json").stdout)["id"]
    massdm("keys", "create", "--name", "admin")
    limited = json.loads(massdm("keys", "create", "--name", "alice only", "--account", account,
                                "--json").stdout)
    browser = browser_of()
    browser.get(_link(massdm, "--team", "default", "--key-id", str(limited["id"])))
    keys = text_of(browser.get("/console/keys").text)
    assert "alice only (this session)" in keys and "admin" not in keys


def test_a_team_or_key_that_is_not_there_is_an_error(massdm):
    massdm("migrate")
    nothing = massdm("console", "link", check=False)
    assert nothing.exit_code == 1 and "there is no team 'default' or 'demo'" in nothing.stderr
    massdm("accounts", "create", "--name", "Alice")
    keyless = massdm("console", "link", check=False)
    assert keyless.exit_code == 1 and "no active API key for every account" in keyless.stderr
    unknown = massdm("console", "link", "--team", "nope", check=False)
    assert unknown.exit_code == 1 and "Team nope does not exist" in unknown.stderr
    massdm("keys", "create")
    wrong = massdm("console", "link", "--key-id", "999", check=False)
    assert wrong.exit_code == 1 and "no such active API key" in wrong.stderr


def test_make_runs_demo_team_is_the_fallback(massdm, browser_of):
    massdm("demo", "--fans", "0")
    browser = browser_of()
    browser.get(_link(massdm))
    assert "Demo Creator" in text_of(browser.get("/console").text)
