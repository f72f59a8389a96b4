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
    ("DELETE", "/api/{account}/media/vault/delete-media"),
    ("GET", "/api/{account}/media/vault/lists"),
    ("POST", "/api/{account}/media/vault/lists"),
    ("GET", "/api/{account}/media/vault/lists/{list_id}"),
    ("PUT", "/api/{account}/media/vault/lists/{list_id}"),
    ("DELETE", "/api/{account}/media/vault/lists/{list_id}"),
    ("POST", "/api/{account}/media/vault/lists/{list_id}/media"),
    ("DELETE", "/api/{account}/media/vault/lists/{list_id}/media"),
    ("GET", "/api/{account}/media/uploads/{upload}/status"),
    ("POST", "/api/{account}/mass-messaging"),
    ("GET", "/api/{account}/mass-messaging"),
    ("GET", "/api/{account}/mass-messaging/overview"),
    ("GET", "/api/{account}/mass-messaging/{message_id}"),
    ("PUT", "/api/{account}/mass-messaging/{message_id}"),
    ("DELETE", "/api/{account}/mass-messaging/{message_id}"),
    ("GET", "/api/{account}/engagement/messages/mass-messages"),
    ("GET", "/api/{account}/engagement/messages/mass-messages/chart"),
    ("GET", "/api/{account}/engagement/messages/top-message"),
    ("GET", "/api/{account}/engagement/messages/{message_id}/buyers"),
    ("GET", "/api/{account}/saved-for-later/messages"),
    ("GET", "/api/{account}/saved-for-later/messages/settings"),
    ("PATCH", "/api/{account}/saved-for-later/messages/settings/enable-or-update-automatic-messaging"),
    ("PATCH", "/api/{account}/saved-for-later/messages/settings/disable-automatic-messaging"),
    ("GET", "/api/{account}/queue"),
    ("GET", "/api/{account}/queue/counts"),
    ("PUT", "/api/{account}/queue/{queue_id}/publish"),
    ("GET", "/api/webhooks/events"),
    ("GET", "/api/webhooks"),
    ("POST", "/api/webhooks"),
    ("GET", "/api/webhooks/{webhook_id}"),
    ("PUT", "/api/webhooks/{webhook_id}"),
    ("DELETE", "/api/webhooks/{webhook_id}"),
    ("GET", "/api/webhooks/{webhook_id}/deliveries"),
    ("POST", "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
}

# Ours, where the contract is silent (documented in README / docs).
MASSDM_ROUTES: set[tuple[str, str]] = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/api/{account}/fans"),
    ("GET", "/fan/v1/{fan_id}/messages"),
    ("GET", "/fan/v1/{fan_id}/messages/{message_id}"),
    ("POST", "/fan/v1/{fan_id}/messages/{message_id}/view"),
    ("POST", "/fan/v1/{fan_id}/messages/{message_id}/purchase"),
    ("POST", "/fan/v1/events"),
    ("POST", "/api/webhooks/{webhook_id}/test"),
}

# Routes under /api/{account} that cost nothing (the provider documents them as free).
FREE_ACCOUNT_ROUTES: set[tuple[str, str]] = {
    ("GET", "/api/{account}/media/uploads/{upload}/status"),
}

_SAMPLE_IDS = {"{list_id}": "1", "{user_id}": "100001", "{media_id}": "1", "{message_id}": "1", "{queue_id}": "1",
               "{upload}": "ofapi_media_" + "0" * 32}


def account_routes(*, metered_only: bool = False) -> list[tuple[str, str]]:
    """Every route under /api/{account} (only the metered ones, if asked), with sample ids filled in
    and `{account}` left open."""
    routes = []
    for method, path in sorted(CONTRACT_ROUTES | MASSDM_ROUTES):
        if not path.startswith("/api/{account}") or (metered_only and (method, path) in FREE_ACCOUNT_ROUTES):
            continue
        for placeholder, value in _SAMPLE_IDS.items():
            path = path.replace(placeholder, value)
        routes.append((method, path))
    return routes

# The sandbox's control API (docs/sandbox.md): mounted only in sandbox mode, a 404 otherwise.
SANDBOX_ROUTES: set[tuple[str, str]] = {
    ("GET", "/sandbox/v1/clock"),
    ("POST", "/sandbox/v1/clock"),
    ("POST", "/sandbox/v1/clock/advance"),
    ("POST", "/sandbox/v1/faults"),
    ("GET", "/sandbox/v1/faults"),
    ("DELETE", "/sandbox/v1/faults"),
    ("GET", "/sandbox/v1/faults/{fault_id}"),
    ("DELETE", "/sandbox/v1/faults/{fault_id}"),
    ("POST", "/sandbox/v1/events"),
    ("GET", "/sandbox/v1/messages/{message_id}/recipients"),
    ("POST", "/sandbox/v1/reset"),
    ("GET", "/sandbox/v1/snapshots"),
    ("POST", "/sandbox/v1/snapshots"),
    ("POST", "/sandbox/v1/snapshots/{name}/restore"),
    ("DELETE", "/sandbox/v1/snapshots/{name}"),
    ("GET", "/sandbox/v1/accounts/{account}/engagement"),
    ("PUT", "/sandbox/v1/accounts/{account}/engagement"),
    ("POST", "/sandbox/v1/seed"),
}
