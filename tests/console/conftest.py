"""Console fixtures: a signed-in HTTP client over the real app, and a real headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright) against a real `massdm serve --sandbox`.

Screenshots: every browser test may call `screenshot(page, "name")`. They go to the test's tmp
directory, or, with MASSDM_CONSOLE_SCREENSHOTS=docs/console (`make console-screenshots`), to the
committed pictures docs/console.md shows.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from massdm.testing.server import SandboxServer
from tests.backends import ON_POSTGRES, TEST_DATABASE
from tests.conftest import Caller

CHROMIUM = Path(os.environ.get("MASSDM_CHROMIUM", "/usr/bin/chromium"))
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleClient:
    """A TestClient signed in to the console as one key; `post` sends the session's CSRF token."""

    http: TestClient
    caller: Caller
    csrf: str

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, follow_redirects=False, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: str | None | bool = True, **kwargs) -> httpx.Response:
        """Post a form; `csrf=True` adds the session's token, None leaves it out, a string sends that."""
        body = dict(data or {})
        if csrf is True:
            body["csrf"] = self.csrf
        elif isinstance(csrf, str):
            body["csrf"] = csrf
        return self.http.post(path, data=body, follow_redirects=False, **kwargs)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def post_sign_in(http: TestClient, api_key: str, **fields: str) -> httpx.Response:
    """Sign in as a browser does: load the form (its CSRF token and cookie), then post it."""
    form = http.get("/console/sign-in")
    return http.post("/console/sign-in", data={"api_key": api_key, "csrf": csrf_of(form.text), **fields},
                     follow_redirects=False)


def sign_in(http: TestClient, caller: Caller) -> ConsoleClient:
    answer = post_sign_in(http, caller.api_key)
    assert answer.status_code == 303, answer.text
    home = http.get("/console")
    assert home.status_code == 200, home.text
    return ConsoleClient(http, caller, csrf_of(home.text))


@pytest.fixture
def console(app, caller: Caller) -> Iterator[ConsoleClient]:
    """The test's caller signed in to the console of the in-process app."""
    with TestClient(app) as http:
        yield sign_in(http, caller)


@pytest.fixture
def console_for(app) -> Iterator[Callable[[Caller], ConsoleClient]]:
    """Sign in more callers, each in a browser (cookie jar) of its own."""
    clients: list[TestClient] = []

    def make(caller: Caller) -> ConsoleClient:
        http = TestClient(app)
        http.__enter__()
        clients.append(http)
        return sign_in(http, caller)

    yield make
    for http in clients:
        http.__exit__(None, None, None)


# --- the browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Chromium for one module's tests. Not for the session: Playwright's sync API runs an event loop in
    the test's thread while it is started, and a later test of another module that runs one of its own
    (`asyncio.run`, as the webhook dispatcher's `run_until_idle` does) would then fail."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (make test-tools)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()
    # Finalise what the driver left behind now, while no fd number it held can belong to anything else yet.
    gc.collect()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A real `massdm serve --sandbox` for a module's browser tests (on this run's backend)."""
    directory = tmp_path_factory.mktemp("console-server")
    url = TEST_DATABASE if ON_POSTGRES else None
    with SandboxServer(directory, database_url=url, settings={"unsend_window_seconds": "7200"}) as server:
        yield server


@pytest.fixture
def browser_page(browser, console_server: SandboxServer):
    """A fresh browser context (no cookies) at 1280 px, pointed at the console server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=console_server.base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def browser_sign_in(page, api_key: str) -> None:
    page.goto("/console/sign-in")
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")


@pytest.fixture
def signed_in_page(browser_page, console_server: SandboxServer):
    assert console_server.credentials is not None
    browser_sign_in(browser_page, console_server.credentials.api_key)
    return browser_page


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[..., Path]:
    target = Path(os.environ["MASSDM_CONSOLE_SCREENSHOTS"]) if os.environ.get("MASSDM_CONSOLE_SCREENSHOTS") \
        else tmp_path / "screenshots"

    def take(page, name: str, *, full_page: bool = True) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
