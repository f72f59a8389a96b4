"""How a request reaches its route, and how a route's database work becomes one thread trip.

`UnitOfWorkRoute` is the route class of every resource. A sync route that takes a `Caller`
(`api/caller.py`) becomes one trip (`api/transaction.py`): a place is waited for on the event
loop, then one worker thread opens the request's unit of work, resolves the caller (401, 429,
404, 402), runs the route, renders its model to JSON and commits. A request never holds a
connection while it waits, and crosses to a thread once, whatever the engine.

`RouteIndex` finds a request's route without trying each route's pattern in turn: routes are
indexed by their literal path segments, and only the few whose shape fits the path are tried,
in their declared order, so the first route that matches is the one Starlette's scan would find.
Anything the index cannot answer for certain (no full match, a 405, a mount) goes through
FastAPI's own router, unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from massdm.api.admission import Kind
from massdm.api.caller import SECURITY_SCHEME, Caller, takes_caller
from massdm.api.transaction import RequestUnit, in_unit

READ_METHODS = frozenset({"GET", "HEAD"})
_END = "/"  # the key of the routes a path ends at: no segment of a split path contains a slash


def _in_one_trip(route: Callable[..., Any], status_code: int | None, kind: Kind) -> Callable[..., Any]:
    @functools.wraps(route)
    async def run(**values: Any) -> Any:
        caller = next((v for v in values.values() if isinstance(v, Caller)), None)
        if caller is None:  # nothing of the database: an ordinary sync route
            return await run_in_threadpool(route, **values)

        def work(unit: RequestUnit) -> Any:
            caller.resolve(unit)
            return unit.respond(route(**values), status_code)

        return await in_unit(caller.request, kind, work)

    return run


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            methods = {m.upper() for m in kwargs.get("methods") or ()}
            kind: Kind = "read" if methods and methods <= READ_METHODS else "write"
            endpoint = _in_one_trip(endpoint, kwargs.get("status_code"), kind)
        super().__init__(path, endpoint, **kwargs)
        if takes_caller(self):  # documented as needing the key, as a security dependency would be
            self.openapi_extra = {"security": [dict.fromkeys(SECURITY_SCHEME, [])], **(self.openapi_extra or {})}


class RouteIndex:
    """The routes of an app by path shape: a tree of literal segments, with a branch for a parameter."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._tree: dict[str | None, Any] = {}
        self._always: list[tuple[int, BaseRoute]] = []  # routes the tree cannot place: tried for every path
        for order, route in enumerate(routes):
            segments = _segments(route)
            if segments is None:
                self._always.append((order, route))
                continue
            node = self._tree
            for segment in segments:
                node = node.setdefault(segment, {})
            node.setdefault(_END, []).append((order, route))

    def candidates(self, path: str) -> list[BaseRoute]:
        found: list[tuple[int, BaseRoute]] = list(self._always)
        nodes = [self._tree]
        for segment in path.strip("/").split("/"):
            following = []
            for node in nodes:
                if segment in node:
                    following.append(node[segment])
                if None in node:
                    following.append(node[None])
            if not following:
                return [route for _, route in sorted(found, key=lambda pair: pair[0])]
            nodes = following
        for node in nodes:
            found.extend(node.get(_END, ()))
        found.sort(key=lambda pair: pair[0])
        return [route for _, route in found]


def _segments(route: BaseRoute) -> list[str | None] | None:
    """The route's path as literal segments and None for each `{parameter}`; None if the route is
    not a plain one-segment-per-parameter HTTP route."""
    path = getattr(route, "path", None)
    if not isinstance(route, APIRoute) or not path or ":" in path:
        return None
    segments: list[str | None] = []
    for part in path.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}") and part.count("{") == 1:
            segments.append(None)
        elif "{" in part or not part:
            return None
        else:
            segments.append(part)
    return segments


class IndexedDispatch:
    """The app's router, answering from a `RouteIndex` when a route matches the request fully."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self.index = RouteIndex(list(router.routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.index.candidates(scope["path"]):
                match, child_scope = route.matches(scope)
                if match == Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.router.app(scope, receive, send)


def index_routes(app: Any) -> None:
    """Route `app`'s requests through an index of its routes (call once all routes are added)."""
    app.router.middleware_stack = IndexedDispatch(app.router)

