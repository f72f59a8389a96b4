"""The route class of every massdm resource: a sync handler, its commit and its JSON in one thread trip.

FastAPI runs a sync handler in the thread pool, then validates and serialises its return value
against the response model in another trip, and the request's transaction would end in a third.
Here the handler's own worker thread commits the request's transaction as soon as the handler
returns and renders the returned model to JSON bytes, so a request crosses to a thread once.
The response model still documents the route; handlers build their responses from those models.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import Response

from massdm.api.deps import commit_request_transaction


def _in_one_trip(handler: Callable[..., Any], status_code: int | None) -> Callable[..., Any]:
    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = handler(*args, **kwargs)
        commit_request_transaction()
        if isinstance(result, BaseModel):
            return Response(result.model_dump_json(by_alias=True), status_code=status_code or 200,
                            media_type="application/json")
        return result

    return run


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _in_one_trip(endpoint, kwargs.get("status_code"))
        super().__init__(path, endpoint, **kwargs)
