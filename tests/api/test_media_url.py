"""Uploads from `file_url`: fetched by the server, with the private-address policy enforced."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from tests import media_files
from tests.backends import database_url, redis_settings
from tests.conftest import World
from tests.file_server import file_server  # noqa: F401 - fixture


def _permissive(tmp_path, **settings):
    """An app configured to allow fetching from loopback, where the test's file server runs."""
    app = create_app(Settings(database_url=database_url(tmp_path), **redis_settings(), media_dir=tmp_path / "media",
                              media_allow_private_urls=True, media_max_bytes=200_000, **settings))
    with TestClient(app) as client:
        yield client, World(state_of(app).engine, state_of(app).clock).caller(), app


@pytest.fixture
def permissive(tmp_path):
    yield from _permissive(tmp_path)


@pytest.fixture
def impatient(tmp_path):
    yield from _permissive(tmp_path, media_fetch_timeout=1)


def test_loopback_urls_are_refused_by_default(client, caller, file_server, app):
    base, root = file_server
    (root / "x.png").write_bytes(media_files.png(100, 100))
    for url in (f"{base}/x.png", "http://localhost:9/x.png", "http://10.0.0.1/x.png", "http://169.254.169.254/latest"):
        response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers, data={"file_url": url})
        assert response.status_code == 422, (url, response.text)
        assert "non-public" in response.json()["errors"]["file_url"][0]
    assert state_of(app).media_store.files() == []


def test_file_url_upload_when_allowed(permissive, file_server):
    client, caller, _app = permissive
    base, root = file_server
    (root / "pic.png").write_bytes(media_files.png(400, 300))
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           data={"file_url": f"{base}/pic.png"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["file_name"] == "pic.png" and body["sourceUrl"] == body["media"]["files"]["full"]["url"]
    assert (body["media"]["files"]["full"]["width"], body["media"]["files"]["full"]["height"]) == (400, 300)

    as_json = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                          json={"file_url": f"{base}/redirect/pic.png"})
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["media"]["type"] == "photo"


def test_file_url_failures(permissive, file_server):
    client, caller, app = permissive
    base, root = file_server
    (root / "big.png").write_bytes(media_files.png(50, 50) + b"\0" * 300_000)
    (root / "notes.txt").write_text("hello")
    cases = [
        (f"{base}/missing.png", 422, "HTTP 404"),
        (f"{base}/notes.txt", 422, "not a recognised"),
        (f"{base}/big.png", 413, None),
        ("http://no-such-host.invalid/x.png", 422, None),
    ]
    for url, status, words in cases:
        response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers, data={"file_url": url})
        assert response.status_code == status, (url, response.text)
        if words:
            assert words in str(response.json()["errors"])
    assert state_of(app).media_store.files() == []


def test_the_fetch_timeout_bounds_the_whole_download(impatient, file_server):
    client, caller, app = impatient
    base, _root = file_server
    started = time.monotonic()
    response = client.post(f"/api/{caller.account}/media/upload", headers=caller.headers,
                           data={"file_url": f"{base}/trickle"})  # a byte every 0.25 s: no single read is slow
    elapsed = time.monotonic() - started
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["errors"] == {"file_url": ["file_url did not finish downloading within 1 second."]}
    assert elapsed < 1 + 1.5, elapsed
    assert state_of(app).media_store.files() == [] and list(state_of(app).media_store.staging.iterdir()) == []
