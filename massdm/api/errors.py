"""The one renderer of error bodies, and the handlers that route every failure through it.

FastAPI's validation errors, Starlette's 404/405 and unexpected exceptions all leave
in the contract's shape; no framework-default body ever reaches a client. A request under /api
is authenticated and counted whether a route takes it or not, and an error answered once its
caller is counted carries `_meta` (401 and 402 keep their bare bodies) with the note of its
endpoint ("Free endpoint" on a free one).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from massdm.api.caller import Caller, count_request, error_meta, route_cost
from massdm.api.state import call_of, state_of
from massdm.api.transaction import RequestUnit, in_unit
from massdm.domain import json_body
from massdm.errors import InsufficientCredits, MassdmError, NotFound, Unauthorized, ValidationFailed
from massdm.services.accounts import find_key

log = logging.getLogger("massdm.api")

_HTTP_CODES = {
    400: ("BAD_REQUEST", "The request could not be understood."),
    404: ("NOT_FOUND", "No route matches this path."),
    405: ("METHOD_NOT_ALLOWED", "This path does not accept that HTTP method."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The request body has a content type this endpoint does not accept."),
}


def _console_url(request: Request) -> str:
    settings = state_of(request).settings
    base = settings.console_url or settings.public_url or str(request.base_url)
    return base.rstrip("/")


def _route_of(request: Request) -> BaseRoute | None:
    """The route a request is for: the one it was routed to or, for an answer given before
    routing (by a middleware), the one routing will pick (a full match first, then a partial one:
    the path's, for the wrong method)."""
    routed = request.scope.get("route")
    if routed is not None:
        return routed
    partial = None
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return partial


def render_error(request: Request, exc: MassdmError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthorized):
        body: dict[str, Any] = {"error": f"Unauthorized. Go to {_console_url(request)}/api-keys to get your API key."}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, InsufficientCredits):
        return JSONResponse({"message": exc.message}, status_code=402)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = {"error": exc.code, "message": exc.message, "description": exc.description}
    if exc.errors:
        body["errors"] = exc.errors
    meta = error_meta(request, _route_of(request))
    if meta is not None:
        body["_meta"] = meta
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def count_unrouted(request: Request) -> None:
    """Count a keyed request no route's caller counted (an unknown path, a wrong method, a body
    refused before its route), so its error carries `_meta` like every other: 401 without a valid
    key (of any scope), 429 over its limits. Nothing to do for a call already counted (or peeked)."""
    call = call_of(request)
    if call.limits is not None:
        return
    header = request.headers.get("authorization")

    def count(unit: RequestUnit) -> None:
        key = call.key or find_key(unit.connection, header)
        if key is None:
            raise Unauthorized("no valid key")
        count_request(request, key)

    await in_unit(request, "read", count)


async def _check_caller(request: Request) -> None:
    """What a request's caller would have said before its parameters were checked: a request that
    fails validation still gets 401, 429, 404 or 402 first, as the contract orders them."""
    path = request.url.path
    if not path.startswith(("/api/", "/fan/v1/")) or call_of(request).limits is not None:
        return
    caller = Caller(request, scope="fan" if path.startswith("/fan/v1/") else "api",
                    cost=route_cost(request.scope.get("route")), names_account="account" in request.path_params)
    await in_unit(request, "read", caller.resolve)


# What pydantic puts in an error's location for the branch of a union (`int | str`) that failed;
# no wire field has such a name.
_UNION_BRANCHES = frozenset({"int", "str"})


def _field_name(loc: tuple[Any, ...]) -> str:
    """The wire name of the field a pydantic error points at: `userLists`, `userLists.0`, `limit`."""
    parts = [str(p) for p in loc[1:]
             if not (isinstance(p, str) and (p.startswith("function-") or p in _UNION_BRANCHES))]
    if loc and loc[0] == "body" and (not parts or (len(loc) == 2 and isinstance(loc[1], int))):
        return "body"
    if loc and loc[0] == "header" and parts:
        return "-".join(w.capitalize() for w in parts[0].split("-")) + "".join(f".{p}" for p in parts[1:])
    return ".".join(parts) if parts else str(loc[0] if loc else "body")


_LENGTH_ERRORS = frozenset({"too_long", "too_short", "string_too_long", "string_too_short"})


def _length_message(error: dict[str, Any], field: str) -> str | None:
    """A length limit in the unit of what was sent: characters of a string, items of a list.

    pydantic says "items" for every length checked after a validator (our `Text` strings, say)."""
    value, ctx = error.get("input"), error.get("ctx") or {}
    if isinstance(value, str):
        unit, verb, tail = "character", "be", " long"
    elif isinstance(value, (list, tuple, dict)):
        unit, verb, tail = "item", "have", ""
    else:
        return None
    most = error["type"].endswith("too_long")
    limit = ctx.get("max_length" if most else "min_length")
    if not isinstance(limit, int):
        return None
    if not most and limit == 1:
        return f"The {field} field must not be empty."
    return (f"The {field} field must {verb} {'at most' if most else 'at least'} {limit:,} "
            f"{unit}{'' if limit == 1 else 's'}{tail} (it has {len(value):,}).")


def _message(error: dict[str, Any], field: str) -> str:
    kind = error.get("type", "")
    if kind in _LENGTH_ERRORS and (worded := _length_message(error, field)):
        return worded
    if kind == "missing":
        return f"The {field} field is required."
    if kind == "json_invalid":
        return f"The request body is not valid JSON: {error.get('ctx', {}).get('error', 'parse error')}."
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    return f"The {field} field is invalid: {message[0].lower() + message[1:] if message else message}."


def validation_failed(exc: RequestValidationError | ValidationError, *, location: str = "body") -> ValidationFailed:
    """A pydantic/FastAPI validation error as the contract's 422, fields named by their wire names."""
    raw = exc.errors()
    if isinstance(exc, ValidationError):
        raw = [{**e, "loc": (location, *e.get("loc", ()))} for e in raw]
    errors: dict[str, list[str]] = {}
    for error in raw:
        field = _field_name(tuple(error.get("loc", ())))
        errors.setdefault(field, []).append(_message(dict(error), field))
    return ValidationFailed(errors or {"body": ["The request is invalid."]})


def _unknown_path_id(request: Request, exc: RequestValidationError) -> NotFound | None:
    """An id in an /api path that is no id at all (`abc`, `1.5`, `0`, past 64 bits) names nothing that
    can exist: a 404 like an unknown id's (and an account's or list's of the wrong form), whatever
    else the request gets wrong. The fan side (/fan/v1) keeps its 422s: there an unknown fan is an
    empty inbox, not a missing resource."""
    if not request.url.path.startswith("/api/"):
        return None
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "path":
            name = str(loc[1])
            noun = name.removesuffix("_id").replace("_", " ")
            return NotFound(f"No {noun} has the id {request.path_params.get(name, error.get('input'))}.")
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MassdmError)
    async def _massdm_error(request: Request, exc: MassdmError) -> JSONResponse:
        return render_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        try:
            await _check_caller(request)
        except MassdmError as earlier:
            return render_error(request, earlier)
        if (unknown := _unknown_path_id(request, exc)) is not None:
            return render_error(request, unknown)
        if json_body.too_deep(exc.body):  # no route takes such a body: say why, as receive_form does
            return render_error(request, json_body.nested_too_deeply())
        return render_error(request, validation_failed(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if request.url.path.startswith("/api/"):
            # Everything under /api needs a key, even paths that do not exist, and counts.
            try:
                await count_unrouted(request)
            except MassdmError as refused:
                return render_error(request, refused)
        if isinstance(exc.__cause__, RecursionError):  # FastAPI's own body parse hit the nesting limit
            return render_error(request, json_body.nested_too_deeply())
        code, description = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "The request failed."))
        message = str(exc.detail) if exc.detail else description
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route matches {request.method} {request.url.path}."
        elif exc.status_code == 405 and message == "Method Not Allowed":
            message = f"{request.url.path} does not accept {request.method}."
        error = MassdmError(message, description=description)
        error.status_code, error.code = exc.status_code, code
        response = render_error(request, error)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        error = MassdmError("Something went wrong on our side.", description="An unexpected server error.")
        error.status_code, error.code = 500, "INTERNAL_ERROR"
        return render_error(request, error)
