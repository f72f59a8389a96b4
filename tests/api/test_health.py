"""Liveness, readiness and Prometheus metrics, as an operator's probes and scraper see them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.config import Settings
from tests.backends import TEST_REDIS, database_url


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 if absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_readyz_reports_each_backend(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["database"] is True
    assert body["redis"] is (True if TEST_REDIS else None)  # None: this deployment runs without Redis


def test_readyz_is_503_when_redis_is_unreachable(tmp_path):
    app = create_app(Settings(database_url=database_url(tmp_path), media_dir=tmp_path / "media",
                              redis_url="redis://127.0.0.1:1/0", worker_enabled=False))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "database": True, "redis": False}


def test_metrics_count_requests_by_route_and_show_the_queue(client, caller, app, clock):
    before = client.get("/metrics").text
    route = "/api/{account}/mass-messaging"
    sent_before = _sample(before, "massdm_http_requests_total", method="POST", route=route, status="200")
    client.post(f"/api/{caller.account}/fans", headers=caller.headers,
                json=[{"id": i, "username": f"f{i}"} for i in range(1, 6)])
    for _ in range(3):
        response = client.post(f"/api/{caller.account}/mass-messaging", headers=caller.headers,
                               json={"text": "hi", "userLists": ["fans"]})
        assert response.status_code == 200
    client.get(f"/api/{caller.account}/nope", headers=caller.headers)

    text = client.get("/metrics").text
    assert _sample(text, "massdm_http_requests_total", method="POST", route=route, status="200") == sent_before + 3
    assert _sample(text, "massdm_http_request_duration_seconds_count", method="POST", route=route) >= 3
    assert f'route="/api/{caller.account}' not in text  # templates, never raw paths
    assert _sample(text, "massdm_queue_messages") == 3 and _sample(text, "massdm_queue_chunks") == 0

    delivered_before = _sample(text, "massdm_deliveries_total")
    state_of(app).worker.run_until_idle()
    text = client.get("/metrics").text
    assert _sample(text, "massdm_deliveries_total") == delivered_before + 15
    assert _sample(text, "massdm_queue_messages") == 0


def test_the_bench_baseline_route_exists_only_when_asked(tmp_path):
    plain = create_app(Settings(database_url=database_url(tmp_path, "plain"), media_dir=tmp_path / "m",
                                worker_enabled=False))
    with TestClient(plain) as client:
        assert client.get("/bench/constant?bytes=100").status_code == 404
    benched = create_app(Settings(database_url=database_url(tmp_path, "bench"), media_dir=tmp_path / "m",
                                  worker_enabled=False, bench_routes=True))
    with TestClient(benched) as client:
        response = client.get("/bench/constant?bytes=1033")
    assert response.status_code == 200 and len(response.content) == 1033
    assert set(response.json()) == {"constant"}  # valid JSON of exactly the size asked for
