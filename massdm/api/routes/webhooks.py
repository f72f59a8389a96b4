"""Webhooks (CONTRACT.md §9): subscriptions, the deliveries log, redelivery, test events; free of credits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response

from massdm.api.caller import TeamCaller
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.webhooks import DeliveryOut, EventOut, QueuedOut, WebhookIn, WebhookOut
from massdm.api.urls import page_url
from massdm.domain import webhooks as rules
from massdm.domain.dates import parse_query_date
from massdm.domain.ids import MAX_DB_ID
from massdm.services import webhooks as webhook_service
from massdm.services.webhooks import LogFilter

router = APIRouter(tags=["Webhooks"], route_class=UnitOfWorkRoute, responses=ERRORS)

WebhookId = Annotated[str, Path(description="The webhook's id, `wh_` + 32 hex; anything else is not found.")]
_QUEUED = {"description": "Queued: a worker sends it within moments; its attempts appear in the deliveries log."}


def _allow_private(caller: TeamCaller) -> bool:
    return caller.state.settings.webhooks_allow_private


@router.get("/api/webhooks/events", response_model=Envelope[list[EventOut]], summary="Events a webhook can receive")
def list_events(caller: TeamCaller) -> Envelope[list[EventOut]]:
    events = [EventOut(value=name, description=text) for name, text in rules.EVENTS.items()]
    return Envelope(data=events, meta=caller.charge())


@router.get("/api/webhooks", response_model=Envelope[list[WebhookOut]], summary="The team's webhooks")
def list_webhooks(caller: TeamCaller) -> Envelope[list[WebhookOut]]:
    webhooks = webhook_service.list_webhooks(caller.connection, caller.key)
    return Envelope(data=[WebhookOut.of(w) for w in webhooks], meta=caller.charge())


@router.post("/api/webhooks", response_model=Envelope[WebhookOut], status_code=201, summary="Create a webhook")
def create_webhook(body: WebhookIn, caller: TeamCaller) -> Envelope[WebhookOut]:
    webhook = webhook_service.create(caller.connection, caller.key, body.draft(), caller.now,
                                     allow_private=_allow_private(caller))
    return Envelope(data=WebhookOut.of(webhook), meta=caller.charge())


@router.get("/api/webhooks/{webhook_id}", response_model=Envelope[WebhookOut], summary="Get a webhook")
def get_webhook(webhook_id: WebhookId, caller: TeamCaller) -> Envelope[WebhookOut]:
    webhook = webhook_service.get(caller.connection, caller.key, webhook_id)
    return Envelope(data=WebhookOut.of(webhook), meta=caller.charge())


@router.put("/api/webhooks/{webhook_id}", response_model=Envelope[WebhookOut], summary="Change a webhook")
def update_webhook(webhook_id: WebhookId, body: WebhookIn, caller: TeamCaller) -> Envelope[WebhookOut]:
    webhook = webhook_service.update(caller.connection, caller.key, webhook_id, body.draft(), caller.now,
                                     allow_private=_allow_private(caller))
    return Envelope(data=WebhookOut.of(webhook), meta=caller.charge())


@router.delete("/api/webhooks/{webhook_id}", status_code=204, response_class=Response,
               summary="Delete a webhook (its pending deliveries and log go with it)")
def delete_webhook(webhook_id: WebhookId, caller: TeamCaller) -> Response:
    webhook_service.delete(caller.connection, caller.key, webhook_id)
    return Response(status_code=204)


@router.get("/api/webhooks/{webhook_id}/deliveries", response_model=PagedEnvelope[list[DeliveryOut]],
            summary="The deliveries log: one row per attempt, newest first, kept 7 days")
def list_deliveries(
    request: Request, webhook_id: WebhookId, caller: TeamCaller,
    date_start: Annotated[str | None, Query(description="Y-m-d H:i:s, UTC")] = None,
    date_end: Annotated[str | None, Query(description="Y-m-d H:i:s, UTC; inclusive")] = None,
    event: Annotated[Text | None, Query(max_length=100)] = None,
    succeeded: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> PagedEnvelope[list[DeliveryOut]]:
    where = LogFilter(parse_query_date(date_start, "date_start"), parse_query_date(date_end, "date_end"), event,
                      succeeded)
    attempts, has_more = webhook_service.deliveries(caller.connection, caller.key, webhook_id, where, limit=limit,
                                                    offset=offset)
    secret = webhook_service.instance_secret(caller.connection)
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return PagedEnvelope.page([DeliveryOut.of(a, secret) for a in attempts], next_page, caller.charge())


@router.post("/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=Envelope[QueuedOut],
             status_code=202, summary="Send a logged delivery again", responses={202: _QUEUED})
def redeliver(webhook_id: WebhookId, delivery_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)],
              caller: TeamCaller, background: BackgroundTasks) -> Envelope[QueuedOut]:
    queued = webhook_service.redeliver(caller.connection, caller.key, webhook_id, delivery_id, caller.now)
    background.add_task(caller.state.wake_workers)
    data = QueuedOut.of(queued, webhook_service.instance_secret(caller.connection))
    return Envelope(data=data, meta=caller.charge())


@router.post("/api/webhooks/{webhook_id}/test", response_model=Envelope[QueuedOut], status_code=202,
             summary="Send a test-event to the webhook", responses={202: _QUEUED})
def send_test_event(webhook_id: WebhookId, caller: TeamCaller,
                    background: BackgroundTasks) -> Envelope[QueuedOut]:
    queued = webhook_service.send_test(caller.connection, caller.key, webhook_id, caller.now)
    background.add_task(caller.state.wake_workers)
    data = QueuedOut.of(queued, webhook_service.instance_secret(caller.connection))
    return Envelope(data=data, meta=caller.charge())
