"""The sandbox's tests run an app in sandbox mode: its clock is the store's driven clock, not a ManualClock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from tests.conftest import World


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True, "unsend_window_seconds": 7200})


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def clock(app):
    return state_of(app).clock


@pytest.fixture
def world(app) -> World:
    return World(state_of(app).engine, state_of(app).clock)
