"""In a real headless Chromium against a real `massdm serve --sandbox`: sign in, see the home page, sign out."""

from __future__ import annotations


def test_sign_in_shows_the_team_and_its_accounts_and_sign_out_ends_it(signed_in_page, console_server, screenshot):
    page = signed_in_page
    credentials = console_server.credentials
    assert page.get_by_role("heading", level=1).inner_text() == "massdm.testing"
    assert page.get_by_role("link", name="Test Creator").is_visible()
    assert credentials.api_key not in page.content()
    screenshot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    page.goto("/console")
    assert "/console/sign-in" in page.url  # the session is gone, not just the cookie
    log = console_server.log_since(0)
    assert "/console/sign-in" in log  # the log has the requests (uvicorn's access log)...
    assert credentials.api_key not in log  # ...and never the key


def test_a_wrong_key_is_refused_in_the_page(browser_page):
    page = browser_page
    page.goto("/console/sign-in")
    page.get_by_label("API key").fill("massdm_wrong")
    page.get_by_role("button", name="Sign in").click()
    assert "unknown or revoked" in page.get_by_role("alert").inner_text()
