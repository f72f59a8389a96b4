"""Media (CONTRACT.md §6): uploads, the vault, and the stored files themselves."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, UploadCaller, page_url, public_base
from massdm.api.schemas.common import Envelope, PagedEnvelope
from massdm.api.schemas.media import MediaOut, MediaPageOut, UploadOut, UrlOf
from massdm.api.uploads import Received, receive_upload
from massdm.domain.media import MediaType, clean_file_name, upload_cost
from massdm.errors import TooLarge, ValidationFailed
from massdm.media.fetch import FetchRefused, FetchTooLarge, fetch_to
from massdm.services import media as media_service
from massdm.services.metering import insufficient_credits

router = APIRouter(tags=["Media"])

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file. Or give `file_url`."},
                        "file_url": {"type": "string", "description": "A public http(s) URL to fetch the file from."},
                    },
                }
            },
            "application/json": {
                "schema": {"type": "object", "properties": {"file_url": {"type": "string"}}, "required": ["file_url"]}
            },
        },
    }
}


def _url_of(request: Request) -> UrlOf:
    base = public_base(request)
    store = request.app.state.media_store
    return lambda stored: base + store.url_path(stored.storage_key)


async def _fetch(request: Request, received: Received, url: str) -> None:
    settings = request.app.state.settings
    received.path = request.app.state.media_store.staging_path()
    try:
        received.size = await fetch_to(
            url, received.path, max_bytes=settings.media_max_bytes,
            allow_private=settings.media_allow_private_urls, timeout=settings.media_fetch_timeout,
        )
    except FetchRefused as refused:
        raise ValidationFailed.field("file_url", str(refused)) from None
    except FetchTooLarge:
        raise TooLarge(f"The file at file_url is larger than {settings.media_max_bytes:,} bytes.") from None
    received.file_name = received.file_name or url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


@router.post(
    "/api/{account}/media/upload",
    response_model=UploadOut,
    summary="Upload media",
    description="Multipart `file`, or `file_url`. Returns the bare upload object; costs 3 credits per started MB. "
    "The `prefixed_id` can be attached to one message; the upload is also filed in the vault.",
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Larger than the server accepts (`MASSDM_MEDIA_MAX_BYTES`)"}},
)
async def upload_media(request: Request, caller: UploadCaller, clock: ClockDep) -> UploadOut:
    key, account = caller
    if key.team_balance < upload_cost(1):
        raise insufficient_credits(upload_cost(1), key.team_balance)
    state = request.app.state
    received = await receive_upload(request, state.media_store.staging_path(), state.settings.media_max_bytes)
    try:
        source_url = received.fields.get("file_url") if received.path is None else None
        if received.path is None:
            if not source_url:
                raise ValidationFailed.field("file", "Send a `file` or a `file_url`.")
            await _fetch(request, received, source_url.strip())
        item = await run_in_threadpool(
            media_service.ingest_upload, state.engine, state.ledger_factory, state.media_store, state.av_tools,
            clock, team_id=key.team_id, account_id=account.id, staged=received.path, size=received.size,
            file_name=clean_file_name(received.file_name),
        )
    finally:
        received.discard()
    return UploadOut.of(item, _url_of(request), source_url)


@router.get("/api/{account}/media/vault", response_model=PagedEnvelope[MediaPageOut], summary="List vault media")
def list_vault(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    type: Annotated[MediaType | None, Query(description="photo, gif, video or audio; empty for all.")] = None,  # noqa: A002
    limit: Annotated[int, Query(ge=10, le=100, description="Items per page (10-100).")] = 24,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    sort: Annotated[Literal["desc", "asc"], Query(description="Newest (desc) or oldest (asc) first.")] = "desc",
    field: Annotated[
        Literal["recent", "most-liked", "highest-tips"],
        Query(description="Sort field; massdm has no likes or tips yet, so every field orders by upload time."),
    ] = "recent",
) -> PagedEnvelope[MediaPageOut]:
    items, has_more = media_service.list_vault(
        connection, account.id, type=type, limit=limit, offset=offset, newest_first=sort == "desc"
    )
    url_of = _url_of(request)
    data = MediaPageOut(list=[MediaOut.of(i, url_of) for i in items], has_more=has_more)
    return meter.paged(data, page_url(request, offset=offset + limit, limit=limit) if has_more else None)


@router.get("/api/{account}/media/vault/{media_id}", response_model=Envelope[MediaOut], summary="Get vault media")
def get_vault_media(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    media_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The vault media id.")],
) -> Envelope[MediaOut]:
    item = media_service.get_vault_item(connection, account.id, media_id)
    return meter.envelope(MediaOut.of(item, _url_of(request)))
