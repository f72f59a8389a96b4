"""Helpers of the campaign pages' tests: set-up through the API as an integrator does it, and reading
what a page shows (its sections, rows, delivery bars and numbers)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from tests.conftest import Caller
from tests.media_files import png

# --- set-up through the API, as an integrator does ------------------------------------------------

def api(client, caller: Caller, method: str, path: str, status: int = 200, **kwargs) -> dict:
    response = client.request(method, f"/api/{caller.account}{path}", headers=caller.headers, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def add_fans(client, caller: Caller, ids, clock) -> None:
    since = (clock.now() - timedelta(days=30)).isoformat()
    api(client, caller, "POST", "/fans", json=[{"id": i, "username": f"fan{i}", "name": f"Fan {i}",
                                                "subscribedAt": since} for i in ids])


def send(client, caller: Caller, text: str, **body) -> int:
    return api(client, caller, "POST", "/mass-messaging", json={"text": text, "userLists": ["fans"], **body})[
        "data"]["id"]


def media_id(client, caller: Caller) -> int:
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           files={"file": ("offer.png", png(40, 40))})
    assert response.status_code == 200, response.text
    return response.json()["vault_id"]


def queue_item(client, caller: Caller, message_id: int) -> dict:
    return api(client, caller, "GET", f"/mass-messaging/{message_id}")["data"]["queue"]


def worker(app, clock, chunk_size: int = 3) -> DeliveryWorker:
    return DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=chunk_size))


def fan_does(client, headers, fan: int, message: int, action: str) -> None:
    response = client.post(f"/fan/v1/{fan}/messages/{message}/{action}", headers=headers)
    assert response.status_code == 200, response.text


# --- reading the pages ----------------------------------------------------------------------------

def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="campaign-(\d+)"', html)]


def row(html: str, message_id: int) -> str:
    found = re.search(rf'<tr id="campaign-{message_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for campaign {message_id}"
    return found.group(1)


def bar(html: str, message_id: int) -> dict:
    """The delivery fragment of a campaign: its state, the bar's value and max, its label, and how often it
    polls (`polls`: seconds, 0 when it does not)."""
    found = re.search(rf'<div class="delivery" id="delivery-{message_id}" data-state="(\w+)"([^>]*)>(.*?)</div>',
                      html, re.S)
    assert found, f"no delivery bar for campaign {message_id}"
    state, attributes, inner = found.groups()
    progress = re.search(r'<progress value="(\d+)" max="(\d+)"', inner)
    assert progress
    return {"state": state, "value": int(progress.group(1)), "max": int(progress.group(2)),
            "label": text_of(re.search(r"<small[^>]*>(.*?)</small>", inner, re.S).group(1)),
            "polls": _asks_every(attributes, message_id)}


def _asks_every(attributes: str, message_id: int) -> int:
    """Seconds between the bar's asks for itself (True is 1, False is 0: the bar does not ask)."""
    every = re.search(r'hx-trigger="every (\d+)s"', attributes)
    if every is None or f"/campaigns/{message_id}/progress" not in attributes:
        return 0
    return int(every.group(1))


def stat(html: str, name: str) -> str:
    found = re.search(rf'<article data-stat="{name}"><strong>([^<]+)</strong>', html)
    assert found, f"no stat {name}"
    return found.group(1)


def chart_totals(html: str) -> dict[str, int]:
    return {kind: int(n) for kind, n in re.findall(r'data-total="(\w+)">(\d+)<', html)}


def campaigns_url(caller: Caller) -> str:
    return f"/console/accounts/{caller.account}/campaigns"
