"""The absolute URLs massdm's answers carry: next pages and stored media files."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request

from massdm.api.schemas.media import UrlOf
from massdm.api.state import state_of


def public_base(request: Request) -> str:
    """The absolute base URL clients reach this server at."""
    return (state_of(request).settings.public_url or str(request.base_url)).rstrip("/")


def page_url(request: Request, **changes: Any) -> str:
    """This request's URL on the public base, with some query parameters replaced."""
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items() if v is not None})
    return f"{public_base(request)}{request.url.path}?{urlencode(params, quote_via=quote)}"  # %20, as the seeds show


def media_urls(request: Request) -> UrlOf:
    """How a stored file's URL is made for this request."""
    base = public_base(request)
    store = state_of(request).media_store
    return lambda stored: base + store.url_path(stored.storage_key)
