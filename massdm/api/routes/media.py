"""Media (CONTRACT.md §6): uploads, the vault, and the stored files themselves."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from massdm.api.deps import ClockDep, CurrentAccount, Db, Metered, StreamingCaller, page_url, public_base
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.transaction import RequestUnit
from massdm.api.schemas.common import Envelope, PagedEnvelope
from massdm.api.schemas.media import MediaOut, MediaPageOut, UploadOut, UrlOf
from massdm.api.uploads import ReceivedFile, receive_form
from massdm.domain.media import MediaType, clean_file_name, upload_cost
from massdm.errors import TooLarge, ValidationFailed
from massdm.media.fetch import FetchRefused, FetchTooLarge, fetch_to
from massdm.services import media as media_service
from massdm.services.media import Processed
from massdm.services.metering import insufficient_credits
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey

router = APIRouter(tags=["Media"], route_class=UnitOfWorkRoute)

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


def url_of(request: Request) -> UrlOf:
    base = public_base(request)
    store = request.app.state.media_store
    return lambda stored: base + store.url_path(stored.storage_key)


async def _fetch(request: Request, url: str) -> ReceivedFile:
    settings = request.app.state.settings
    staged = ReceivedFile("file", request.app.state.media_store.staging_path(),
                          file_name=url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    try:
        staged.size = await fetch_to(
            url, staged.path, max_bytes=settings.media_max_bytes,
            allow_private=settings.media_allow_private_urls, timeout=settings.media_fetch_timeout,
        )
    except FetchRefused as refused:
        staged.path.unlink(missing_ok=True)
        raise ValidationFailed.field("file_url", str(refused)) from None
    except FetchTooLarge:
        staged.path.unlink(missing_ok=True)
        raise TooLarge(f"The file at file_url is larger than {settings.media_max_bytes:,} bytes.") from None
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise
    return staged


@router.post(
    "/api/{account}/media/upload",
    response_model=UploadOut,
    summary="Upload media",
    description="Multipart `file`, or `file_url`. Returns the bare upload object; costs 3 credits per started MB. "
    "The `prefixed_id` can be attached to one message; the upload is also filed in the vault.",
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Larger than the server accepts (`MASSDM_MEDIA_MAX_BYTES`)"}},
)
async def upload_media(request: Request, caller: StreamingCaller, clock: ClockDep) -> Response:
    key, account = caller
    if key.team_balance < upload_cost(1):
        raise insufficient_credits(upload_cost(1), key.team_balance)
    state = request.app.state
    received = await receive_form(request, state.media_store.staging_path, state.settings.media_max_bytes)
    try:
        source_url = received.field("file_url") if received.path is None else None
        if received.path is None:
            if not source_url:
                raise ValidationFailed.field("file", "Send a `file` or a `file_url`.")
            staged = await _fetch(request, source_url.strip())
            received.files.append(staged)
        upload = received.files[0]
        processed = await run_in_threadpool(
            media_service.process_upload, state.media_store, state.av_tools, upload.path, upload.size, account.id
        )
        try:
            return await state.admission.run("write", lambda: _file_upload(request, key, account, upload, processed,
                                                                           source_url))
        except BaseException:
            media_service.discard(state.media_store, processed.files)
            raise
    finally:
        received.discard()


def _file_upload(request: Request, key: ApiKey, account: Account, upload: ReceivedFile, processed: Processed,
                 source_url: str | None) -> Response:
    """Charge (3 credits per started MB) and file the processed upload in the vault: one unit of work."""
    state = request.app.state
    unit = RequestUnit(request, "write")
    with unit.opened() as connection:
        unit.key = key
        item = media_service.record_upload(
            connection, state.ledger_factory, team_id=key.team_id, account_id=account.id, processed=processed,
            size=upload.size, file_name=clean_file_name(upload.file_name), now=state.clock.now(),
        )
        return unit.respond(UploadOut.of(item, url_of(request), source_url), 200)


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
    to_url = url_of(request)
    data = MediaPageOut(list=[MediaOut.of(i, to_url) for i in items], has_more=has_more)
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
    return meter.envelope(MediaOut.of(item, url_of(request)))
