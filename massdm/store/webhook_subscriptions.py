"""Webhook subscriptions: the endpoint, the events it wants and for which accounts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from massdm.store.tables import webhook_accounts, webhook_subscriptions, webhooks


@dataclass(frozen=True)
class Webhook:
    id: str
    team_id: int
    endpoint_url: str
    account_scope: str
    signing_secret: str | None
    enabled: bool
    mass_message_sent: bool
    consecutive_failures: int
    paused_at: datetime | None
    pause_reason: str | None
    created_at: datetime
    updated_at: datetime
    events: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewWebhook:
    id: str
    team_id: int
    endpoint_url: str
    account_scope: str
    signing_secret: str | None
    enabled: bool
    mass_message_sent: bool
    events: list[str]
    account_ids: list[str]  # none for a global scope


@dataclass(frozen=True)
class WebhookChange:
    """A PUT: the subscription is replaced; a None flag (and `keep_secret`) leaves that column as it is."""

    endpoint_url: str
    account_scope: str
    events: list[str]
    account_ids: list[str]
    signing_secret: str | None = None
    keep_secret: bool = False
    enabled: bool | None = None
    mass_message_sent: bool | None = None
    resume: bool = False  # enabling a paused webhook: clear the pause and the failures in a row


_COLUMNS = (
    webhooks.c.id, webhooks.c.team_id, webhooks.c.endpoint_url, webhooks.c.account_scope, webhooks.c.signing_secret,
    webhooks.c.enabled, webhooks.c.mass_message_sent, webhooks.c.consecutive_failures, webhooks.c.paused_at,
    webhooks.c.pause_reason, webhooks.c.created_at, webhooks.c.updated_at,
)


def insert_webhook(connection: Connection, new: NewWebhook, now: datetime) -> None:
    connection.execute(insert(webhooks).values(
        id=new.id, team_id=new.team_id, endpoint_url=new.endpoint_url, account_scope=new.account_scope,
        signing_secret=new.signing_secret, enabled=new.enabled, mass_message_sent=new.mass_message_sent,
        consecutive_failures=0, created_at=now, updated_at=now,
    ))
    _set_children(connection, new.id, new.events, new.account_ids)


def update_webhook(connection: Connection, webhook_id: str, change: WebhookChange, now: datetime) -> None:
    values: dict[str, object] = {"endpoint_url": change.endpoint_url, "account_scope": change.account_scope,
                                 "updated_at": now}
    if not change.keep_secret:
        values["signing_secret"] = change.signing_secret
    if change.mass_message_sent is not None:
        values["mass_message_sent"] = change.mass_message_sent
    if change.enabled is not None:
        values["enabled"] = change.enabled
    if change.resume:
        values.update(paused_at=None, pause_reason=None, consecutive_failures=0)
    connection.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))
    _set_children(connection, webhook_id, change.events, change.account_ids)


def _set_children(connection: Connection, webhook_id: str, events: list[str], account_ids: list[str]) -> None:
    connection.execute(delete(webhook_subscriptions).where(webhook_subscriptions.c.webhook_id == webhook_id))
    connection.execute(insert(webhook_subscriptions),
                       [{"webhook_id": webhook_id, "event": e} for e in dict.fromkeys(events)])
    connection.execute(delete(webhook_accounts).where(webhook_accounts.c.webhook_id == webhook_id))
    if account_ids:
        connection.execute(insert(webhook_accounts),
                           [{"webhook_id": webhook_id, "account_id": a} for a in dict.fromkeys(account_ids)])


def _with_children(connection: Connection, rows) -> list[Webhook]:  # noqa: ANN001
    found = [Webhook(**row._mapping) for row in rows]
    ids = [w.id for w in found]
    if not ids:
        return []
    events: dict[str, list[str]] = {i: [] for i in ids}
    for row in connection.execute(
        select(webhook_subscriptions.c.webhook_id, webhook_subscriptions.c.event)
        .where(webhook_subscriptions.c.webhook_id.in_(ids)).order_by(webhook_subscriptions.c.event)
    ):
        events[row.webhook_id].append(row.event)
    listed: dict[str, list[str]] = {i: [] for i in ids}
    for row in connection.execute(
        select(webhook_accounts.c.webhook_id, webhook_accounts.c.account_id)
        .where(webhook_accounts.c.webhook_id.in_(ids)).order_by(webhook_accounts.c.account_id)
    ):
        listed[row.webhook_id].append(row.account_id)
    return [replace(w, events=tuple(events[w.id]), account_ids=tuple(listed[w.id])) for w in found]


def get_webhook(connection: Connection, team_id: int, webhook_id: str, *, lock: bool = False) -> Webhook | None:
    statement = select(*_COLUMNS).where(webhooks.c.id == webhook_id, webhooks.c.team_id == team_id)
    found = _with_children(connection, connection.execute(statement.with_for_update() if lock else statement))
    return found[0] if found else None


def list_webhooks(connection: Connection, team_id: int) -> list[Webhook]:
    rows = connection.execute(
        select(*_COLUMNS).where(webhooks.c.team_id == team_id).order_by(webhooks.c.created_at, webhooks.c.id)
    )
    return _with_children(connection, rows)


def delete_webhook(connection: Connection, team_id: int, webhook_id: str) -> bool:
    """Remove the webhook with its pending deliveries and its log."""
    return connection.execute(
        delete(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.team_id == team_id)
    ).rowcount == 1
