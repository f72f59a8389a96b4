"""Media (CONTRACT.md §6): uploads and their status, the vault and deleting from it.

Deleting media takes it out of the vault and its lists, never out of the messages that hold it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from massdm.api.caller import Caller, Free, Metered, StreamingCaller
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, SuccessOut
from massdm.api.schemas.media import MediaIdsIn, MediaOut, MediaPageOut, UploadOut, UploadStatusOut
from massdm.api.state import AppState
from massdm.api.transaction import RequestUnit, in_unit
from massdm.api.uploads import ReceivedFile, receive_form
from massdm.api.urls import media_urls, page_url
from massdm.domain.ids import MAX_DB_ID
from massdm.domain.media import MediaType, clean_file_name, upload_cost
from massdm.errors import TooLarge, ValidationFailed
from massdm.media.fetch import FetchRefused, FetchTooLarge, fetch_to
from massdm.services import media as media_service
from massdm.services.media import Processed
from massdm.services.metering import insufficient_credits

router = APIRouter(tags=["Media"], route_class=UnitOfWorkRoute, responses=ERRORS)

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


async def _fetch(state: AppState, url: str) -> ReceivedFile:
    settings = state.settings
    staged = ReceivedFile("file", state.media_store.staging_path(),
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
async def upload_media(request: Request, caller: StreamingCaller) -> Response:
    if caller.key.team_balance < upload_cost(1):
        raise insufficient_credits(upload_cost(1), caller.key.team_balance)
    state = caller.state
    received = await receive_form(request, state.media_store.staging_path, state.settings.media_max_bytes)
    try:
        if received.path is None:
            file_url = received.field("file_url")
            if not file_url:
                raise ValidationFailed.field("file", "Send a `file` or a `file_url`.")
            staged = await _fetch(state, file_url.strip())
            received.files.append(staged)
        upload = received.files[0]
        processed = await run_in_threadpool(
            media_service.process_upload, state.media_store, state.av_tools, upload.path, upload.size,
            caller.account.id,
        )
        try:
            return await in_unit(request, "write",
                                 lambda unit: _file_upload(unit, caller, upload, processed))
        except BaseException:
            media_service.discard(state.media_store, processed.files)
            raise
    finally:
        received.discard()


def _file_upload(unit: RequestUnit, caller: Caller, upload: ReceivedFile, processed: Processed) -> Response:
    """File the processed upload in the vault and charge for it (3 credits per started MB): one unit of work.
    The answer is the bare upload object, so the charge shows in the balance only."""
    caller.bind(unit)
    item = media_service.record_upload(
        caller.connection, account_id=caller.account.id, processed=processed, size=upload.size,
        file_name=clean_file_name(upload.file_name), now=caller.now,
    )
    caller.charge(upload_cost(upload.size))
    answer = UploadOut.of(item, media_urls(unit.request), creator_id=caller.account.onlyfans_id,
                          max_bytes=caller.state.settings.media_max_bytes)
    return unit.respond(answer, 200)


@router.get("/api/{account}/media/vault", response_model=PagedEnvelope[MediaPageOut], summary="List vault media")
def list_vault(
    request: Request,
    caller: Metered,
    type: Annotated[MediaType | None, Query(description="photo, gif, video or audio; empty for all.")] = None,  # noqa: A002
    limit: Annotated[int, Query(ge=10, le=100, description="Items per page (10-100).")] = 24,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    sort: Annotated[Literal["desc", "asc"], Query(description="Newest (desc) or oldest (asc) first.")] = "desc",
    field: Annotated[
        Literal["recent", "most-liked", "highest-tips"],
        Query(description="Sort field; massdm has no likes or tips yet, so every field orders by upload time."),
    ] = "recent",
    in_list: Annotated[
        int | None, Query(alias="list", ge=1, le=MAX_DB_ID, description="Only the media of this vault list.")
    ] = None,
) -> PagedEnvelope[MediaPageOut]:
    items, has_more = media_service.list_vault(
        caller.connection, caller.account.id, type=type, limit=limit, offset=offset, newest_first=sort == "desc",
        in_list=in_list,
    )
    to_url = media_urls(request)
    data = MediaPageOut(list=[MediaOut.of(v.item, to_url, v.lists) for v in items], has_more=has_more)
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return PagedEnvelope.page(data, next_page, caller.charge())


@router.get("/api/{account}/media/vault/{media_id}", response_model=Envelope[MediaOut], summary="Get vault media")
def get_vault_media(
    request: Request,
    caller: Metered,
    media_id: Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The vault media id.")],
) -> Envelope[MediaOut]:
    found = media_service.get_vault_item(caller.connection, caller.account.id, media_id)
    return Envelope(data=MediaOut.of(found.item, media_urls(request), found.lists), meta=caller.charge())


@router.delete(
    "/api/{account}/media/vault/delete-media",
    response_model=Envelope[SuccessOut],
    summary="Delete media from the vault",
    description="`mediaIds`: 1 to 1,000 vault ids, all of this account's vault or none is deleted (404 naming "
    "the others). Deleted media leave the vault and its lists and can no longer be attached to a message; "
    "messages that hold them keep them, so fans who received them still see them.",
)
def delete_vault_media(body: MediaIdsIn, caller: Metered) -> Envelope[SuccessOut]:
    media_service.delete_from_vault(caller.connection, caller.account.id, [int(i) for i in body.media_ids],
                                    caller.now)
    return Envelope(data=SuccessOut(), meta=caller.charge())


@router.get(
    "/api/{account}/media/uploads/{upload}/status",
    response_model=UploadStatusOut,
    summary="Upload status",
    description="Free. The bare status of an upload by its `prefixed_id`; massdm finishes an upload before "
    "answering it, so a known upload is always `completed`.",
)
def get_upload_status(
    request: Request,
    upload: Annotated[str, Path(description="The upload's `prefixed_id`, `ofapi_media_` + 32 hex.")],
    caller: Free,
) -> UploadStatusOut:
    item = media_service.upload_status(caller.connection, caller.account.id, upload)
    return UploadStatusOut.of(item, media_urls(request), creator_id=caller.account.onlyfans_id,
                              max_bytes=caller.state.settings.media_max_bytes)
