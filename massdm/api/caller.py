"""Who is calling, on which account, at what cost: the one dependency of every keyed route.

A route asks for a `Caller` by the type that says what the call costs and what it names:

    Metered     /api/{account}/...   1 credit    (`caller.account` is the path's account)
    Free        /api/{account}/...   0 credits
    TeamCaller  /api/...             0 credits   (no account in the path: whoami, webhooks)
    FanCaller   /fan/v1/...          0 credits   (a key with the `fan` scope)

The dependency itself touches nothing. The route class (`api/routing.py`) resolves the caller in
the request's one worker thread, inside its unit of work (`api/transaction.py`), in the
contract's order: authenticate (401) -> count the rate limit (429) -> the account (404) ->
enough credits for the declared cost (402). The route then does its work and charges in plain
sight, `Envelope(data=..., meta=caller.charge())`, in the same unit: if anything fails, the
charge rolls back with everything else.

`StreamingCaller` is the same check made before a large body streams in (sends with files,
uploads), in a short read unit of its own; the route charges later, in its write unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Request
from sqlalchemy import Connection

from massdm.api.schemas.common import Cache, Credits, Meta, RateLimits
from massdm.api.state import AppState, call_of, state_of
from massdm.api.transaction import RequestUnit, in_unit
from massdm.errors import RateLimited
from massdm.services import accounts as account_service
from massdm.services.metering import RateLimitStatus, insufficient_credits
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey

Scope = Literal["api", "fan"]
NO_DAILY_LIMIT_NOTICE = "This plan has no daily request limit; only the per-minute limit applies."
ACCOUNT_PATH = Path(description="The account id, `acct_` + 32 hex.")
# The scheme the OpenAPI description declares for every route that takes a caller (massdm/app.py);
# the key itself is read in the unit (`authenticate`), not by a dependency of its own.
SECURITY_SCHEME = {"HTTPBearer": {"type": "http", "scheme": "bearer",
                                  "description": "Your massdm API key: `Authorization: Bearer massdm_...`"}}


class Caller:
    """The caller of one request, once resolved: `key`, `account` (for /api/{account} routes),
    the unit's `connection`, the request's `now`, and `charge()`."""

    key: ApiKey
    account: Account  # only for routes under /api/{account}
    now: datetime

    def __init__(self, request: Request, *, scope: Scope, cost: int, names_account: bool) -> None:
        self.request = request
        self.state: AppState = state_of(request)
        self.scope = scope
        self.cost = cost
        self.names_account = names_account
        self._unit: RequestUnit | None = None

    def resolve(self, unit: RequestUnit) -> Caller:
        """Authenticate and check the caller in `unit`: 401, 429, 404, 402, in that order."""
        self._unit = unit
        self.now = self.state.clock.now()
        key, account = authenticate(unit, self.scope)
        self.key = key
        if self.names_account:
            self.account = account_service.require_account(account, self.request.path_params["account"])
        if self.cost > key.team_balance:
            raise insufficient_credits(self.cost, key.team_balance)
        return self

    def bind(self, unit: RequestUnit) -> Caller:
        """Charge in `unit` from now on (a `StreamingCaller`, checked before its body, writes later)."""
        self._unit = unit
        unit.key = self.key
        self.now = self.state.clock.now()
        return self

    @property
    def connection(self) -> Connection:
        assert self._unit is not None, "the caller is not resolved"
        return self._unit.connection

    def charge(self, cost: int | None = None) -> Meta:
        """Take the call's cost (or `cost`) in the request's unit; the `_meta` that says so."""
        assert self._unit is not None, "the caller is not resolved"
        cost = self.cost if cost is None else cost
        balance = self._unit.charge(self.key.team_id, cost) if cost > 0 else self.key.team_balance
        limits = call_of(self.request).limits
        assert limits is not None
        return Meta(credits=Credits(used=cost, balance=balance, note="Always" if cost > 0 else "Free endpoint"),
                    cache=Cache(), rate_limits=rate_limits_meta(limits))


def authenticate(unit: RequestUnit, scope: Scope = "api") -> tuple[ApiKey, Account | None]:
    """The caller's key, counted against its rate limits (401 / 429), and the account the path
    names (looked up in the same statement; None if the key may not use it)."""
    request = unit.request
    header = request.headers.get("authorization")
    account_id = request.path_params.get("account")
    account = None
    if scope == "api" and account_id is not None:
        key, account = account_service.authenticate_for_account(unit.connection, header, account_id)
    else:
        key = account_service.authenticate(unit.connection, header, scope)
    unit.key = key
    count_request(request, key)
    return key, account


def count_request(request: Request, key: ApiKey) -> RateLimitStatus:
    """Count this request against the key's rate limits (429 when over); error bodies of this
    call then carry these limits in `_meta`."""
    status = state_of(request).rate_limiter.hit(key.id, limit_minute=key.limit_minute, limit_day=key.limit_day)
    call = call_of(request)
    call.key, call.limits = key, status
    if not status.allowed:
        raise RateLimited(
            f"Rate limit exceeded. Try again in {status.retry_after} second(s).", retry_after=status.retry_after
        )
    return status


def rate_limits_meta(status: RateLimitStatus) -> RateLimits:
    return RateLimits(
        limit_minute=status.limit_minute,
        limit_day=status.limit_day,
        remaining_minute=status.remaining_minute,
        remaining_day=status.remaining_day,
        notice=NO_DAILY_LIMIT_NOTICE if status.limit_day is None else None,
    )


def error_meta(request: Request, route: object) -> dict[str, Any] | None:
    """`_meta` of an error answer on `route`: nothing charged, the note the route's successes carry
    ("Always" where no route takes the request), the rate limits as counted (None before the
    caller is known)."""
    call = call_of(request)
    if call.key is None or call.limits is None:
        return None
    note = "Free endpoint" if is_free(route) else "Always"
    meta = Meta(credits=Credits(used=0, balance=call.key.team_balance, note=note), cache=Cache(),
                rate_limits=rate_limits_meta(call.limits))
    return meta.model_dump(mode="json")


def _account_caller(cost: int):  # noqa: ANN202 - a FastAPI dependency
    async def caller(request: Request, account: Annotated[str, ACCOUNT_PATH]) -> Caller:
        return Caller(request, scope="api", cost=cost, names_account=True)

    caller.massdm_cost = cost  # type: ignore[attr-defined]  # marks a caller; read by `route_cost`
    return caller


async def _team_caller(request: Request) -> Caller:
    return Caller(request, scope="api", cost=0, names_account=False)


async def _fan_caller(request: Request) -> Caller:
    return Caller(request, scope="fan", cost=0, names_account=False)


Metered = Annotated[Caller, Depends(_account_caller(1))]
Free = Annotated[Caller, Depends(_account_caller(0))]
TeamCaller = Annotated[Caller, Depends(_team_caller)]
FanCaller = Annotated[Caller, Depends(_fan_caller)]


def takes_caller(route: object) -> bool:
    """Whether a route's dependencies include a caller (it then needs an API key)."""
    dependant = getattr(route, "dependant", None)
    return any(hasattr(d.call, "massdm_cost") for d in getattr(dependant, "dependencies", ()))


def route_cost(route: object) -> int:
    """The credits a route's caller is checked for (0 for a free route or one without a caller)."""
    dependant = getattr(route, "dependant", None)
    calls = [d.call for d in getattr(dependant, "dependencies", ())]
    return max((getattr(call, "massdm_cost", 0) for call in calls), default=0)


def is_free(route: object) -> bool:
    """Whether a route takes a caller that costs nothing (its `_meta` says "Free endpoint")."""
    return takes_caller(route) and route_cost(route) == 0


async def _streaming_caller(request: Request, account: Annotated[str, ACCOUNT_PATH]) -> Caller:
    """A metered caller checked in a short read unit of its own: the body streams in afterwards,
    for as long as the client takes, with no transaction (on SQLite, no lock) and no connection
    held meanwhile. The route binds it to its own unit later (`Caller.bind`) to charge."""
    caller = Caller(request, scope="api", cost=1, names_account=True)
    return await in_unit(request, "read", caller.resolve)


_streaming_caller.massdm_cost = 1  # type: ignore[attr-defined]
StreamingCaller = Annotated[Caller, Depends(_streaming_caller)]
_team_caller.massdm_cost = 0  # type: ignore[attr-defined]
_fan_caller.massdm_cost = 0  # type: ignore[attr-defined]
