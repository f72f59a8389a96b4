"""Compose (issue 17 item 3): write a mass message and send it now, schedule it, or save it for later.

The form is read into the body `POST /api/{account}/mass-messaging` would get (console/compose_form.py),
parsed by the API's own model into the same `MessageDraft` and sent by the same
`services.mass_messaging.send`, so it is judged by the same rules and refused with the same messages;
a new file goes through the upload route's services (`media.process_upload`, `record_upload`),
streamed to a staging file under the same size cap (`api/uploads.receive_form`).

The audience size shown before sending is counted by the worker's own audience conditions
(`mass_messaging.audience_size`): live with htmx while lists and fans are picked, and on the plain
"Preview audience" button without JavaScript.

Console calls are free: no credits are taken (the API charges 1 per send and 3 per started MB of a
file) and the API's rate limits do not apply.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from massdm.api.state import state_of
from massdm.api.uploads import Received, ReceivedFile, receive_form
from massdm.api.urls import media_urls
from massdm.console.compose_form import AUDIENCE_FIELDS, Composed, audience_draft, send_body
from massdm.console.unit import ConsoleCall, check_form, console_page, error_page, form_page
from massdm.domain.media import clean_file_name
from massdm.errors import MassdmError, ValidationFailed
from massdm.services import console as console_service
from massdm.services import mass_messaging as message_service
from massdm.services import media as media_service
from massdm.services import user_lists as list_service
from massdm.services.media import Processed

router = APIRouter(include_in_schema=False)

MAX_LISTS = 500  # lists offered (the first of them: the system lists, then custom lists oldest first)
VAULT_ITEMS = 60  # the newest vault items offered
_UPLOAD_FIELDS = frozenset({"upload"})
_MAX_FORM = 5_000_000  # a body without a file (as the API's send takes)
# A field of the multipart form: room for the longest text the API takes (20,000 characters, up to 4
# bytes each), so a text too long gets the API's message, not the multipart parser's.
_MAX_FIELD = 100_000


def _compose_path(account_id: str) -> str:
    return f"/console/accounts/{account_id}/compose"


def _audience(call: ConsoleCall, account_id: str, composed: Composed) -> dict[str, object]:
    """The audience block's context: the size, or why it cannot be counted (nothing chosen yet, or
    the API's messages for the chosen lists and fans)."""
    if not composed.names_anyone:
        return {"audience": None, "audience_errors": []}
    try:
        size = message_service.audience_size(call.connection, account_id, audience_draft(composed), call.now)
    except ValidationFailed as invalid:
        return {"audience": None, "audience_errors": [m for ms in (invalid.errors or {}).values() for m in ms]}
    return {"audience": size, "audience_errors": []}


def _page(call: ConsoleCall, account_id: str, composed: Composed, *, error: MassdmError | None = None) -> Response:
    account = call.account(account_id)
    lists, more_lists = list_service.list_lists(call.connection, account.id, limit=MAX_LISTS, offset=0, now=call.now)
    lists.sort(key=lambda each: each.is_system)  # the account's own lists first, then the system lists
    vault, more_media = media_service.list_vault(call.connection, account.id, type=None, limit=VAULT_ITEMS, offset=0)
    url_of = media_urls(call.request)
    thumbs = {v.item.id: url_of(thumb) for v in vault if (thumb := v.item.file("thumb")) is not None}
    errors = (error.errors or {"body": [error.message]}) if error is not None else {}
    return call.page("compose/compose.html", {
        "form": composed, "lists": lists, "more_lists": more_lists, "vault": vault, "more_media": more_media,
        "thumbs": thumbs, "errors": errors, "field_errors": _by_field(errors),
        "compose_path": _compose_path(account.id), "audience_fields": AUDIENCE_FIELDS,
        "submission": call.field("submission") or console_service.new_submission(),
        **_audience(call, account.id, composed),
    }, account=account, status_code=error.status_code if error is not None else 200)


def _by_field(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Messages by the form field they belong to (`userIds.2` is the userIds field's)."""
    by_field: dict[str, list[str]] = {}
    for name, messages in errors.items():
        by_field.setdefault(name.split(".", 1)[0], []).extend(messages)
    return by_field


@router.get("/console/accounts/{account}/compose")
async def compose(request: Request, account: str) -> Response:
    return await console_page(request, "read", lambda call: _page(call, account, Composed()))


@router.post("/console/accounts/{account}/compose/audience")
async def audience(request: Request, account: str) -> Response:
    """The audience block alone, for htmx as lists and fans are picked."""
    def work(call: ConsoleCall) -> Response:
        call.account(account)
        composed = Composed.of(call.form or FormData())
        return call.page("compose/_audience.html", _audience(call, account, composed))

    return await form_page(request, work)


def _send(call: ConsoleCall, account_id: str, composed: Composed, upload: ReceivedFile | None,
          processed: Processed | None, sent: list[int]) -> Response:
    """File the new upload (if any) and send the message, as the API's send does: one unit of work.
    Once: a second submission of the same form (a double click, a reload, back and Send again) is
    answered with the campaign the first one made, and sends nothing."""
    account = call.account(account_id)
    body = send_body(composed)
    claimed = console_service.claim_submission(call.connection, call.session, _compose_path(account.id),
                                               call.field("submission") or console_service.new_submission(),
                                               call.now)
    if isinstance(claimed, str):
        return call.redirect(claimed)
    media, previews = [], []
    if upload is not None and processed is not None:
        item = media_service.record_upload(call.connection, account_id=account.id, processed=processed,
                                           size=upload.size, file_name=clean_file_name(upload.file_name),
                                           now=call.now)
        media.append(item.upload_id)
        if composed.upload_preview:
            previews.append(item.upload_id)
    message = message_service.send(call.connection, account.id, body.draft(media, previews), call.now,
                                   call.state.policy)
    sent.append(message.id)
    campaign = f"/console/accounts/{account.id}/campaigns/{message.id}"
    console_service.complete_submission(call.connection, claimed, campaign)
    response = call.redirect(campaign)
    response.background = BackgroundTask(call.state.wake_workers)  # after the unit has committed
    return response


@router.post("/console/accounts/{account}/compose")
async def send(request: Request, account: str) -> Response:
    state = state_of(request)
    try:
        received = await receive_form(request, state.media_store.staging_path, state.settings.media_max_bytes,
                                      _UPLOAD_FIELDS, max_json=_MAX_FORM, max_field=_MAX_FIELD)
    except MassdmError as refused:  # too large, or a malformed body: nothing of the form to show again
        return error_page(request, refused.status_code, refused.message)
    try:
        form = FormData([(name, value) for name, values in received.fields.items() for value in values])
        composed = Composed.of(form)
        if composed.preview_only:
            return await form_page(request, lambda call: _page(call, account, composed), form=form)
        return await _send_composed(request, account, form, composed, _chosen_file(received))
    finally:
        received.discard()


async def _send_composed(request: Request, account: str, form: FormData, composed: Composed,
                         upload: ReceivedFile | None) -> Response:
    """Process the new file (once the body, the session and the account pass, as the API checks its
    caller and body first), then send in one write unit. The file's stored copies are removed
    again unless the message was sent."""
    state = state_of(request)
    processed: Processed | None = None
    sent: list[int] = []

    def again(call: ConsoleCall, error: MassdmError) -> Response:
        sent.clear()  # the form is shown again: whatever the write did was rolled back
        return _page(call, account, composed, error=error)

    try:
        if upload is not None:
            try:
                send_body(composed)  # a body the API refuses costs no file processing
                denied = await check_form(request, form, lambda call: call.account(account))
                if denied is not None:
                    return denied
                processed = await run_in_threadpool(media_service.process_upload, state.media_store,
                                                    state.av_tools, upload.path, upload.size, account)
            except ValidationFailed as invalid:
                refusal: MassdmError = invalid
                return await form_page(request, lambda call: again(call, refusal), form=form)
        try:
            return await form_page(request, lambda call: _send(call, account, composed, upload, processed, sent),
                                   form=form, invalid=again)
        except BaseException:
            sent.clear()  # the unit did not commit
            raise
    finally:
        if processed is not None and not sent:
            media_service.discard(state.media_store, processed.files)


def _chosen_file(received: Received) -> ReceivedFile | None:
    """The new upload, if one was chosen (an empty file input still sends a part, nameless and empty)."""
    return next((f for f in received.files if f.file_name or f.size), None)
