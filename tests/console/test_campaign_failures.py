"""A campaign some fans could not receive (sandbox mode's magic fans): its page says why, as the API's
queue item does, and counts them by reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from tests.conftest import World
from tests.console.campaign_pages import api, bar, section, send, stat, text_of

MAGIC = {101: "magic_blocked_1", 102: "magic_deleted_anna", 103: "magic_restricted"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True, "unsend_window_seconds": 7200})


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)  # the sandbox's own clock, driven through its control API


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(app) -> World:
    return World(state_of(app).engine, state_of(app).clock)


def test_the_fans_a_campaign_could_not_reach_are_shown_with_the_apis_error(console, client, caller):
    since = (state_of(client.app).clock.now() - timedelta(days=3)).isoformat()
    fans = {i: f"fan{i}" for i in range(1, 5)} | MAGIC
    api(client, caller, "POST", "/fans", json=[{"id": i, "username": name, "subscribedAt": since}
                                               for i, name in fans.items()])
    message_id = send(client, caller, "Hello everyone")
    advanced = client.post("/sandbox/v1/clock/advance", headers=caller.headers, json={"seconds": 1})
    assert advanced.status_code == 200, advanced.text
    item = api(client, caller, "GET", f"/mass-messaging/{message_id}")["data"]["queue"]
    assert item["hasError"] is True and item["sentCount"] == 4

    html = console.get(f"/console/accounts/{caller.account}/campaigns/{message_id}").text
    failures = text_of(section(html, "failures-heading"))
    assert item["error"] in failures
    assert "blocked 1" in failures and "deleted 1" in failures and "restricted 1" in failures
    assert stat(html, "sent") == str(item["sentCount"])
    assert bar(html, message_id) == {"state": "delivered", "value": 7, "max": 7, "polls": False,
                                     "label": "Delivered · 4 / 7 sent · 3 fans not reached"}
