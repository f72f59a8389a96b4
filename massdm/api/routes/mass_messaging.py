"""Mass messaging (CONTRACT.md §3): send, queue, get, change, unsend, overview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from massdm.api.caller import Caller, Metered, StreamingCaller
from massdm.api.errors import validation_failed
from massdm.api.responses import ERRORS, IDEMPOTENT
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.mass_messaging import (
    MassMessageCreate,
    MassMessageUpdate,
    MessagePageOut,
    QueueEnvelopeData,
    QueueItemOut,
    QueueOut,
)
from massdm.api.sent_pages import CursorEndDate, sent_page
from massdm.api.transaction import RequestUnit, in_unit
from massdm.api.uploads import Received, ReceivedFile, receive_form
from massdm.domain import json_body
from massdm.domain.ids import MAX_DB_ID
from massdm.domain.media import clean_file_name, upload_cost
from massdm.services import mass_messaging as message_service
from massdm.services import media as media_service
from massdm.services.media import Processed
from massdm.services.metering import insufficient_credits
from massdm.store.message_views import MessageView

router = APIRouter(tags=["Mass Messaging"], route_class=UnitOfWorkRoute, responses={**ERRORS, **IDEMPOTENT})

MessageId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The mass message (queue) id.")]
_LIST_FIELDS = {"userLists", "excludedLists", "userIds", "mediaFiles", "previews", "rfTag", "rfPartner", "rfGuest"}
_FILE_FIELDS = frozenset({"mediaFiles", "previews"})
_create_schema = MassMessageCreate.model_json_schema(by_alias=True)
_SEND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _create_schema},
            "multipart/form-data": {"schema": {
                **_create_schema,
                "properties": {
                    **_create_schema["properties"],
                    "mediaFiles[]": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
            }},
        },
    }
}


def _form_values(received: Received) -> dict[str, Any]:
    """A multipart/url-encoded body as the JSON body it stands for: lists from repeated fields,
    `[...]` JSON strings or comma lists; booleans and numbers left to validation."""
    values: dict[str, Any] = {}
    for name, raw in received.fields.items():
        if name in _LIST_FIELDS:
            items: list[Any] = []
            for value in raw:
                text = value.strip()
                if text.startswith("["):
                    try:
                        parsed = json_body.decode(text, field=name)
                    except ValueError:
                        parsed = None
                    if isinstance(parsed, list):
                        items.extend(parsed)
                        continue
                items.extend(p.strip() for p in text.split(",") if p.strip())
            values[name] = items
        else:
            values[name] = raw[-1]
    return values


def _parse_create(received: Received) -> MassMessageCreate:
    data = received.json if isinstance(received.json, dict) else _form_values(received)
    try:
        return MassMessageCreate.model_validate(data)
    except ValidationError as error:
        raise validation_failed(error) from None


def _send(unit: RequestUnit, caller: Caller, body: MassMessageCreate, files: list[ReceivedFile],
          processed: list[Processed]) -> Response:
    """File direct uploads, create the message and charge for both (the call plus 3 credits per
    started MB of files): one unit of work, all or nothing."""
    caller.bind(unit)
    media, previews = [], []
    for staged, item in zip(files, processed, strict=True):
        upload = media_service.record_upload(
            caller.connection, account_id=caller.account.id, processed=item, size=staged.size,
            file_name=clean_file_name(staged.file_name), now=caller.now,
        )
        media.append(upload.upload_id)
        if staged.field == "previews":
            previews.append(upload.upload_id)
    policy = caller.state.policy
    message = message_service.send(caller.connection, caller.account.id, body.draft(media, previews), caller.now,
                                   policy)
    view = message_service.describe(caller.connection, [message], caller.now, policy, named_fans=False)[0]
    cost = 1 + sum(upload_cost(staged.size) for staged in files)
    return unit.respond(Envelope(data=QueueItemOut.of(view), meta=caller.charge(cost)), 200)


@router.post(
    "/api/{account}/mass-messaging",
    response_model=Envelope[QueueItemOut],
    summary="Send a mass message",
    description="To lists and/or fans, now, at `scheduledDate`, or to the saved-for-later queue. JSON, or "
    "multipart/form-data when files come with it (`mediaFiles[]` / `previews[]` parts). Honours "
    "`Idempotency-Key`.",
    openapi_extra=_SEND_BODY,
    responses={413: {"description": "Attached files larger than the server accepts"}},
)
async def send_mass_message(request: Request, caller: StreamingCaller, background: BackgroundTasks) -> Response:
    if caller.key.team_balance < 1:
        raise insufficient_credits(1, caller.key.team_balance)
    state = caller.state
    received = await receive_form(
        request, state.media_store.staging_path, state.settings.media_max_bytes, _FILE_FIELDS, max_json=5_000_000
    )
    processed: list[Processed] = []
    try:
        body = _parse_create(received)
        for staged in received.files:
            processed.append(await run_in_threadpool(
                media_service.process_upload, state.media_store, state.av_tools, staged.path, staged.size,
                caller.account.id,
            ))
        response = await in_unit(request, "write", lambda unit: _send(unit, caller, body, received.files, processed))
    except BaseException:
        for item in processed:
            media_service.discard(state.media_store, item.files)
        raise
    finally:
        received.discard()
    background.add_task(state.wake_workers)
    return response


@router.get("/api/{account}/mass-messaging", response_model=Envelope[list[QueueItemOut]],
            summary="List the mass message queue")
def list_queue(caller: Metered) -> Envelope[list[QueueItemOut]]:
    views = message_service.list_queue(caller.connection, caller.account.id, caller.now, caller.state.policy)
    return Envelope(data=[QueueItemOut.of(v) for v in views], meta=caller.charge())


@router.get(
    "/api/{account}/mass-messaging/overview",
    response_model=PagedEnvelope[MessagePageOut],
    summary="Mass message overview",
    description="Sent mass messages with their counts, newest first. `endDate` is also the pagination cursor.",
)
def overview(
    request: Request,
    caller: Metered,
    start_date: Annotated[str | None, Query(alias="startDate", description="Y-m-d H:i:s, UTC")] = None,
    end_date: CursorEndDate = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    query: Annotated[Text | None, Query(max_length=200)] = None,
    before_id: Annotated[int | None, Query(alias="beforeId", ge=1, le=MAX_DB_ID,
                                           description="massdm's tie-breaker in next_page links")] = None,
) -> PagedEnvelope[MessagePageOut]:
    return sent_page(request, caller, start_date, end_date, limit, query, before_id)


def _queue(view: MessageView) -> QueueEnvelopeData:
    return QueueEnvelopeData(queue=QueueOut.of(view))


@router.get("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueEnvelopeData],
            summary="Get a mass message")
def get_mass_message(message_id: MessageId, caller: Metered) -> Envelope[QueueEnvelopeData]:
    view = message_service.view_message(caller.connection, caller.account.id, message_id, caller.now,
                                        caller.state.policy)
    return Envelope(data=_queue(view), meta=caller.charge())


@router.put("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueItemOut],
            summary="Change a mass message before it is sent")
def update_mass_message(message_id: MessageId, body: MassMessageUpdate, caller: Metered,
                        background: BackgroundTasks) -> Envelope[QueueItemOut]:
    policy = caller.state.policy
    message = message_service.update(caller.connection, caller.account.id, message_id, body.draft(), caller.now,
                                     policy)
    background.add_task(caller.state.wake_workers)
    view = message_service.describe(caller.connection, [message], caller.now, policy, named_fans=False)[0]
    return Envelope(data=QueueItemOut.of(view), meta=caller.charge())


@router.delete("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueEnvelopeData],
               summary="Unsend, or cancel, a mass message")
def delete_mass_message(message_id: MessageId, caller: Metered) -> Envelope[QueueEnvelopeData]:
    policy = caller.state.policy
    message = message_service.delete(caller.connection, caller.account.id, message_id, caller.now, policy)
    view = message_service.describe(caller.connection, [message], caller.now, policy, named_fans=True)[0]
    return Envelope(data=_queue(view), meta=caller.charge())
