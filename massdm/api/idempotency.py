"""`Idempotency-Key` on POSTs under /api, as an ASGI middleware around the whole app.

The body is spooled (memory up to 1 MB, then a temporary file) and hashed, the key is
claimed, the request runs with the spooled body, and its response is passed to the
client while being recorded. A repeat replays the recorded response with
`Idempotent-Replayed: true` and costs nothing; see services/idempotency.py for the rules.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from massdm.api.deps import count_request, describe_limits
from massdm.api.errors import render_error
from massdm.domain import idempotency as rules
from massdm.errors import MassdmError
from massdm.services import idempotency as idempotency_service
from massdm.services.accounts import authenticate
from massdm.store.api_keys import ApiKey
from massdm.store.db import in_thread_with_turn, transaction

SPOOL_IN_MEMORY = 1 << 20
MAX_RECORDED_BODY = 4 << 20  # responses larger than this are passed through but not replayable
MAX_CANONICAL_JSON = 8 << 20  # JSON bodies up to this size are compared by meaning, larger ones byte for byte


def _replay_body(body: bytes, content_type: str | None) -> bytes:
    """The stored body, marked as not charged again (`_meta._credits.used` = 0)."""
    if not content_type or "json" not in content_type:
        return body
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    credits = payload.get("_meta", {}).get("_credits") if isinstance(payload, dict) else None
    if isinstance(credits, dict):
        credits["used"] = 0
        return json.dumps(payload).encode()
    return body


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
            caller = await in_thread_with_turn(request.app.state.engine, _identify, request, headers.get("authorization"))
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
        state = request.app.state
        scope_id = rules.scope_hash(str(caller.id), scope["method"], scope["path"], key)
        try:
            decision, attempt = await in_thread_with_turn(
                state.engine, idempotency_service.begin, state.engine, scope_id, request_hash, state.clock.now()
            )
            if decision == "replay" and attempt is not None:
                count_request(request, caller)  # a replay is a request like any other for the limits
                await self._replay(send, attempt)
                return
        except MassdmError as error:
            await render_error(request, error)(scope, _no_body, send)
            return

        async def replay_body() -> Message:
            chunk = spool.read(1 << 16)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

        recorded = bytearray()
        status = {"code": 500, "type": None}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        status["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body" and len(recorded) <= MAX_RECORDED_BODY:
                recorded.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, record)
        except BaseException:
            await in_thread_with_turn(state.engine, idempotency_service.abandon, state.engine, scope_id)
            raise
        if len(recorded) > MAX_RECORDED_BODY:
            await in_thread_with_turn(state.engine, idempotency_service.abandon, state.engine, scope_id)
            return
        await in_thread_with_turn(
            state.engine, idempotency_service.finish, state.engine, scope_id, status["code"], status["type"], bytes(recorded)
        )

    @staticmethod
    async def _replay(send: Send, attempt: rules.StoredAttempt) -> None:
        body = _replay_body(attempt.body or b"", attempt.content_type)
        headers = [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
        if attempt.content_type:
            headers.append((b"content-type", attempt.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": attempt.status_code or 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _json_hash(spool: Any, content_type: str) -> str | None:
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        return None
    raw = spool.read(MAX_CANONICAL_JSON + 1)
    return rules.json_body_hash(raw) if len(raw) <= MAX_CANONICAL_JSON else None


def _identify(request: Request, authorization: str | None) -> ApiKey:
    """The caller's key (401 if none), so keys are scoped to it and errors can carry `_meta`.

    Nothing is counted here: the request itself is counted by the route, a replay by `_run`.
    """
    state = request.app.state
    with transaction(state.engine) as connection:
        caller = authenticate(connection, authorization, state.clock.now())
    status = state.rate_limiter.peek(caller.id, limit_minute=caller.limit_minute, limit_day=caller.limit_day)
    describe_limits(request, caller, status)
    return caller


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
