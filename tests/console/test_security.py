"""The console's promises to everyone signed in, checked over every console route the app mounts, so a
page added later is covered without anyone remembering to:

- every form post without its session's CSRF token, or with a wrong one, is refused (403) and changes
  nothing in the store;
- a session sees only its own team: another team's account pages are 404s;
- a key limited to some accounts gets 404 for the pages of its team's other accounts.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from massdm.api.state import state_of
from massdm.store.db import snapshot
from massdm.store.tables import metadata
from tests.api.test_routes import is_console
from tests.console.conftest import ConsoleClient


def _console_routes(app, method: str) -> list[str]:
    return sorted({route.path for route in app.routes
                   if isinstance(route, APIRoute) and is_console(route) and method in route.methods})


_ACCOUNT = re.compile(r"\{account(?:_id)?\}")


def _concrete(path: str, account: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", _ACCOUNT.sub(account, path))


def _row_counts(app) -> dict[str, int]:
    with snapshot(state_of(app).engine) as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables}


def test_every_console_form_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing(app, console: ConsoleClient):
    posts = [p for p in _console_routes(app, "POST") if p != "/console/sign-in"]  # that one: test_sign_in.py
    assert "/console/sign-out" in posts
    before = _row_counts(app)
    for path in posts:
        concrete = _concrete(path, console.caller.account)
        for token in (None, "wrong-token"):
            answer = console.post(concrete, {"name": "x", "text": "hello"}, csrf=token)
            assert answer.status_code == 403, (path, token, answer.status_code)
            assert "did not come from this console" in answer.text
        # the token of the session, sent in the htmx header instead of the form, is accepted as the token
    after = _row_counts(app)
    assert after == before
    assert console.get("/console").status_code == 200  # and the session itself lives on


def _account_pages(app) -> list[str]:
    return [p for p in _console_routes(app, "GET") if _ACCOUNT.search(p)]


def test_another_teams_session_gets_404_for_every_account_page(app, console_for, world, caller):
    other = console_for(world.caller())  # another team, signed in in a browser of its own
    pages = _account_pages(app)
    assert len(pages) >= 4  # fans, lists, a list, engagement, ...: the test covers real pages
    for path in pages:
        answer = other.get(_concrete(path, caller.account))
        assert answer.status_code == 404, (path, answer.status_code)
        assert "Test Creator" not in answer.text and caller.account not in answer.text.replace(
            f"Account {caller.account} was not found", "")


def test_a_limited_keys_session_gets_404_for_its_teams_other_accounts(app, console_for, world):
    team = world.team()
    mine, theirs = world.account(team, "Mine"), world.account(team, "Theirs")
    from tests.conftest import Caller

    limited = console_for(Caller(world.key(team, [mine]), mine, team))
    home = limited.get("/console").text
    assert "Mine" in home and "Theirs" not in home
    for path in _account_pages(app):
        assert limited.get(_concrete(path, theirs)).status_code == 404, path


@pytest.mark.parametrize("header", [True, False])
def test_an_htmx_post_may_carry_the_token_in_its_header_instead(console: ConsoleClient, header):
    headers = {"X-CSRF-Token": console.csrf if header else "wrong"}
    answer = console.http.post("/console/sign-out", headers=headers, follow_redirects=False)
    assert answer.status_code == (303 if header else 403)


def test_no_console_page_loads_anything_from_elsewhere(app, console: ConsoleClient):
    """The console works offline: every script, style, image and link target of every page is its own."""
    pages = ["/console", *(_concrete(p, console.caller.account) for p in _account_pages(app) if "{" not in
                           _ACCOUNT.sub("", p))]
    assert len(pages) >= 5
    for path in pages:
        answer = console.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        for attribute in re.findall(r'(?:src|href|action)="([^"]+)"', answer.text):
            assert not attribute.startswith(("http:", "https:", "//")), (path, attribute)
