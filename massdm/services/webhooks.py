"""Webhooks of a team: subscribe, change, pause, remove; read the deliveries log; redeliver; test.

A webhook belongs to the key's team. A key limited to some accounts sees and manages only
inclusive webhooks of its own accounts: anything wider would hand it other accounts' events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain import webhooks as rules
from massdm.domain.webhooks import AccountScope
from massdm.errors import NotFound, ValidationFailed
from massdm.outbound import AddressRefused, check_syntax, check_url
from massdm.services import accounts as account_service
from massdm.store import instance as instance_store
from massdm.store import webhook_log as log_store
from massdm.store import webhook_subscriptions as subscription_store
from massdm.store.api_keys import ApiKey
from massdm.store.webhook_log import LoggedAttempt
from massdm.store.webhook_subscriptions import NewWebhook, Webhook, WebhookChange
from massdm.webhooks import outbox

MAX_URL = 2000


@dataclass(frozen=True)
class WebhookDraft:
    endpoint_url: str
    events: list[str]
    account_scope: str
    account_ids: list[str]
    signing_secret: str | None = None
    keep_secret: bool = False  # an update that did not mention signing_secret
    enabled: bool | None = None
    mass_message_sent: bool | None = None


@dataclass(frozen=True)
class LogFilter:
    start: datetime | None = None
    end: datetime | None = None
    event: str | None = None
    succeeded: bool | None = None


def _check(connection: Connection, key: ApiKey, draft: WebhookDraft, allow_private: bool) -> AccountScope:
    errors: dict[str, list[str]] = {}
    url = draft.endpoint_url.strip()
    try:
        if len(url) > MAX_URL:
            raise AddressRefused(f"must be at most {MAX_URL} characters")
        check_syntax(url) if allow_private else check_url(url, allow_private=False)
    except AddressRefused as refused:
        errors["endpoint_url"] = [f"The endpoint URL {refused}."]
    unknown = [e for e in draft.events if e not in rules.EVENTS]
    if not draft.events:
        errors["events"] = ["Subscribe to at least one event."]
    elif unknown:
        errors["events"] = [f"Unknown events: {', '.join(unknown)}. Choose from {', '.join(rules.EVENTS)}."]
    try:
        scope = AccountScope(draft.account_scope)
    except ValueError:
        errors["account_scope"] = ["The account_scope must be global, inclusive or exclusive."]
        raise ValidationFailed(errors) from None
    if scope is not AccountScope.GLOBAL and not draft.account_ids:
        errors["account_ids"] = ["Name the accounts an inclusive or exclusive scope applies to."]
    usable = {a.id for a in account_service.accounts_for_key(connection, key)}
    strangers = [a for a in dict.fromkeys(draft.account_ids) if a not in usable]
    if strangers:
        errors["account_ids"] = [f"Unknown accounts: {', '.join(strangers[:20])}."]
    if not key.all_accounts and scope is not AccountScope.INCLUSIVE:
        errors["account_scope"] = ["This API key may use only some accounts, so its webhooks must be inclusive "
                                   "of those accounts."]
    if errors:
        raise ValidationFailed(errors)
    return scope


def _visible(key: ApiKey, webhook: Webhook, usable: set[str]) -> bool:
    return key.all_accounts or (webhook.account_scope == AccountScope.INCLUSIVE and set(webhook.account_ids) <= usable)


def _usable(connection: Connection, key: ApiKey) -> set[str]:
    return set() if key.all_accounts else {a.id for a in account_service.accounts_for_key(connection, key)}


def get(connection: Connection, key: ApiKey, webhook_id: str, *, lock: bool = False) -> Webhook:
    webhook = (subscription_store.get_webhook(connection, key.team_id, webhook_id, lock=lock)
               if rules.is_webhook_id(webhook_id) else None)
    if webhook is None or not _visible(key, webhook, _usable(connection, key)):
        raise NotFound(f"Webhook {webhook_id} was not found.")
    return webhook


def list_webhooks(connection: Connection, key: ApiKey) -> list[Webhook]:
    usable = _usable(connection, key)
    return [w for w in subscription_store.list_webhooks(connection, key.team_id) if _visible(key, w, usable)]


def list_with_last_attempt(connection: Connection, key: ApiKey) -> list[tuple[Webhook, LoggedAttempt | None]]:
    """The webhooks the key sees, each with its last logged attempt (None before its first)."""
    webhooks = list_webhooks(connection, key)
    last = log_store.latest_attempts(connection, [w.id for w in webhooks])
    return [(w, last.get(w.id)) for w in webhooks]


def pending_deliveries(connection: Connection, key: ApiKey, webhook_id: str) -> int:
    """How many of the webhook's deliveries are still to be attempted (queued, or waiting to retry)."""
    get(connection, key, webhook_id)
    return log_store.count_pending(connection, webhook_id)


def create(connection: Connection, key: ApiKey, draft: WebhookDraft, now: datetime, *, allow_private: bool) -> Webhook:
    scope = _check(connection, key, draft, allow_private)
    webhook_id = rules.new_webhook_id()
    subscription_store.insert_webhook(connection, NewWebhook(
        id=webhook_id, team_id=key.team_id, endpoint_url=draft.endpoint_url.strip(), account_scope=scope.value,
        signing_secret=draft.signing_secret or None, enabled=True if draft.enabled is None else draft.enabled,
        mass_message_sent=bool(draft.mass_message_sent), events=draft.events,
        account_ids=[] if scope is AccountScope.GLOBAL else draft.account_ids,
    ), now)
    return get(connection, key, webhook_id)


def update(connection: Connection, key: ApiKey, webhook_id: str, draft: WebhookDraft, now: datetime, *,
           allow_private: bool) -> Webhook:
    """Replace the subscription; enabling a paused webhook clears its pause and its failure count."""
    current = get(connection, key, webhook_id, lock=True)
    scope = _check(connection, key, draft, allow_private)
    subscription_store.update_webhook(connection, webhook_id, WebhookChange(
        endpoint_url=draft.endpoint_url.strip(), account_scope=scope.value, events=draft.events,
        account_ids=[] if scope is AccountScope.GLOBAL else draft.account_ids,
        signing_secret=draft.signing_secret or None, keep_secret=draft.keep_secret, enabled=draft.enabled,
        mass_message_sent=draft.mass_message_sent, resume=bool(draft.enabled) and not current.enabled,
    ), now)
    return get(connection, key, webhook_id)


def delete(connection: Connection, key: ApiKey, webhook_id: str) -> None:
    get(connection, key, webhook_id)
    subscription_store.delete_webhook(connection, key.team_id, webhook_id)


def deliveries(connection: Connection, key: ApiKey, webhook_id: str, where: LogFilter, *, limit: int,
               offset: int) -> tuple[list[LoggedAttempt], bool]:
    get(connection, key, webhook_id)
    if where.event is not None and where.event not in rules.EVENTS and where.event != rules.TEST_EVENT:
        raise ValidationFailed.field("event", f"Unknown event {where.event!r}.")
    if where.start is not None and where.end is not None and where.end < where.start:
        raise ValidationFailed.field("date_end", "The date_end must not be before date_start.")
    return log_store.page_attempts(connection, webhook_id, start=where.start, end=where.end, event=where.event,
                                   succeeded=where.succeeded, limit=limit, offset=offset)


@dataclass(frozen=True)
class Queued:
    """A delivery queued on a user's request: what the log and the receiver will call it."""

    event: str
    event_id: int
    delivery_id: int
    redelivered_from: int | None = None


def redeliver(connection: Connection, key: ApiKey, webhook_id: str, attempt_id: int, now: datetime) -> Queued:
    """Queue the logged attempt's event for sending again (a new delivery with attempts of its own)."""
    get(connection, key, webhook_id)
    attempt = log_store.get_attempt(connection, webhook_id, attempt_id)
    if attempt is None:
        raise NotFound(f"Delivery {attempt_id} of webhook {webhook_id} was not found (the log keeps 7 days).")
    delivery_id = outbox.record_redelivery(connection, webhook_id, attempt, now)
    return Queued(attempt.event, attempt.event_id, delivery_id, attempt.id)


def send_test(connection: Connection, key: ApiKey, webhook_id: str, now: datetime) -> Queued:
    """Queue a test-event for the webhook, whatever it subscribes to and enabled or not."""
    get(connection, key, webhook_id)
    event_id, delivery_id = outbox.record_test(connection, webhook_id, now)
    return Queued(rules.TEST_EVENT, event_id, delivery_id)


def instance_secret(connection: Connection) -> str:
    return instance_store.instance_secret(connection)
