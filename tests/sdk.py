"""The official SDK on the in-process app: how it reads massdm's answers, without a server process
(tests/e2e runs it against a real `massdm serve`)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from onlyfansapi import OnlyFansAPI

from tests.conftest import Caller


def sdk_client(client: TestClient, caller: Caller, *, strict: bool = False) -> OnlyFansAPI:
    """The SDK with the caller's key, sending through the test's client. `strict` also checks every
    answer against the SDK's types, as `_strict_response_validation=True` does for its users."""
    return OnlyFansAPI(api_key=caller.api_key, base_url=str(client.base_url), http_client=client, max_retries=0,
                       _strict_response_validation=strict)
