"""Campaigns: an account's queue and sent mass messages with their live delivery progress, a campaign's
page (content, numbers, activity chart, buyers, fans it could not reach), and unsend or cancel after
a confirmation.

Everything is read and changed through the services the API uses (the numbers are the API's own),
but console pages are free: they charge no credits and count against no key's rate limits.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from massdm.console import campaign_views
from massdm.console.unit import ConsoleCall, console_page, form_page
from massdm.domain.ids import MAX_DB_ID
from massdm.errors import NotFound, ValidationFailed
from massdm.services import campaigns as campaign_service
from massdm.services import engagement as engagement_service
from massdm.services import mass_messaging as message_service
from massdm.services import saved_for_later as saved_service
from massdm.store.accounts import Account
from massdm.store.message_views import MessageView

router = APIRouter(include_in_schema=False)

SENT_PAGE = 20
SAVED_SHOWN = 100
BUYERS_PAGE = 20
BASE = "/console/accounts/{account}/campaigns"


def _message_id(raw: str) -> int:
    """A campaign id from the address; anything else is a campaign that does not exist."""
    if not raw.isdigit() or not 0 < int(raw) <= MAX_DB_ID:
        raise NotFound(f"Mass message {raw} was not found.")
    return int(raw)


def _number(call: ConsoleCall, name: str) -> int | None:
    raw = call.request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_DB_ID:
        raise ValidationFailed.field(name, f"The {name} must be a whole number.")
    return int(raw)


def _progress(view: MessageView, call: ConsoleCall) -> campaign_views.Progress:
    return campaign_views.progress(view, call.now, clock_jumps=call.state.settings.sandbox)


def _row(view: MessageView, call: ConsoleCall) -> dict:
    return {"view": view, "progress": _progress(view, call)}


def _view(call: ConsoleCall, account: Account, message_id: int) -> MessageView:
    return message_service.view_message(call.connection, account.id, message_id, call.now, call.state.policy)


def _queue(call: ConsoleCall, account: Account) -> tuple[list[MessageView], bool]:
    """What has not gone out, newest first: the API's queue less what started (listed as sent), with the
    saved-for-later messages (the oldest SAVED_SHOWN, the ones automation sends first)."""
    policy = call.state.policy
    waiting = [v for v in message_service.list_queue(call.connection, account.id, call.now, policy)
               if not v.message.started]
    saved, more_saved = saved_service.list_saved(call.connection, account.id, limit=SAVED_SHOWN, offset=0)
    views = waiting + message_service.describe(call.connection, saved, call.now, policy, named_fans=False)
    return sorted(views, key=lambda v: (v.message.created_at, v.message.id), reverse=True), more_saved


@router.get(BASE)
async def campaigns(request: Request, account: str) -> Response:
    """The queue (waiting, scheduled, saved for later, canceled) newest first, then the sent
    campaigns newest first, 20 a page (the API's own endDate cursor; older pages without the queue)."""
    def work(call: ConsoleCall) -> Response:
        target = call.account(account)
        end, before = call.request.query_params.get("end") or None, _number(call, "before")
        sent = engagement_service.sent_messages(call.connection, target.id, start=None, end=end, before_id=before,
                                                query=None, limit=SENT_PAGE, now=call.now, policy=call.state.policy)
        first_page = end is None and before is None
        queue, more_saved = _queue(call, target) if first_page else ([], False)
        older = {"end": sent.cursor[0], "before": sent.cursor[1]} if sent.has_more and sent.cursor else None
        refs = sorted({str(r) for v in (*queue, *sent.views)
                       for r in (*v.message.user_lists, *v.message.excluded_lists)})
        names = {n.id: n.name for n in campaign_service.list_names(call.connection, target.id, refs)}
        return call.page("campaigns/list.html", {
            "queue": [_row(v, call) for v in queue], "more_saved": more_saved, "first_page": first_page,
            "sent": [_row(v, call) for v in sent.views], "older": older, "list_names": names,
        }, account=target)

    return await console_page(request, "read", work)


@router.get(BASE + "/{message_id}")
async def campaign(request: Request, account: str, message_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        target = call.account(account)
        view = _view(call, target, _message_id(message_id))
        m = view.message
        activity = campaign_service.activity(call.connection, target.id, m.id)
        buyers = engagement_service.buyers(call.connection, target.id, m.id, limit=BUYERS_PAGE, offset=0,
                                           marker=_number(call, "buyers_after"))
        files = call.state.media_store
        media = [{"item": item, "preview": item.id in view.preview_ids,
                  "url": files.url_path(stored.storage_key) if (stored := item.file("full")) else None}
                 for item in view.media]
        return call.page("campaigns/campaign.html", {
            "view": view, "message": m, "progress": _progress(view, call),
            "included": campaign_service.list_names(call.connection, target.id, [str(r) for r in m.user_lists]),
            "excluded": campaign_service.list_names(call.connection, target.id, [str(r) for r in m.excluded_lists]),
            "media": media, "activity": activity,
            "chart": campaign_views.activity_chart(activity) if activity.buckets else None,
            "size": campaign_views.bucket_words(activity),
            "buyers": buyers, "unsend_left": campaign_views.unsend_left(view.state.unsend_seconds if view.state else 0),
            "done": call.request.query_params.get("done"),
        }, account=target)

    return await console_page(request, "read", work)


@router.get(BASE + "/{message_id}/progress")
async def progress(request: Request, account: str, message_id: str) -> Response:
    """The delivery bar alone, for htmx to swap in: it asks again every second until delivery is done."""
    def work(call: ConsoleCall) -> Response:
        target = call.account(account)
        view = _view(call, target, _message_id(message_id))
        return call.page("campaigns/_progress.html", _row(view, call), account=target)

    return await console_page(request, "read", work)


@router.get(BASE + "/{message_id}/unsend")
async def confirm_unsend(request: Request, account: str, message_id: str) -> Response:
    """The confirmation step (a page, so it works without JavaScript)."""
    def work(call: ConsoleCall) -> Response:
        target = call.account(account)
        view = _view(call, target, _message_id(message_id))
        return call.page("campaigns/unsend.html", {"view": view, "error": None}, account=target)

    return await console_page(request, "read", work)


@router.post(BASE + "/{message_id}/unsend")
async def unsend(request: Request, account: str, message_id: str) -> Response:
    """Unsend a sent campaign (within its window) or cancel one not sent yet: the API's DELETE, its
    rules and its refusals (shown on the confirmation page, 422)."""
    def work(call: ConsoleCall) -> Response:
        target = call.account(account)
        number = _message_id(message_id)
        try:
            done = message_service.delete(call.connection, target.id, number, call.now, call.state.policy)
        except ValidationFailed as refused:
            view = _view(call, target, number)
            return call.page("campaigns/unsend.html", {"view": view, "error": refused.message}, account=target,
                             status_code=422)
        result = "unsent" if done.started else "canceled"
        return call.redirect(f"{BASE.format(account=target.id)}/{done.id}?done={result}")

    return await form_page(request, work)
