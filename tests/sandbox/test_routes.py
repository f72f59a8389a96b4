"""The control API is mounted exactly in sandbox mode, and nowhere else: every one of its paths is a
404 in the contract's shape without it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from massdm.app import create_app
from tests.api.routes import CONTRACT_ROUTES, MASSDM_ROUTES, SANDBOX_ROUTES
from tests.api.test_routes import _api_routes


def test_sandbox_mode_mounts_the_control_api(app):
    mounted = {(method, route.path) for route in _api_routes(app.routes) for method in route.methods}
    assert mounted == CONTRACT_ROUTES | MASSDM_ROUTES | SANDBOX_ROUTES


def test_without_sandbox_mode_every_control_path_is_a_404(settings, caller):
    plain = create_app(settings.model_copy(update={"sandbox": False}))
    with TestClient(plain) as client:
        for method, path in sorted(SANDBOX_ROUTES):
            concrete = re.sub(r"\{account\}", caller.account, path)
            concrete = re.sub(r"\{[a-z_]+\}", "1", concrete)
            for headers in (caller.headers, {}):
                response = client.request(method, concrete, headers=headers, json={})
                assert response.status_code == 404, (method, concrete, response.text)
                assert response.json()["error"] == "NOT_FOUND"
