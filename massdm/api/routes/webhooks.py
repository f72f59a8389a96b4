"""Webhooks (CONTRACT.md §9): subscriptions, the deliveries log, redelivery, test events; free of credits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response

from massdm.api.deps import ClockDep, CurrentKey, Db, Free, page_url
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, Text
from massdm.api.schemas.webhooks import DeliveryOut, EventOut, QueuedOut, WebhookIn, WebhookOut
from massdm.domain import webhooks as rules
from massdm.domain.dates import parse_query_date
from massdm.services import webhooks as webhook_service
from massdm.services.webhooks import LogFilter

router = APIRouter(tags=["Webhooks"], route_class=UnitOfWorkRoute)

WebhookId = Annotated[str, Path(description="The webhook's id, `wh_` + 32 hex; anything else is not found.")]
_QUEUED = {"description": "Queued: a worker sends it within moments; its attempts appear in the deliveries log."}


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhooks_allow_private


@router.get("/api/webhooks/events", response_model=Envelope[list[EventOut]], summary="Events a webhook can receive")
def list_events(meter: Free) -> Envelope[list[EventOut]]:
    return meter.envelope([EventOut(value=name, description=text) for name, text in rules.EVENTS.items()])


@router.get("/api/webhooks", response_model=Envelope[list[WebhookOut]], summary="The team's webhooks")
def list_webhooks(key: CurrentKey, connection: Db, meter: Free) -> Envelope[list[WebhookOut]]:
    return meter.envelope([WebhookOut.of(w) for w in webhook_service.list_webhooks(connection, key)])


@router.post("/api/webhooks", response_model=Envelope[WebhookOut], status_code=201, summary="Create a webhook")
def create_webhook(body: WebhookIn, request: Request, key: CurrentKey, connection: Db, meter: Free,
                   clock: ClockDep) -> Envelope[WebhookOut]:
    webhook = webhook_service.create(connection, key, body.draft(), clock.now(), allow_private=_allow_private(request))
    return meter.envelope(WebhookOut.of(webhook))


@router.get("/api/webhooks/{webhook_id}", response_model=Envelope[WebhookOut], summary="Get a webhook")
def get_webhook(webhook_id: WebhookId, key: CurrentKey, connection: Db, meter: Free) -> Envelope[WebhookOut]:
    return meter.envelope(WebhookOut.of(webhook_service.get(connection, key, webhook_id)))


@router.put("/api/webhooks/{webhook_id}", response_model=Envelope[WebhookOut], summary="Change a webhook")
def update_webhook(webhook_id: WebhookId, body: WebhookIn, request: Request, key: CurrentKey, connection: Db,
                   meter: Free, clock: ClockDep) -> Envelope[WebhookOut]:
    webhook = webhook_service.update(connection, key, webhook_id, body.draft(), clock.now(),
                                     allow_private=_allow_private(request))
    return meter.envelope(WebhookOut.of(webhook))


@router.delete("/api/webhooks/{webhook_id}", status_code=204, response_class=Response,
               summary="Delete a webhook (its pending deliveries and log go with it)")
def delete_webhook(webhook_id: WebhookId, key: CurrentKey, connection: Db) -> Response:
    webhook_service.delete(connection, key, webhook_id)
    return Response(status_code=204)


@router.get("/api/webhooks/{webhook_id}/deliveries", response_model=PagedEnvelope[list[DeliveryOut]],
            summary="The deliveries log: one row per attempt, newest first, kept 7 days")
def list_deliveries(
    request: Request, webhook_id: WebhookId, key: CurrentKey, connection: Db, meter: Free,
    date_start: Annotated[str | None, Query(description="Y-m-d H:i:s, UTC")] = None,
    date_end: Annotated[str | None, Query(description="Y-m-d H:i:s, UTC; inclusive")] = None,
    event: Annotated[Text | None, Query(max_length=100)] = None,
    succeeded: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> PagedEnvelope[list[DeliveryOut]]:
    where = LogFilter(parse_query_date(date_start, "date_start"), parse_query_date(date_end, "date_end"), event,
                      succeeded)
    attempts, has_more = webhook_service.deliveries(connection, key, webhook_id, where, limit=limit, offset=offset)
    secret = webhook_service.instance_secret(connection)
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return meter.paged([DeliveryOut.of(a, secret) for a in attempts], next_page)


@router.post("/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=Envelope[QueuedOut],
             status_code=202, summary="Send a logged delivery again", responses={202: _QUEUED})
def redeliver(webhook_id: WebhookId, delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request,
              key: CurrentKey, connection: Db, meter: Free, clock: ClockDep,
              background: BackgroundTasks) -> Envelope[QueuedOut]:
    queued = webhook_service.redeliver(connection, key, webhook_id, delivery_id, clock.now())
    background.add_task(request.app.state.wake_worker)
    return meter.envelope(QueuedOut.of(queued, webhook_service.instance_secret(connection)))


@router.post("/api/webhooks/{webhook_id}/test", response_model=Envelope[QueuedOut], status_code=202,
             summary="Send a test-event to the webhook", responses={202: _QUEUED})
def send_test_event(webhook_id: WebhookId, request: Request, key: CurrentKey, connection: Db, meter: Free,
                    clock: ClockDep, background: BackgroundTasks) -> Envelope[QueuedOut]:
    queued = webhook_service.send_test(connection, key, webhook_id, clock.now())
    background.add_task(request.app.state.wake_worker)
    return meter.envelope(QueuedOut.of(queued, webhook_service.instance_secret(connection)))
