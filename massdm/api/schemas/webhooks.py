"""Webhook shapes (CONTRACT.md §9, the SDK's `webhook_*` types): snake_case on the wire, like the provider's."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from massdm.api.schemas.common import Text, iso
from massdm.domain.webhooks import delivery_uuid, event_key
from massdm.services.webhooks import Queued, WebhookDraft
from massdm.store.webhook_log import LoggedAttempt
from massdm.store.webhook_subscriptions import Webhook

AccountId = Annotated[str, Field(max_length=64)]


class WebhookIn(BaseModel):
    """POST creates; PUT replaces (endpoint_url, events and account_scope are required either way)."""

    model_config = ConfigDict(extra="ignore")

    endpoint_url: Annotated[Text, Field(max_length=2000, description="Where events are POSTed.")]
    events: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=50)]
    account_scope: Annotated[str, Field(max_length=20, description="global | inclusive | exclusive")]
    account_ids: Annotated[list[AccountId], Field(max_length=1000)] = []
    signing_secret: Annotated[Text | None, Field(max_length=500, description="Key of the `Signature` HMAC. On PUT, "
                                                 "leave it out to keep the current one; null removes it.")] = None
    enabled: bool | None = Field(default=None, description="false stops sending without deleting; true also "
                                 "resumes a webhook massdm paused after failures.")
    mass_message_sent: bool | None = Field(
        default=None, description="massdm's: also send `messages.sent` for every fan a mass message reaches "
        "(one event per fan; off by default).")

    def draft(self) -> WebhookDraft:
        return WebhookDraft(
            endpoint_url=self.endpoint_url, events=list(self.events), account_scope=self.account_scope,
            account_ids=list(self.account_ids), signing_secret=self.signing_secret,
            keep_secret="signing_secret" not in self.model_fields_set, enabled=self.enabled,
            mass_message_sent=self.mass_message_sent,
        )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    has_signing_secret: bool
    created_at: str
    updated_at: str
    account_scope: str
    account_ids: list[str]
    mass_message_sent: bool
    consecutive_failures: int
    paused_at: str | None
    pause_reason: str | None

    @classmethod
    def of(cls, w: Webhook) -> WebhookOut:
        return cls(
            id=w.id, url=w.endpoint_url, events=list(w.events), enabled=w.enabled,
            has_signing_secret=w.signing_secret is not None, created_at=iso(w.created_at) or "",
            updated_at=iso(w.updated_at) or "", account_scope=w.account_scope, account_ids=list(w.account_ids),
            mass_message_sent=w.mass_message_sent, consecutive_failures=w.consecutive_failures,
            paused_at=iso(w.paused_at), pause_reason=w.pause_reason,
        )


class EventOut(BaseModel):
    value: str
    description: str


class DeliveryOut(BaseModel):
    """One attempt in the deliveries log; the attempts of one delivery share `delivery_uuid`."""

    id: int
    delivery_uuid: str
    event: str
    attempt: int
    succeeded: bool
    status_code: int | None
    error_type: str | None
    error_message: str | None
    idempotency_key: str
    url: str
    account_id: str | None
    payload: dict[str, Any] | None
    redelivered_from: int | None
    created_at: str

    @classmethod
    def of(cls, a: LoggedAttempt, secret: str) -> DeliveryOut:
        return cls(
            id=a.id, delivery_uuid=delivery_uuid(secret, a.delivery_id), event=a.event, attempt=a.attempt,
            succeeded=a.succeeded, status_code=a.status_code, error_type=a.error_type,
            error_message=a.error_message, idempotency_key=event_key(secret, a.event_id), url=a.url,
            account_id=a.account_id, payload=a.payload, redelivered_from=a.redelivery_of,
            created_at=iso(a.created_at) or "",
        )


class QueuedOut(BaseModel):
    """A delivery queued on request (test or redelivery); its attempts appear in the log as they happen."""

    success: bool = True
    event: str
    delivery_uuid: str
    idempotency_key: str
    redelivered_from: int | None = None

    @classmethod
    def of(cls, q: Queued, secret: str) -> QueuedOut:
        return cls(event=q.event, delivery_uuid=delivery_uuid(secret, q.delivery_id),
                   idempotency_key=event_key(secret, q.event_id), redelivered_from=q.redelivered_from)
