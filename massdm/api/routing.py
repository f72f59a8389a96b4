"""The route class of every massdm resource: a request's database work in one worker thread.

A sync handler's dependencies only say what it needs (`api/deps.py`); this class turns the
handler into one trip (`api/admission.py`): a place is waited for on the event loop, then one
worker thread opens the request's unit of work (`api/transaction.py`), authenticates, meters,
runs the handler, renders its model to JSON and commits. A request never holds a connection
while it waits, and crosses to a thread once, whatever the engine.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from massdm.api.admission import Kind
from massdm.api.deps import Needs, fulfil
from massdm.api.transaction import RequestUnit

READ_METHODS = frozenset({"GET", "HEAD"})


def run_unit(request: Request, kind: Kind, handler: Callable[..., Any], values: dict[str, Any],
             status_code: int | None) -> Any:
    """In the worker thread: the whole unit of work of one request."""
    unit = RequestUnit(request, kind)
    with unit.opened():
        result = handler(**fulfil(unit, values))
        return unit.respond(result, status_code)


def _in_one_trip(handler: Callable[..., Any], status_code: int | None, kind: Kind) -> Callable[..., Any]:
    @functools.wraps(handler)
    async def run(**values: Any) -> Any:
        request = next((v.request for v in values.values() if isinstance(v, Needs)), None)
        if request is None:  # nothing of the database: an ordinary sync handler
            return await run_in_threadpool(handler, **values)
        return await request.app.state.admission.run(
            kind, lambda: run_unit(request, kind, handler, values, status_code)
        )

    return run


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            methods = {m.upper() for m in kwargs.get("methods") or ()}
            kind: Kind = "read" if methods and methods <= READ_METHODS else "write"
            endpoint = _in_one_trip(endpoint, kwargs.get("status_code"), kind)
        super().__init__(path, endpoint, **kwargs)
