"""Request dependencies: the transaction, the caller's key, the account, and the meter.

Order of a metered call: open the transaction -> authenticate (401) -> count the
rate limit (429) -> resolve the account (404) -> check credits (402) -> handler ->
charge inside the same transaction -> commit. Any failure rolls everything back,
the charge included, so errors cost nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any, AsyncIterator, Callable, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool

from massdm.api.schemas.common import Cache, Credits, Envelope, Meta, PagedEnvelope, Pagination, RateLimits
from massdm.clock import Clock
from massdm.errors import RateLimited
from massdm.services import accounts as account_service
from massdm.services.metering import CreditLedger, RateLimitStatus, insufficient_credits
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey
from massdm.store.db import begin_if_free, in_thread_with_turn, is_sqlite, transaction, write_turn

T = TypeVar("T")
NO_DAILY_LIMIT_NOTICE = "This plan has no daily request limit; only the per-minute limit applies."

_bearer = HTTPBearer(auto_error=False, description="Your massdm API key: `Authorization: Bearer massdm_...`")


class RequestTransaction:
    """A request's unit of work: begun before its handler runs, ended by the handler's own thread.

    The route class (`api/routing.py`) commits it in the worker thread that ran a sync handler,
    right after the handler returns, so a request costs one trip through the thread pool; the
    dependency's teardown only ends what is still open (an error, an async handler).
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.ended = False

    def commit(self) -> None:
        if not self.ended:
            self.ended = True
            self.connection.commit()

    def rollback(self) -> None:
        if not self.ended:
            self.ended = True
            self.connection.rollback()


_REQUEST_TRANSACTION: ContextVar[RequestTransaction | None] = ContextVar("massdm_request_transaction", default=None)


def commit_request_transaction() -> None:
    """Commit the current request's transaction, if it has one still open (called by the route class)."""
    unit = _REQUEST_TRANSACTION.get()
    if unit is not None:
        unit.commit()


async def _begun(engine: Engine) -> Connection:
    """A connection with its transaction begun; on SQLite right here unless another process holds the lock."""
    if is_sqlite(engine):
        connection = engine.connect()
        if not begin_if_free(connection):
            await run_in_threadpool(connection.begin)
        return connection

    def begin() -> Connection:
        connection = engine.connect()
        connection.begin()
        return connection

    return await run_in_threadpool(begin)


async def _connection(request: Request) -> AsyncIterator[Connection]:
    """The request's transaction; on SQLite its turn at the write lock is waited for without a thread."""
    engine = request.app.state.engine
    async with write_turn(engine):
        connection = await _begun(engine)
        unit = RequestTransaction(connection)
        token = _REQUEST_TRANSACTION.set(unit)
        try:
            yield connection
        except BaseException:
            await run_in_threadpool(_end, unit, unit.rollback)
            raise
        else:
            if unit.ended and is_sqlite(engine):
                connection.close()  # back to the pool: no I/O on SQLite
            else:
                await run_in_threadpool(_end, unit, unit.commit)
        finally:
            try:
                _REQUEST_TRANSACTION.reset(token)
            except ValueError:  # torn down from another context: just clear it
                _REQUEST_TRANSACTION.set(None)


def _end(unit: RequestTransaction, end: Callable[[], None]) -> None:
    try:
        end()
    finally:
        unit.connection.close()


Db = Annotated[Connection, Depends(_connection, scope="function")]


async def _clock(request: Request) -> Clock:
    return request.app.state.clock


async def in_transaction(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run store work inside the request's already-open transaction, in as few thread hops as is safe.

    On SQLite the transaction took the write lock when it began (BEGIN IMMEDIATE), so its
    statements never wait on anyone: they run right here, saving a trip through the thread
    pool. On PostgreSQL a statement may wait for a row lock held by another request, which
    must never block the event loop: there it goes to the thread pool.
    """
    if request.app.state.engine.dialect.name == "sqlite":
        return work(*args)
    return await run_in_threadpool(work, *args)


ClockDep = Annotated[Clock, Depends(_clock)]


def rate_limits_meta(status: RateLimitStatus) -> RateLimits:
    return RateLimits(
        limit_minute=status.limit_minute,
        limit_day=status.limit_day,
        remaining_minute=status.remaining_minute,
        remaining_day=status.remaining_day,
        notice=NO_DAILY_LIMIT_NOTICE if status.limit_day is None else None,
    )


def _authenticate(
    request: Request,
    connection: Connection,
    clock: Clock,
    credentials: HTTPAuthorizationCredentials | None,
    scope: str = "api",
) -> ApiKey:
    """The caller's key, counted against its rate limits (401 / 429).

    When the path names an account, the account is looked up in the same statement and kept
    on `request.state.path_account` for `CurrentAccount` to check (404) after the limits.
    """
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    account_id = request.path_params.get("account")
    if scope == "api" and account_id is not None:
        key, request.state.path_account = account_service.authenticate_for_account(
            connection, header, account_id, clock.now()
        )
    else:
        key = account_service.authenticate(connection, header, clock.now(), scope)
    count_request(request, key)
    return key


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


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _current_key(request: Request, connection: Db, clock: ClockDep, credentials: Bearer) -> ApiKey:
    return await in_transaction(request, _authenticate, request, connection, clock, credentials)


CurrentKey = Annotated[ApiKey, Depends(_current_key)]


async def _fan_key(request: Request, connection: Db, clock: ClockDep, credentials: Bearer) -> ApiKey:
    return await in_transaction(request, _authenticate, request, connection, clock, credentials, "fan")


FanKey = Annotated[ApiKey, Depends(_fan_key)]


async def _account(
    request: Request,
    account: Annotated[str, Path(description="The account id, `acct_` + 32 hex.")],
    key: CurrentKey,
) -> Account:
    return account_service.require_account(request.state.path_account, account)


CurrentAccount = Annotated[Account, Depends(_account)]


class Meter:
    """Charges a call and wraps its data in the envelope; the charge shares the request's transaction."""

    def __init__(self, request: Request, connection: Connection, key: ApiKey, cost: int) -> None:
        self._request = request
        self._key = key
        self._cost = cost
        self._ledger: CreditLedger = request.app.state.ledger_factory(connection)

    def _meta(self, cost: int) -> Meta:
        # A free call reports the balance read with the key, in this same transaction.
        balance = self._ledger.charge(self._key.team_id, cost) if cost > 0 else self._key.team_balance
        note = "Always" if cost > 0 else "Free endpoint"
        return Meta(
            credits=Credits(used=cost, balance=balance, note=note),
            cache=Cache(),
            rate_limits=rate_limits_meta(self._request.state.rate_status),
        )

    def envelope(self, data: T, *, cost: int | None = None) -> Envelope[T]:
        return Envelope[Any](data=data, meta=self._meta(self._cost if cost is None else cost))

    def paged(self, data: T, next_page: str | None, *, cost: int | None = None) -> PagedEnvelope[T]:
        return PagedEnvelope[Any](
            data=data, pagination=Pagination(next_page=next_page), meta=self._meta(self._cost if cost is None else cost)
        )


def metered(cost: int = 1) -> Callable[..., Meter]:
    async def _meter(request: Request, key: CurrentKey, connection: Db) -> Meter:
        if cost > 0 and key.team_balance < cost:
            raise insufficient_credits(cost, key.team_balance)
        return Meter(request, connection, key, cost)

    return _meter


Metered = Annotated[Meter, Depends(metered(1))]
Free = Annotated[Meter, Depends(metered(0))]  # authenticated and rate-limited, charged nothing


async def _free_fan_meter(request: Request, key: FanKey, connection: Db) -> Meter:
    return Meter(request, connection, key, 0)


FanMeter = Annotated[Meter, Depends(_free_fan_meter)]


async def _streaming_caller(
    request: Request,
    account: Annotated[str, Path(description="The account id, `acct_` + 32 hex.")],
    clock: ClockDep,
    credentials: Bearer,
) -> tuple[ApiKey, Account]:
    """Key and account for an endpoint that reads its own (possibly large) body.

    Checked in a short transaction of their own: the body streams in afterwards, for as long
    as the client takes, and no transaction (on SQLite, no write lock) may be held meanwhile.
    """
    def check() -> tuple[ApiKey, Account]:
        with transaction(request.app.state.engine) as connection:
            key = _authenticate(request, connection, clock, credentials)
            return key, account_service.account_for_key(connection, key, account)

    return await in_thread_with_turn(request.app.state.engine, check)


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
