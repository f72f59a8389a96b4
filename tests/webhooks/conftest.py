"""Fixtures for webhook tests: an app that may call loopback, a real receiver, a dispatcher driven step by step."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from massdm.api.state import state_of
from massdm.config import Settings
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.domain.webhooks import RetryPolicy
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher
from massdm.webhooks.sender import SenderConfig
from tests.backends import database_url, redis_settings

RETRY = timedelta(seconds=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=database_url(tmp_path), public_url="http://massdm.test", media_dir=tmp_path / "media",
                    worker_enabled=False, webhooks_allow_private=True, **redis_settings())


@pytest.fixture
def dispatch(app, clock):
    """Send every due delivery now (one at a time); how many attempts were made."""
    dispatcher = WebhookDispatcher(state_of(app).engine, clock, DispatchConfig(
        senders=1, retry=RetryPolicy(first_delay=RETRY), pause_after=3,
        sender=SenderConfig(allow_private=True, total_timeout=2),
    ), name="test-dispatcher")
    return dispatcher.run_until_idle


@pytest.fixture
def deliver(app, clock):
    def run(chunk_size: int = 2) -> None:
        DeliveryWorker(state_of(app).engine, clock, WorkerConfig(chunk_size=chunk_size)).run_until_idle()
    return run


@pytest.fixture
def fans(client, caller, clock):
    """Three active fans (ids 1-3) on the caller's account."""
    since = (clock.now() - timedelta(days=3)).isoformat()
    response = client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                           json=[{"id": i, "username": f"fan{i}", "name": f"Fan {i}", "subscribedAt": since}
                                 for i in (1, 2, 3)])
    assert response.status_code == 200, response.text
    return caller


@pytest.fixture
def hook(client, caller, receiver):
    def create(events=("chat_queue.updated", "chat_queue.finished", "messages.ppv.unlocked"), who=None,
               **body) -> dict:
        who = who or caller
        response = client.post("/api/webhooks", headers=who.headers, json={
            "endpoint_url": receiver.url, "events": list(events), "account_scope": "global", **body})
        assert response.status_code == 201, response.text
        return response.json()["data"]
    return create


@pytest.fixture
def send(client, caller):
    def post(who=None, **body) -> int:
        who = who or caller
        body = {"text": "hello fans", "userLists": ["fans"], **body}
        response = client.post(f"/api/{who.account}/mass-messaging", headers=who.headers, json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]["id"]
    return post


@pytest.fixture
def log(client, caller):
    def read(webhook_id: str, query: str = "", who=None) -> list[dict]:
        response = client.get(f"/api/webhooks/{webhook_id}/deliveries?{query}", headers=(who or caller).headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]
    return read
