"""The console's webhooks: the team's endpoints, their deliveries log, test events and redelivery.

The same services as /api/webhooks (services/webhooks.py), so a key limited to some accounts sees
and manages only what the API lets it, and a form answers with the API's own validation messages.
Console calls are free of credits and outside the API's rate limits. A test event or a redelivery
wakes the dispatcher once the unit has committed, so it goes out at once; while a webhook has
deliveries still to make, its log refreshes itself (htmx) until they are made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from massdm.console.unit import ConsoleCall, console_page, form_page
from massdm.domain import webhooks as rules
from massdm.domain.ids import parse_db_id
from massdm.errors import NotFound, ValidationFailed
from massdm.services import webhooks as webhook_service
from massdm.services.webhooks import LogFilter, WebhookDraft
from massdm.store.webhook_log import LoggedAttempt
from massdm.store.webhook_subscriptions import Webhook

router = APIRouter(include_in_schema=False)

LOG_PAGE = 20
SCOPES = {"global": "Every account of the team, present and future", "inclusive": "Only the accounts ticked below",
          "exclusive": "Every account but those ticked below"}
NOTICES = {"created": "Webhook created.", "updated": "Webhook saved.", "deleted": "Webhook deleted.",
           "test": "Test event queued: its attempt appears in the log below once it is made.",
           "redelivered": "Redelivery queued: its attempt appears in the log below once it is made."}
OUTCOMES = {"": None, "succeeded": True, "failed": False}


@dataclass(frozen=True)
class WebhookForm:
    """What the form shows: a webhook's settings, or what was typed into it."""

    endpoint_url: str = ""
    events: tuple[str, ...] = ()
    account_scope: str = "global"
    account_ids: tuple[str, ...] = ()
    signing_secret: str = ""
    remove_secret: bool = False
    enabled: bool = True
    mass_message_sent: bool = False

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookForm:
        return cls(webhook.endpoint_url, webhook.events, webhook.account_scope, webhook.account_ids,
                   enabled=webhook.enabled, mass_message_sent=webhook.mass_message_sent)

    @classmethod
    def posted(cls, call: ConsoleCall) -> WebhookForm:
        secret = call.form.get("signing_secret") if call.form is not None else None
        return cls(call.field("endpoint_url"), tuple(call.fields("events")), call.field("account_scope", "global"),
                   tuple(call.fields("account_ids")), secret if isinstance(secret, str) else "",
                   bool(call.field("remove_secret")), bool(call.field("enabled")),
                   bool(call.field("mass_message_sent")))

    def draft(self, *, editing: bool) -> WebhookDraft:
        """As the API's body would say it; on an edit, a blank secret keeps the current one."""
        texts = {"endpoint_url": self.endpoint_url, "signing_secret": self.signing_secret}
        nul = {name: ["must not contain NUL characters"] for name, text in texts.items() if "\x00" in text}
        if nul:
            raise ValidationFailed(nul)
        return WebhookDraft(
            endpoint_url=self.endpoint_url, events=list(self.events), account_scope=self.account_scope,
            account_ids=list(self.account_ids), signing_secret=self.signing_secret or None,
            keep_secret=editing and not self.signing_secret and not self.remove_secret, enabled=self.enabled,
            mass_message_sent=self.mass_message_sent,
        )


@dataclass(frozen=True)
class LogEntry:
    """One attempt as the log shows it."""

    attempt: LoggedAttempt
    delivery_uuid: str
    idempotency_key: str
    payload: str  # pretty JSON


def _state(webhook: Webhook) -> str:
    return rules.webhook_state(webhook.enabled, webhook.paused_at is not None).value


def _allow_private(call: ConsoleCall) -> bool:
    return call.state.settings.webhooks_allow_private


def _woken(call: ConsoleCall, response: Response) -> Response:
    """The response, and once it is sent (the unit committed) the dispatcher woken for what was queued."""
    response.background = BackgroundTask(call.state.wake_workers)
    return response


def _form(call: ConsoleCall, template: str, values: WebhookForm, *, webhook: Webhook | None = None,
          error: ValidationFailed | None = None) -> Response:
    return call.page(template, {
        "values": values, "webhook": webhook, "events": rules.EVENTS, "scopes": SCOPES,
        "errors": (error.errors or {}) if error else {}, "error": error.message if error else None,
    }, status_code=422 if error else 200)


# --- the list and the forms -------------------------------------------------------------------------

@router.get("/console/webhooks")
async def webhooks_page(request: Request, done: str | None = None) -> Response:
    def work(call: ConsoleCall) -> Response:
        rows = [(w, _state(w), last) for w, last in webhook_service.list_with_last_attempt(call.connection, call.key)]
        return call.page("webhooks/list.html", {"rows": rows, "notice": NOTICES.get(done or "")})

    return await console_page(request, "read", work)


@router.get("/console/webhooks/new")
async def new_webhook_page(request: Request) -> Response:
    def work(call: ConsoleCall) -> Response:
        scope = "global" if call.key.all_accounts else "inclusive"
        return _form(call, "webhooks/form.html", WebhookForm(account_scope=scope))

    return await console_page(request, "read", work)


@router.post("/console/webhooks/new")
async def create_webhook(request: Request) -> Response:
    def work(call: ConsoleCall) -> Response:
        values = WebhookForm.posted(call)
        try:
            webhook = webhook_service.create(call.connection, call.key, values.draft(editing=False), call.now,
                                             allow_private=_allow_private(call))
        except ValidationFailed as error:
            return _form(call, "webhooks/form.html", values, error=error)
        return call.redirect(f"/console/webhooks/{webhook.id}?done=created")

    return await form_page(request, work)


@router.get("/console/webhooks/{webhook_id}/edit")
async def edit_webhook_page(request: Request, webhook_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook = webhook_service.get(call.connection, call.key, webhook_id)
        return _form(call, "webhooks/form.html", WebhookForm.of(webhook), webhook=webhook)

    return await console_page(request, "read", work)


@router.post("/console/webhooks/{webhook_id}/edit")
async def update_webhook(request: Request, webhook_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook = webhook_service.get(call.connection, call.key, webhook_id)
        values = WebhookForm.posted(call)
        try:
            webhook_service.update(call.connection, call.key, webhook_id, values.draft(editing=True), call.now,
                                   allow_private=_allow_private(call))
        except ValidationFailed as error:
            return _form(call, "webhooks/form.html", values, webhook=webhook, error=error)
        return call.redirect(f"/console/webhooks/{webhook_id}?done=updated")

    return await form_page(request, work)


@router.get("/console/webhooks/{webhook_id}/delete")
async def delete_webhook_page(request: Request, webhook_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook = webhook_service.get(call.connection, call.key, webhook_id)
        return call.page("webhooks/delete.html", {"webhook": webhook})

    return await console_page(request, "read", work)


@router.post("/console/webhooks/{webhook_id}/delete")
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook_service.delete(call.connection, call.key, webhook_id)
        return call.redirect("/console/webhooks?done=deleted")

    return await form_page(request, work)


@router.post("/console/webhooks/{webhook_id}/test")
async def send_test(request: Request, webhook_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook_service.send_test(call.connection, call.key, webhook_id, call.now)
        return _woken(call, call.redirect(f"/console/webhooks/{webhook_id}?done=test"))

    return await form_page(request, work)


@router.post("/console/webhooks/{webhook_id}/deliveries/{attempt_id}/redeliver")
async def redeliver(request: Request, webhook_id: str, attempt_id: str) -> Response:
    def work(call: ConsoleCall) -> Response:
        number = parse_db_id(attempt_id)
        if number is None:
            raise NotFound(f"Delivery {attempt_id} of webhook {webhook_id} was not found.")
        webhook_service.redeliver(call.connection, call.key, webhook_id, number, call.now)
        return _woken(call, call.redirect(f"/console/webhooks/{webhook_id}?done=redelivered"))

    return await form_page(request, work)


# --- one webhook and its deliveries log ---------------------------------------------------------------

@dataclass(frozen=True)
class LogQuery:
    """The log's page and filters, from the address (anything unreadable reads as the default)."""

    offset: int = 0
    event: str = ""
    outcome: str = ""

    @classmethod
    def of(cls, request: Request) -> LogQuery:
        params = request.query_params
        offset = params.get("offset", "0")
        event = params.get("event", "")
        outcome = params.get("outcome", "")
        return cls(int(offset) if offset.isdigit() and len(offset) < 10 else 0,
                   event if event in rules.EVENTS or event == rules.TEST_EVENT else "",
                   outcome if outcome in OUTCOMES else "")

    def query(self, offset: int | None = None) -> str:
        """The query string of this view of the log (at another `offset`, for the page links)."""
        values = {"offset": self.offset if offset is None else offset, "event": self.event, "outcome": self.outcome}
        return urlencode({name: value for name, value in values.items() if value})


def _log(call: ConsoleCall, webhook_id: str, query: LogQuery) -> dict[str, Any]:
    where = LogFilter(event=query.event or None, succeeded=OUTCOMES[query.outcome])
    attempts, more = webhook_service.deliveries(call.connection, call.key, webhook_id, where, limit=LOG_PAGE,
                                                offset=query.offset)
    secret = webhook_service.instance_secret(call.connection)
    entries = [LogEntry(a, rules.delivery_uuid(secret, a.delivery_id), rules.event_key(secret, a.event_id),
                        json.dumps(a.payload, indent=2, ensure_ascii=False, sort_keys=True)) for a in attempts]
    pending = webhook_service.pending_deliveries(call.connection, call.key, webhook_id)
    return {"webhook_id": webhook_id, "entries": entries, "more": more, "pending": pending, "query": query,
            "log_events": [*rules.EVENTS, rules.TEST_EVENT], "page_size": LOG_PAGE}


@router.get("/console/webhooks/{webhook_id}")
async def webhook_page(request: Request, webhook_id: str, done: str | None = None) -> Response:
    def work(call: ConsoleCall) -> Response:
        webhook = webhook_service.get(call.connection, call.key, webhook_id)
        names = {a.id: a.display_name for a in call.accounts}
        return call.page("webhooks/detail.html", {
            "webhook": webhook, "state": _state(webhook), "names": names, "notice": NOTICES.get(done or ""),
            **_log(call, webhook_id, LogQuery.of(request)),
        })

    return await console_page(request, "read", work)


@router.get("/console/webhooks/{webhook_id}/log")
async def webhook_log(request: Request, webhook_id: str) -> Response:
    """The log alone (what the detail page's refresh swaps in while deliveries are pending)."""
    def work(call: ConsoleCall) -> Response:
        return call.page("webhooks/_log.html", _log(call, webhook_id, LogQuery.of(request)))

    return await console_page(request, "read", work)
