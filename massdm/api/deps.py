"""Request dependencies: the connection, the caller's key, the account and the meter; and URLs.

A handler asks for what it needs by type (`Db`, `CurrentKey`, `CurrentAccount`, `Metered`,
`Free`, `FanKey`, `FanMeter`). The dependencies themselves touch nothing: each only says what
its parameter needs (`Needs`), and the route class (`api/routing.py`) fulfils them in the
request's one worker thread, inside its unit of work (`api/transaction.py`), in the contract's
order: authenticate (401) -> count the rate limit (429) -> resolve the account (404) -> check
credits (402) -> handler -> charge in the same unit -> commit. Any failure rolls everything
back, the charge included, so errors cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from massdm.api.schemas.common import Cache, Credits, Envelope, Meta, PagedEnvelope, Pagination, RateLimits
from massdm.api.transaction import RequestUnit
from massdm.clock import Clock
from massdm.errors import RateLimited
from massdm.services import accounts as account_service
from massdm.services.metering import RateLimitStatus, insufficient_credits
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey

T = TypeVar("T")
NO_DAILY_LIMIT_NOTICE = "This plan has no daily request limit; only the per-minute limit applies."

_bearer = HTTPBearer(auto_error=False, description="Your massdm API key: `Authorization: Bearer massdm_...`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def credentials_of(request: Request) -> HTTPAuthorizationCredentials | None:
    """The request's bearer credentials, read as the `Bearer` dependency reads them (None if absent)."""
    return await _bearer(request)


@dataclass(frozen=True)
class Needs:
    """What one handler parameter needs from the request's unit of work, fulfilled in its thread."""

    what: Literal["connection", "key", "account", "meter"]
    request: Request
    credentials: HTTPAuthorizationCredentials | None = None
    scope: Literal["api", "fan"] = "api"
    cost: int = 0


async def _connection(request: Request) -> Any:
    return Needs("connection", request)


Db = Annotated[Connection, Depends(_connection)]


async def _clock(request: Request) -> Clock:
    return request.app.state.clock


ClockDep = Annotated[Clock, Depends(_clock)]


async def _current_key(request: Request, credentials: Bearer) -> Any:
    return Needs("key", request, credentials)


CurrentKey = Annotated[ApiKey, Depends(_current_key)]


async def _fan_key(request: Request, credentials: Bearer) -> Any:
    return Needs("key", request, credentials, scope="fan")


FanKey = Annotated[ApiKey, Depends(_fan_key)]


async def _account(
    request: Request,
    account: Annotated[str, Path(description="The account id, `acct_` + 32 hex.")],
    credentials: Bearer,
) -> Any:
    return Needs("account", request, credentials)


CurrentAccount = Annotated[Account, Depends(_account)]


class Meter:
    """Charges a call and wraps its data in the envelope; the charge is part of the request's unit."""

    def __init__(self, unit: RequestUnit, key: ApiKey, cost: int) -> None:
        self._unit = unit
        self._key = key
        self._cost = cost

    def _meta(self, cost: int) -> Meta:
        # A free call reports the balance read with the key, in this same unit.
        balance = self._unit.charge(self._key.team_id, cost) if cost > 0 else self._key.team_balance
        note = "Always" if cost > 0 else "Free endpoint"
        return Meta(
            credits=Credits(used=cost, balance=balance, note=note),
            cache=Cache(),
            rate_limits=rate_limits_meta(self._unit.request.state.rate_status),
        )

    def envelope(self, data: T, *, cost: int | None = None) -> Envelope[T]:
        return Envelope[Any](data=data, meta=self._meta(self._cost if cost is None else cost))

    def paged(self, data: T, next_page: str | None, *, cost: int | None = None) -> PagedEnvelope[T]:
        return PagedEnvelope[Any](
            data=data, pagination=Pagination(next_page=next_page), meta=self._meta(self._cost if cost is None else cost)
        )


def _metered(cost: int, scope: Literal["api", "fan"] = "api"):  # noqa: ANN202
    async def _meter(request: Request, credentials: Bearer) -> Any:
        return Needs("meter", request, credentials, scope=scope, cost=cost)

    _meter.massdm_cost = cost  # type: ignore[attr-defined]  # read by `route_cost`
    return _meter


def route_cost(route: object) -> int:
    """The credits a route's meter charges (0 for a free route, or one without a meter)."""
    dependant = getattr(route, "dependant", None)
    calls = [d.call for d in getattr(dependant, "dependencies", ())]
    return max((getattr(call, "massdm_cost", 0) for call in calls), default=0)


Metered = Annotated[Meter, Depends(_metered(1))]
Free = Annotated[Meter, Depends(_metered(0))]  # authenticated and rate-limited, charged nothing
FanMeter = Annotated[Meter, Depends(_metered(0, "fan"))]


def rate_limits_meta(status: RateLimitStatus) -> RateLimits:
    return RateLimits(
        limit_minute=status.limit_minute,
        limit_day=status.limit_day,
        remaining_minute=status.remaining_minute,
        remaining_day=status.remaining_day,
        notice=NO_DAILY_LIMIT_NOTICE if status.limit_day is None else None,
    )


def count_request(request: Request, key: ApiKey) -> RateLimitStatus:
    """Count this request against the key's rate limits (429 when over), and remember what error
    bodies must say in `_meta` (nothing charged, these limits)."""
    status = request.app.state.rate_limiter.hit(key.id, limit_minute=key.limit_minute, limit_day=key.limit_day)
    describe_limits(request, key, status)
    if not status.allowed:
        raise RateLimited(
            f"Rate limit exceeded. Try again in {status.retry_after} second(s).", retry_after=status.retry_after
        )
    return status


def describe_limits(request: Request, key: ApiKey, status: RateLimitStatus) -> None:
    def error_meta() -> dict[str, Any]:
        meta = Meta(
            credits=Credits(used=0, balance=key.team_balance, note="Always"),
            cache=Cache(),
            rate_limits=rate_limits_meta(status),
        )
        return meta.model_dump(mode="json")

    request.state.error_meta = error_meta
    request.state.rate_status = status


def authenticate(unit: RequestUnit, credentials: HTTPAuthorizationCredentials | None,
                 scope: Literal["api", "fan"] = "api") -> tuple[ApiKey, Account | None]:
    """The caller's key, counted against its rate limits (401 / 429), and the account the path
    names (looked up in the same statement; None if the key may not use it)."""
    assert unit.connection is not None
    request = unit.request
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    account_id = request.path_params.get("account")
    account = None
    if scope == "api" and account_id is not None:
        key, account = account_service.authenticate_for_account(unit.connection, header, account_id)
    else:
        key = account_service.authenticate(unit.connection, header, scope)
    unit.key = key
    count_request(request, key)
    return key, account


def fulfil(unit: RequestUnit, values: dict[str, Any]) -> dict[str, Any]:
    """The handler's arguments with every `Needs` replaced by what it names, in the contract's order."""
    needs = [v for v in values.values() if isinstance(v, Needs)]
    caller = next((n for n in needs if n.what != "connection"), None)
    key = account = None
    if caller is not None:
        key, account = authenticate(unit, caller.credentials, caller.scope)
    if any(n.what == "account" for n in needs):
        account = account_service.require_account(account, unit.request.path_params["account"])
    resolved = dict(values)
    for name, value in values.items():
        if not isinstance(value, Needs):
            continue
        if value.what == "connection":
            resolved[name] = unit.connection
        elif value.what == "key":
            resolved[name] = key
        elif value.what == "account":
            resolved[name] = account
        else:
            assert key is not None
            if value.cost > 0 and key.team_balance < value.cost:
                raise insufficient_credits(value.cost, key.team_balance)
            resolved[name] = Meter(unit, key, value.cost)
    return resolved


async def _streaming_caller(
    request: Request,
    account: Annotated[str, Path(description="The account id, `acct_` + 32 hex.")],
    credentials: Bearer,
) -> tuple[ApiKey, Account]:
    """Key and account for an endpoint that reads its own (possibly large) body.

    Checked in a short read unit of their own: the body streams in afterwards, for as long as
    the client takes, with no transaction (on SQLite, no lock) and no connection held meanwhile.
    The route's own unit later stamps the key's use and charges.
    """
    def check() -> tuple[ApiKey, Account]:
        unit = RequestUnit(request, "read")
        with unit.opened():
            key, found = authenticate(unit, credentials)
            return key, account_service.require_account(found, account)

    return await request.app.state.admission.run("read", check)


StreamingCaller = Annotated[tuple[ApiKey, Account], Depends(_streaming_caller)]


def public_base(request: Request) -> str:
    """The absolute base URL clients reach this server at."""
    settings = request.app.state.settings
    return (settings.public_url or str(request.base_url)).rstrip("/")


def page_url(request: Request, **changes: Any) -> str:
    """This request's URL on the public base, with some query parameters replaced."""
    base = public_base(request)
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items() if v is not None})
    return f"{base}{request.url.path}?{urlencode(params, quote_via=quote)}"  # %20, as the seeds show
