"""IPv6 addresses that carry a loopback or private IPv4 address are refused at both public
surfaces that call out: `file_url` uploads and webhook endpoints."""

from __future__ import annotations

import pytest

from massdm.api.state import state_of

EMBEDDING_LOOPBACK = {
    "::127.0.0.1": "::7f00:1",  # IPv4-compatible
    "::ffff:127.0.0.1": "::ffff:7f00:1",  # IPv4-mapped
    "64:ff9b::7f00:1": "64:ff9b::7f00:1",  # NAT64
    "2002:7f00:1::": "2002:7f00:1::",  # 6to4
}


def _refusal(address: str) -> str:
    shown = EMBEDDING_LOOPBACK[address]
    carried = "" if address.startswith("::ffff:") else ", which carries 127.0.0.1"  # mapped: non-public as it is
    return f"points at a non-public address ({shown}{carried})"


@pytest.mark.parametrize("address", EMBEDDING_LOOPBACK)
def test_a_file_url_at_an_address_carrying_loopback_is_refused(client, caller, app, address):
    url = f"http://[{address}]:9/x.png"
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers, data={"file_url": url})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["errors"] == {"file_url": [f"file_url {_refusal(address)}; it is refused."]}
    assert state_of(app).media_store.files() == []


def test_a_webhook_endpoint_at_an_address_carrying_loopback_is_refused(client, caller):
    for address in EMBEDDING_LOOPBACK:
        response = client.post("/api/webhooks", headers=caller.headers, json={
            "endpoint_url": f"https://[{address}]/hook", "events": ["chat_queue.updated"], "account_scope": "global"})
        assert response.status_code == 422, (address, response.text)
        assert response.json()["error"] == "VALIDATION_ERROR"
        assert response.json()["errors"] == {"endpoint_url": [f"The endpoint URL {_refusal(address)}."]}
    for public in ("https://[2001:4860:4860::8888]/hook", "https://[64:ff9b::808:808]/hook", "https://8.8.8.8/hook"):
        created = client.post("/api/webhooks", headers=caller.headers, json={
            "endpoint_url": public, "events": ["chat_queue.updated"], "account_scope": "global"})
        assert created.status_code == 201, (public, created.text)
        assert created.json()["data"]["url"] == public
    listed = client.get("/api/webhooks", headers=caller.headers).json()["data"]
    assert sorted(w["url"] for w in listed) == sorted([
        "https://[2001:4860:4860::8888]/hook", "https://[64:ff9b::808:808]/hook", "https://8.8.8.8/hook"])
