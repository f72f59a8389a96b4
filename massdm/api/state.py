"""What the HTTP edge holds: the application's parts (`AppState`) and what one call has learnt (`Call`).

`create_app` builds one `AppState` and every route, middleware and error handler reads it through
`state_of(...)`, typed, instead of loose `request.app.state.*` attributes. A request carries one
`Call` in its ASGI scope from the first middleware to the error handlers: the caller's key and
rate limits once known (so an error body can carry `_meta`), and the idempotency claim it runs
under. Nothing else about a request is kept anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from massdm.clock import Clock
from massdm.config import Settings
from massdm.delivery.worker import DeliveryWorker
from massdm.domain.idempotency import Claim
from massdm.media.probe import AvTools
from massdm.media.storage import MediaStore
from massdm.services.metering import CreditLedgerFactory, RateLimiter, RateLimitStatus
from massdm.store.api_keys import ApiKey

if TYPE_CHECKING:
    from massdm.api.admission import Admission
    from massdm.services.mass_messaging import Policy

_CALL = "massdm.call"


@dataclass(eq=False)
class AppState:
    settings: Settings
    engine: Engine
    clock: Clock
    rate_limiter: RateLimiter
    ledger_factory: CreditLedgerFactory
    media_store: MediaStore
    av_tools: AvTools
    policy: Policy
    admission: Admission
    wake_workers: Callable[[], None]
    worker: DeliveryWorker  # the first in-process delivery worker (tests drive it by hand)
    redis: Any = None  # the Redis client, when one is configured (readiness checks it)


def state_of(holder: Any) -> AppState:
    """The application's parts, from the app itself or from one of its requests."""
    app = holder.app if isinstance(holder, HTTPConnection) else holder
    return app.state.massdm


@dataclass(eq=False)
class Call:
    """What is known about one call so far."""

    key: ApiKey | None = None  # the authenticated caller
    limits: RateLimitStatus | None = None  # its rate limits as counted (or peeked) for this call
    claim: Claim | None = None  # the Idempotency-Key claim this call runs under
    stored: bool = False  # the response was stored with the call's effect, under `claim`


def call_of(scope: Any) -> Call:
    """This request's `Call` (from its ASGI scope or a Request), created on first use."""
    scope = getattr(scope, "scope", scope)
    found = scope.get(_CALL)
    if found is None:
        found = scope[_CALL] = Call()
    return found
