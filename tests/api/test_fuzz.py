"""Schema-driven fuzzing of every endpoint from our own /openapi.json (schemathesis + hypothesis).

Whatever the generated input, the server never answers 5xx, every 4xx is in the
contract's error shape, and every 2xx matches the documented response schema.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from massdm.api.state import state_of
from massdm.app import create_app
from massdm.clock import SystemClock
from massdm.config import Settings
from tests.backends import database_url, redis_settings
from tests.conftest import World

_directory = Path(tempfile.mkdtemp(prefix="massdm-fuzz-"))
app = create_app(Settings(
    database_url=database_url(_directory),
    **redis_settings(),
    public_url="http://fuzz.test",
    media_dir=_directory / "media",
))
_world = World(state_of(app).engine, SystemClock())
_caller = _world.caller(credits=10**12, limit_minute=10**9, limit_day=None)
_client_fans = [{"id": i, "username": f"fan{i}"} for i in range(1, 30)]

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# Both inputs that fit the schema and inputs that deliberately do not.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)


def _seed() -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        client.post(f"/api/{_caller.account}/fans", headers=_caller.headers, json=_client_fans)
        client.post(f"/api/{_caller.account}/user-lists", headers=_caller.headers, json={"name": "seed"})


_seed()


def _contract_error_shape(response) -> None:
    status = response.status_code
    assert status < 500, f"server error {status}: {response.text[:500]}"
    if status < 400:
        return
    body = response.json()
    if status == 401:
        assert set(body) == {"error"} and body["error"].startswith("Unauthorized.")
    elif status == 402:
        assert set(body) == {"message"}
    else:
        assert {"error", "message", "description"} <= set(body), body
        assert "detail" not in body
        if status == 422:
            assert body["errors"] and all(isinstance(v, list) and v for v in body["errors"].values())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_breaks_the_contract(case):
    if "account" in (case.path_parameters or {}):
        case.path_parameters["account"] = _caller.account  # reach the handlers, not just the 404
    response = case.call(headers={**(case.headers or {}), **_caller.headers})
    _contract_error_shape(response)
    if response.status_code < 300:
        case.validate_response(response, checks=[response_schema_conformance])
