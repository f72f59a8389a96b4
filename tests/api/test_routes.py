"""The mounted surface equals the promised one, so it never drifts silently."""

from __future__ import annotations

from fastapi.routing import APIRoute

from tests.api.routes import CONTRACT_ROUTES, MASSDM_ROUTES


def is_console(route) -> bool:
    """The web console's pages (tests/console covers them): HTML, not part of the API's surface."""
    return route.path == "/api-keys" or route.path == "/console" or route.path.startswith("/console/")


def _api_routes(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI mounts included routers lazily
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute) and not is_console(route):
            yield route


def test_mounted_routes_are_exactly_the_contract_plus_documented_extras(app):
    mounted = {(method, route.path) for route in _api_routes(app.routes) for method in route.methods}
    assert mounted == CONTRACT_ROUTES | MASSDM_ROUTES


def test_openapi_describes_every_route_with_wire_names(client):
    spec = client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == CONTRACT_ROUTES | MASSDM_ROUTES
    schemas = spec["components"]["schemas"]
    # wire names, not Python names
    assert "isPinnedToFeed" in schemas["UserListUpdate"]["properties"]
    assert "usersCount" in schemas["UserListOut"]["properties"]
    assert {"subscribedAt", "expiresAt", "autoRenew"} <= set(schemas["FanIn"]["properties"])
    envelope = next(s for name, s in schemas.items() if name.startswith("Envelope_UserListOut"))
    assert set(envelope["properties"]) == {"data", "_meta"}
    assert set(schemas["Meta"]["properties"]) == {"_credits", "_cache", "_rate_limits"}
    # errors are documented in the contract's shape, not FastAPI's default
    assert "HTTPValidationError" not in schemas
    get_list = spec["paths"]["/api/{account}/user-lists"]["get"]
    assert get_list["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
