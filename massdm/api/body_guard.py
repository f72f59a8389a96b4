"""A request body is read only for a caller with a valid key, and only up to its route's limit.

Runs outside everything that reads bodies (FastAPI parses a body before any dependency runs,
the idempotency middleware spools it). For a request that carries a body to /api or /fan/v1,
the key is checked first (401 without reading a byte); a declared `Content-Length` over the
limit is refused at once (413), and a body streamed past it is cut off with 413 as soon as it
crosses the limit. JSON routes take `MASSDM_MAX_BODY_BYTES`; a send (which may carry files)
and an upload take `MASSDM_MEDIA_MAX_BYTES` and their multipart overhead.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from massdm.api.errors import count_unrouted, render_error
from massdm.api.state import call_of, state_of
from massdm.api.transaction import in_unit
from massdm.api.uploads import FORM_OVERHEAD
from massdm.errors import MassdmError, TooLarge, Unauthorized
from massdm.services import accounts as account_service

_KEYED = ("/api/", "/fan/v1/")
_FILE_ROUTES = (re.compile(r"^/api/[^/]+/mass-messaging/?$"), re.compile(r"^/api/[^/]+/media/upload/?$"))


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body crosses its limit; an HTTPException, so FastAPI's own body
    reading lets it through to the error handlers (413 in the contract's shape)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit:,} bytes.")


class BodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        settings = state_of(request).settings
        files = scope["method"] == "POST" and any(route.match(scope["path"]) for route in _FILE_ROUTES)
        limit = settings.media_max_bytes + FORM_OVERHEAD if files else settings.max_body_bytes
        declared = request.headers.get("content-length")
        has_body = (declared not in (None, "0")) or "chunked" in request.headers.get("transfer-encoding", "")
        try:
            if has_body and scope["path"].startswith(_KEYED):
                await _check_key(request)  # 401 before anything else, as everywhere under /api
            if declared is not None and declared.isdigit() and int(declared) > limit:
                if scope["path"].startswith(_KEYED):
                    await count_unrouted(request)  # refused before any route counted it
                raise TooLarge(f"The request body is larger than {limit:,} bytes.")
        except MassdmError as error:
            await render_error(request, error)(scope, receive, send)
            return

        received = 0
        started = False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except BodyTooLarge as error:  # crossed outside the routes (while the idempotency middleware spooled it)
            if started:
                raise
            await render_error(request, TooLarge(str(error.detail)))(scope, receive, send)


async def _check_key(request: Request) -> None:
    authorization = request.headers.get("authorization")
    found = await in_unit(request, "read", lambda unit: account_service.find_key(unit.connection, authorization))
    if found is None:
        raise Unauthorized("no valid key")
    if "api" in found.scopes:
        call_of(request).key = found  # the idempotency middleware need not look it up again
