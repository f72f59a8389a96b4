"""Signing in and out of the console: the cookie, the session it names, and what a page may show."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from massdm.console.session import COOKIE
from tests.console.conftest import ConsoleClient, csrf_of, post_sign_in


def test_a_signed_out_browser_is_sent_to_sign_in_and_back_to_where_it_was_going(client: TestClient, caller):
    answer = client.get("/console", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console"
    form = client.get(answer.headers["location"]).text
    assert 'name="next" value="/console"' in form
    signed = post_sign_in(client, caller.api_key, next=f"/console/accounts/{caller.account}/campaigns")
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/console/accounts/{caller.account}/campaigns"


def test_sign_in_sets_a_signed_http_only_same_site_cookie_that_holds_no_key(client: TestClient, caller):
    answer = post_sign_in(client, caller.api_key)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert caller.api_key not in cookie
    home = client.get("/console")
    assert home.status_code == 200
    assert caller.api_key not in home.text
    assert "Creator" in home.text  # the account the key may use


def test_a_wrong_key_is_refused_with_a_message_and_no_cookie(client: TestClient, caller):
    answer = post_sign_in(client, "massdm_not-a-key")
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "")
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_a_forged_or_tampered_cookie_is_no_session(client: TestClient, caller):
    post_sign_in(client, caller.api_key)
    real = client.cookies.get(COOKIE)
    token, _, signature = real.rpartition(".")
    client.cookies.set(COOKIE, f"{token}x.{signature}")
    assert client.get("/console", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, real)
    assert client.get("/console", follow_redirects=False).status_code == 200


def test_after_sign_out_the_same_cookie_no_longer_works(client: TestClient, console: ConsoleClient):
    cookie = console.http.cookies.get(COOKIE)
    assert console.post("/console/sign-out").status_code == 303
    replay = TestClient(client.app)
    replay.cookies.set(COOKIE, cookie)  # as if someone had copied it before sign-out
    assert replay.get("/console", follow_redirects=False).status_code == 303


def test_sign_out_without_the_csrf_token_is_refused_and_the_session_lives_on(console: ConsoleClient):
    assert console.post("/console/sign-out", csrf=None).status_code == 403
    assert console.post("/console/sign-out", csrf="forged").status_code == 403
    assert console.get("/console").status_code == 200


def test_revoking_the_key_ends_its_console_sessions(console: ConsoleClient, world):
    from massdm.services import accounts as account_service
    from massdm.store.db import transaction

    with transaction(world.engine) as connection:
        key = account_service.authenticate(connection, f"Bearer {console.caller.api_key}")
        account_service.revoke_key(connection, key, key.id, world.clock.now())
    assert console.get("/console").status_code == 303


def test_a_next_address_outside_the_console_is_ignored(client: TestClient, caller):
    for target in ("https://evil.example/", "//evil.example/", "/api/whoami"):
        answer = post_sign_in(client, caller.api_key, next=target)
        assert answer.headers["location"] == "/console", target


def test_api_keys_is_the_page_the_401_message_promises(client: TestClient):
    answer = client.get("/api-keys", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/console/keys"


def test_every_page_loads_its_scripts_and_styles_from_the_console_itself(console: ConsoleClient):
    page = console.get("/console").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for asset in (s for s in sources if s.startswith("/console/static/")):
        assert console.get(asset).status_code == 200, asset
    assert csrf_of(page) == console.csrf


def test_the_sign_in_form_needs_its_own_csrf_token_so_another_site_cannot_sign_a_browser_in(client, caller):
    client.get("/console/sign-in")  # the browser has the form's cookie, but the forged post has no token
    for token in (None, "forged"):
        data = {"api_key": caller.api_key, **({"csrf": token} if token else {})}
        answer = client.post("/console/sign-in", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "expired or did not come from this console" in answer.text
        assert f"{COOKIE}=" not in answer.headers.get("set-cookie", "")
    fresh = TestClient(client.app)  # no form loaded at all: no cookie to match
    form = client.get("/console/sign-in").text
    answer = fresh.post("/console/sign-in", data={"api_key": caller.api_key, "csrf": csrf_of(form)},
                        follow_redirects=False)
    assert answer.status_code == 403
