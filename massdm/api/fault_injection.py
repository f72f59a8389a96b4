"""Faults on purpose at the HTTP edge (sandbox mode only; massdm/app.py installs it there and nowhere else).

A call to /api or /fan whose caller's team has a fault matching its method and path is answered by
the fault instead of massdm: the contract's error body for the fault's status, `Retry-After` (and
`retry-after-ms`, which the official SDK reads first) and `X-Massdm-Fault: flt_…`, after the fault's
latency. The call reaches no route: nothing is created, nothing charged, and it is not counted
against the key's rate limit (a fault stands for a failure in front of massdm, as a gateway's would
be). A latency-only fault delays the call, then lets it through.

Cost: one indexed read per keyed call (the key's team's live faults, none for a team that set
none); a write only when a fault matches, to count it. The wait is an `asyncio.sleep`: no thread or
connection is held while a faulted call waits.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from massdm.api.errors import render_error
from massdm.api.transaction import RequestUnit, in_unit
from massdm.domain import faults as rules
from massdm.domain.faults import Hit
from massdm.errors import MassdmError
from massdm.sandbox import faults as sandbox_faults


class FaultInjection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(rules.FAULTABLE_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            hit = await _hit(request)
        except MassdmError as error:  # no place to look (overloaded): the call's own 503
            await render_error(request, error)(scope, receive, send)
            return
        if hit is None:
            await self.app(scope, receive, send)
            return
        if hit.latency_ms:
            await asyncio.sleep(hit.latency_ms / 1000)
        if hit.status is None:
            await self.app(scope, receive, _marked(send, hit))
            return
        response = render_error(request, rules.fault_error(hit.status, rules.retry_after_for(hit.status,
                                                                                             hit.retry_after)))
        for name in ("Retry-After", "retry-after-ms"):
            if name in response.headers:
                del response.headers[name]
        response.headers.update(hit.headers)
        await response(scope, receive, send)


async def _hit(request: Request) -> Hit | None:
    method, path = request.method, request.url.path
    authorization = request.headers.get("authorization")

    def look(unit: RequestUnit) -> list:
        return sandbox_faults.candidates(unit.connection, authorization, method, path)

    matching = await in_unit(request, "read", look)
    if not matching:
        return None
    return await in_unit(request, "write", lambda unit: sandbox_faults.fire(unit.connection, matching))


def _marked(send: Send, hit: Hit) -> Send:
    """`send` with the fault's header on the response's start (a latency-only fault's call)."""
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []),
                                              (b"x-massdm-fault", hit.fault_id.encode())]}
        await send(message)

    return marked
