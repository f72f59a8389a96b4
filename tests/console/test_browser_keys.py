"""In a real headless Chromium against a real `massdm serve --sandbox`: create a key (shown once), revoke
it, and see the API refuse it."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from massdm.testing.handle import Sandbox


def _whoami(base_url: str, api_key: str) -> int:
    return httpx.get(f"{base_url}/api/whoami", headers={"Authorization": f"Bearer {api_key}"}).status_code


def test_a_new_key_is_shown_once_and_once_revoked_the_api_refuses_it(signed_in_page, console_server, screenshot):
    Sandbox(console_server).reset()
    page = signed_in_page
    page.get_by_role("link", name="Keys & credits").click()
    expect(page.get_by_test_id("balance")).to_be_visible()
    page.get_by_label("Key name").fill("browser key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Key “browser key” created")
    secret = page.get_by_label("New API key").input_value()
    assert secret.startswith("massdm_") and secret not in page.url
    assert _whoami(console_server.base_url, secret) == 200

    page.get_by_role("button", name="Done: back to the keys").click()
    page.wait_for_url("**/console/keys")
    assert secret not in page.content()  # shown once: never again
    row = page.get_by_role("row").filter(has_text="browser key")
    expect(row).to_contain_text(secret[:13])  # its hint
    expect(row).to_contain_text("active")
    screenshot(page, "keys")

    row.get_by_role("link", name="Revoke browser key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke key “browser key”?")
    page.get_by_role("button", name="Revoke key").click()
    page.wait_for_url("**/console/keys?done=revoked")
    expect(page.get_by_role("status")).to_contain_text("Key revoked")
    expect(page.get_by_role("row").filter(has_text="browser key")).to_contain_text("revoked")
    assert _whoami(console_server.base_url, secret) == 401
    assert _whoami(console_server.base_url, console_server.credentials.api_key) == 200  # the session's own key lives on
