"""The HTTP surface massdm promises: the contract's routes plus our documented extras."""

from __future__ import annotations

# (method, path template) exactly as mounted.
CONTRACT_ROUTES: set[tuple[str, str]] = {
    ("GET", "/api/whoami"),
    ("GET", "/api/accounts"),
    ("GET", "/api/{account}/fans/all"),
    ("GET", "/api/{account}/fans/active"),
    ("GET", "/api/{account}/fans/expired"),
    ("GET", "/api/{account}/user-lists"),
    ("POST", "/api/{account}/user-lists"),
    ("GET", "/api/{account}/user-lists/{list_id}"),
    ("PUT", "/api/{account}/user-lists/{list_id}"),
    ("DELETE", "/api/{account}/user-lists/{list_id}"),
    ("GET", "/api/{account}/user-lists/{list_id}/users"),
    ("POST", "/api/{account}/user-lists/{list_id}/users"),
    ("DELETE", "/api/{account}/user-lists/{list_id}/users"),
    ("DELETE", "/api/{account}/user-lists/{list_id}/users/{user_id}"),
    ("POST", "/api/{account}/media/upload"),
    ("GET", "/api/{account}/media/vault"),
    ("GET", "/api/{account}/media/vault/{media_id}"),
}

# Ours, where the contract is silent (documented in README / docs).
MASSDM_ROUTES: set[tuple[str, str]] = {
    ("GET", "/healthz"),
    ("POST", "/api/{account}/fans"),
}

_SAMPLE_IDS = {"{list_id}": "1", "{user_id}": "100001", "{media_id}": "1"}


def account_routes() -> list[tuple[str, str]]:
    """Every route under /api/{account}, with sample ids filled in and `{account}` left open."""
    routes = []
    for method, path in sorted(CONTRACT_ROUTES | MASSDM_ROUTES):
        if not path.startswith("/api/{account}"):
            continue
        for placeholder, value in _SAMPLE_IDS.items():
            path = path.replace(placeholder, value)
        routes.append((method, path))
    return routes
