"""`Idempotency-Key` on POSTs under /api, as an ASGI middleware around the whole app.

The caller is identified (401 first, so keys are scoped to it), the body is spooled (memory
up to 1 MB, then a temporary file) and hashed, and the key is claimed with a short lease
that is renewed while the request runs. The request itself then stores its response in the
transaction of its effect (api/transaction.py), so no crash can separate the two. What this
middleware stores afterwards is only the answer of a request that had no effect (a 4xx);
answers never replayed (5xx, 408, 429) free the key at once. A repeat replays the stored
response with `Idempotent-Replayed: true` and costs nothing; see domain/idempotency.py.
The replay is the first answer's exact bytes (its `_meta` included, as it was then): only the
header says it is a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from massdm.api.caller import count_request
from massdm.api.errors import render_error
from massdm.api.state import call_of, state_of
from massdm.api.transaction import RequestUnit, in_unit
from massdm.domain import idempotency as rules
from massdm.domain.idempotency import Claim, StoredAttempt
from massdm.errors import MassdmError, ServiceUnavailable
from massdm.services import accounts as account_service
from massdm.services import idempotency as idempotency_service
from massdm.store.api_keys import ApiKey

SPOOL_IN_MEMORY = 1 << 20
MAX_CANONICAL_JSON = 8 << 20  # JSON bodies up to this size are compared by meaning, larger ones byte for byte
log = logging.getLogger("massdm.api")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            caller = await _identify(request, headers.get("authorization"))
            rules.check_key(key)
        except MassdmError as error:
            await render_error(request, error)(scope, receive, send)
            return

        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
        try:
            digest = hashlib.sha256()
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                digest.update(chunk)
                spool.write(chunk)
                more = message.get("more_body", False)
            spool.seek(0)
            request_hash = _json_hash(spool, headers.get("content-type", "")) or digest.hexdigest()
            spool.seek(0)
            await self._run(scope, send, request, caller, key, request_hash, spool)
        finally:
            spool.close()

    async def _run(self, scope: Scope, send: Send, request: Request, caller: ApiKey, key: str,
                   request_hash: str, spool: Any) -> None:
        clock = state_of(request).clock
        scope_id = rules.scope_hash(str(caller.id), scope["method"], scope["path"], key)

        def claim(unit: RequestUnit) -> tuple[str, StoredAttempt | Claim]:
            decision, held = idempotency_service.claim(unit.connection, scope_id, request_hash, clock.now(),
                                                       caller.team_id)
            if decision == "replay":
                count_request(request, caller)  # a replay is a request like any other for the limits
            return decision, held

        try:
            decision, held = await in_unit(request, "write", claim)
            if decision == "replay":
                assert isinstance(held, StoredAttempt)
                await self._replay(send, held)
                return
        except MassdmError as error:
            await render_error(request, error)(scope, _no_body, send)
            return
        assert isinstance(held, Claim)

        async def replay_body() -> Message:
            chunk = spool.read(1 << 16)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

        recorded = bytearray()
        status: dict[str, Any] = {"code": 500, "type": None}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        status["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                recorded.extend(message.get("body", b""))
            await send(message)

        call_of(scope).claim = held
        try:
            async with _renewed(request, held):
                await self.app(scope, replay_body, record)
        except BaseException:
            await _settle(request, held, None)
            raise
        await _settle(request, held, (status["code"], status["type"], bytes(recorded)))

    @staticmethod
    async def _replay(send: Send, attempt: StoredAttempt) -> None:
        body = attempt.body or b""
        headers = [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
        if attempt.content_type:
            headers.append((b"content-type", attempt.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": attempt.status_code or 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def _renewed(request: Request, held: Claim) -> AsyncIterator[None]:
    """Keep the claim's lease alive while the request runs (it may stream a large body for long)."""
    clock = state_of(request).clock

    def renew(unit: RequestUnit) -> None:
        idempotency_service.renew(unit.connection, held, clock.now())

    async def keep_alive() -> None:
        while True:
            await asyncio.sleep(rules.LEASE.total_seconds() / 3)
            with contextlib.suppress(ServiceUnavailable):
                await in_unit(request, "write", renew)

    task = asyncio.create_task(keep_alive())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _settle(request: Request, held: Claim, answer: tuple[int, str | None, bytes] | None) -> None:
    """After the request: store a 4xx answer (which had no effect) or free the key. A success was
    already stored with its effect; a lost claim stores nothing (the guard sees another token)."""
    if answer is not None and answer[0] < 400 and call_of(request).stored:
        return  # stored with its effect

    def store(unit: RequestUnit) -> None:
        if answer is None:
            idempotency_service.release(unit.connection, held)
            return
        if answer[0] < 400:  # a success not stored with its effect: a route outside the units (a bug)
            log.error("%s %s answered %s without storing it with its effect", request.method,
                      request.url.path, answer[0])
        with contextlib.suppress(MassdmError):  # the claim was lost meanwhile: nothing to store
            idempotency_service.complete(unit.connection, held, *answer)

    with contextlib.suppress(ServiceUnavailable):  # the lease runs out by itself within seconds
        await in_unit(request, "write", store)


def _json_hash(spool: Any, content_type: str) -> str | None:
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        return None
    raw = spool.read(MAX_CANONICAL_JSON + 1)
    return rules.json_body_hash(raw) if len(raw) <= MAX_CANONICAL_JSON else None


async def _identify(request: Request, authorization: str | None) -> ApiKey:
    """The caller's key (401 if none), so keys are scoped to it and errors can carry `_meta`.
    Nothing is counted here: the request itself is counted by the route, a replay by `_run`.
    """
    call = call_of(request)
    rate_limiter = state_of(request).rate_limiter

    def find(unit: RequestUnit) -> ApiKey:
        caller = call.key or account_service.authenticate(unit.connection, authorization)
        call.key = caller
        call.limits = rate_limiter.peek(caller.id, limit_minute=caller.limit_minute, limit_day=caller.limit_day)
        return caller

    return await in_unit(request, "read", find)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
