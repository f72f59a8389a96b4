"""Mass messaging (CONTRACT.md §3): send, queue, get, change, unsend, overview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from massdm.api.deps import ClockDep, CurrentAccount, Db, Meter, Metered, StreamingCaller, page_url
from massdm.api.errors import validation_failed
from massdm.api.routes.media import url_of
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.transaction import RequestUnit
from massdm.api.schemas.mass_messaging import (
    MassMessageCreate,
    MassMessageUpdate,
    MessageItemOut,
    MessagePageOut,
    QueueEnvelopeData,
    QueueItemOut,
    QueueOut,
)
from massdm.api.uploads import Received, ReceivedFile, receive_form
from massdm.domain import json_body
from massdm.domain.media import clean_file_name, upload_cost
from massdm.services import engagement as engagement_service
from massdm.services import mass_messaging as message_service
from massdm.services import media as media_service
from massdm.services.media import Processed
from massdm.services.metering import insufficient_credits
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey
from massdm.store.message_views import MessageView

router = APIRouter(tags=["Mass Messaging"], route_class=UnitOfWorkRoute)

MessageId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The mass message (queue) id.")]
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


def _send(
    request: Request,
    key: ApiKey,
    account: Account,
    body: MassMessageCreate,
    files: list[ReceivedFile],
    processed: list[Processed],
) -> Response:
    """File direct uploads, create the message and charge for both (the call plus 3 credits per
    started MB of files): one unit of work, all or nothing."""
    state = request.app.state
    unit = RequestUnit(request, "write")
    with unit.opened() as connection:
        unit.key = key
        now = state.clock.now()
        media, previews = [], []
        for staged, item in zip(files, processed):
            upload = media_service.record_upload(
                connection, state.ledger_factory, team_id=key.team_id, account_id=account.id, processed=item,
                size=staged.size, file_name=clean_file_name(staged.file_name), now=now, charge=False,
            )
            media.append(upload.upload_id)
            if staged.field == "previews":
                previews.append(upload.upload_id)
        message = message_service.send(connection, account.id, body.draft(media, previews), now, state.policy)
        view = message_service.describe(connection, [message], now, state.policy, named_fans=False)[0]
        cost = 1 + sum(upload_cost(staged.size) for staged in files)
        return unit.respond(Meter(unit, key, 1).envelope(QueueItemOut.of(view), cost=cost), 200)


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
    key, account = caller
    if key.team_balance < 1:
        raise insufficient_credits(1, key.team_balance)
    state = request.app.state
    received = await receive_form(
        request, state.media_store.staging_path, state.settings.media_max_bytes, _FILE_FIELDS, max_json=5_000_000
    )
    processed: list[Processed] = []
    try:
        body = _parse_create(received)
        for staged in received.files:
            processed.append(await run_in_threadpool(
                media_service.process_upload, state.media_store, state.av_tools, staged.path, staged.size, account.id
            ))
        response = await state.admission.run(
            "write", lambda: _send(request, key, account, body, received.files, processed)
        )
    except BaseException:
        for item in processed:
            media_service.discard(state.media_store, item.files)
        raise
    finally:
        received.discard()
    background.add_task(state.wake_worker)
    return response


@router.get("/api/{account}/mass-messaging", response_model=Envelope[list[QueueItemOut]],
            summary="List the mass message queue")
def list_queue(account: CurrentAccount, connection: Db, meter: Metered, clock: ClockDep,
               request: Request) -> Envelope[list[QueueItemOut]]:
    views = message_service.list_queue(connection, account.id, clock.now(), request.app.state.policy)
    return meter.envelope([QueueItemOut.of(v) for v in views])


@router.get(
    "/api/{account}/mass-messaging/overview",
    response_model=PagedEnvelope[MessagePageOut],
    summary="Mass message overview",
    description="Sent mass messages with their counts, newest first. `endDate` is also the pagination cursor.",
)
def overview(
    request: Request,
    account: CurrentAccount,
    connection: Db,
    meter: Metered,
    clock: ClockDep,
    start_date: Annotated[str | None, Query(alias="startDate", description="Y-m-d H:i:s, UTC")] = None,
    end_date: Annotated[str | None, Query(alias="endDate", description="Y-m-d H:i:s, UTC; inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    query: Annotated[Text | None, Query(max_length=200)] = None,
    before_id: Annotated[int | None, Query(alias="beforeId", ge=1, le=2**63 - 1,
                                           description="massdm's tie-breaker in next_page links")] = None,
) -> PagedEnvelope[MessagePageOut]:
    return message_page(request, connection, meter, clock, account, start_date, end_date, limit, query, before_id)


def message_page(
    request: Request, connection: Connection, meter: Meter, clock: ClockDep, account: Account,
    start_date: str | None, end_date: str | None, limit: int, query: str | None, before_id: int | None,
) -> PagedEnvelope[MessagePageOut]:
    """The endDate-paged list of sent messages (overview and engagement share it)."""
    page = engagement_service.sent_messages(
        connection, account.id, start=start_date, end=end_date, before_id=before_id, query=query, limit=limit,
        now=clock.now(), policy=request.app.state.policy,
    )
    to_url = url_of(request)
    data = MessagePageOut(has_more=page.has_more, items=[MessageItemOut.of(v, to_url) for v in page.views])
    next_page = None
    if page.has_more and page.cursor is not None:
        next_page = page_url(request, endDate=page.cursor[0], beforeId=page.cursor[1], limit=limit)
    return meter.paged(data, next_page)


def _queue(view: MessageView) -> QueueEnvelopeData:
    return QueueEnvelopeData(queue=QueueOut.of(view))


@router.get("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueEnvelopeData],
            summary="Get a mass message")
def get_mass_message(message_id: MessageId, account: CurrentAccount, connection: Db, meter: Metered,
                     clock: ClockDep, request: Request) -> Envelope[QueueEnvelopeData]:
    view = message_service.view_message(connection, account.id, message_id, clock.now(), request.app.state.policy)
    return meter.envelope(_queue(view))


@router.put("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueItemOut],
            summary="Change a mass message before it is sent")
def update_mass_message(message_id: MessageId, body: MassMessageUpdate, account: CurrentAccount, connection: Db,
                        meter: Metered, clock: ClockDep, request: Request,
                        background: BackgroundTasks) -> Envelope[QueueItemOut]:
    policy = request.app.state.policy
    message = message_service.update(connection, account.id, message_id, body.draft(), clock.now(), policy)
    background.add_task(request.app.state.wake_worker)
    view = message_service.describe(connection, [message], clock.now(), policy, named_fans=False)[0]
    return meter.envelope(QueueItemOut.of(view))


@router.delete("/api/{account}/mass-messaging/{message_id}", response_model=Envelope[QueueEnvelopeData],
               summary="Unsend, or cancel, a mass message")
def delete_mass_message(message_id: MessageId, account: CurrentAccount, connection: Db, meter: Metered,
                        clock: ClockDep, request: Request) -> Envelope[QueueEnvelopeData]:
    policy = request.app.state.policy
    message = message_service.delete(connection, account.id, message_id, clock.now(), policy)
    view = message_service.describe(connection, [message], clock.now(), policy, named_fans=True)[0]
    return meter.envelope(_queue(view))
