"""The fan side, for the platform's fan app: a fan's inbox of mass messages, viewing and buying.

Under /fan/v1 (outside /api/{account}); needs a team key with the `fan` scope. A fan id is
the platform's user id, so the inbox spans every account of the team the key may use. The
platform itself may also report many fans' views and purchases at once (POST /fan/v1/events).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from massdm.api.caller import Caller, FanCaller
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope
from massdm.api.schemas.fan_inbox import FanEventsIn, FanEventsOut, InboxMessageOut, InboxPageOut
from massdm.api.urls import media_urls, page_url
from massdm.domain.ids import MAX_DB_ID
from massdm.services import accounts as account_service
from massdm.services import fan_events as event_service
from massdm.services import fan_inbox as inbox_service

router = APIRouter(tags=["Fan side"], route_class=UnitOfWorkRoute, responses=ERRORS)

FanId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The fan's (platform user's) id.")]
MessageId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _accounts(caller: Caller) -> list[str]:
    return [a.id for a in account_service.accounts_for_key(caller.connection, caller.key)]


@router.get("/fan/v1/{fan_id}/messages", response_model=PagedEnvelope[InboxPageOut],
            summary="A fan's inbox of mass messages")
def inbox(
    request: Request, fan_id: FanId, caller: FanCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 10, offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> PagedEnvelope[InboxPageOut]:
    entries, has_more = inbox_service.inbox(caller.connection, fan_id, _accounts(caller), limit=limit,
                                            offset=offset, now=caller.now, policy=caller.state.policy)
    to_url = media_urls(request)
    data = InboxPageOut(list=[InboxMessageOut.of(e, to_url) for e in entries], has_more=has_more)
    next_page = page_url(request, offset=offset + limit, limit=limit) if has_more else None
    return PagedEnvelope.page(data, next_page, caller.charge())


@router.get("/fan/v1/{fan_id}/messages/{message_id}", response_model=Envelope[InboxMessageOut],
            summary="One message in a fan's inbox")
def get_message(request: Request, fan_id: FanId, message_id: MessageId,
                caller: FanCaller) -> Envelope[InboxMessageOut]:
    entry = inbox_service.open_message(caller.connection, fan_id, _accounts(caller), message_id, caller.now,
                                       caller.state.policy)
    return Envelope(data=InboxMessageOut.of(entry, media_urls(request)), meta=caller.charge())


@router.post("/fan/v1/{fan_id}/messages/{message_id}/view", response_model=Envelope[InboxMessageOut],
             summary="The fan views a message (counted once)")
def view_message(request: Request, fan_id: FanId, message_id: MessageId,
                 caller: FanCaller) -> Envelope[InboxMessageOut]:
    entry = inbox_service.view(caller.connection, fan_id, _accounts(caller), message_id, caller.now,
                               caller.state.policy)
    return Envelope(data=InboxMessageOut.of(entry, media_urls(request)), meta=caller.charge())


@router.post("/fan/v1/{fan_id}/messages/{message_id}/purchase", response_model=Envelope[InboxMessageOut],
             summary="The fan buys a paid message (once)")
def purchase_message(request: Request, fan_id: FanId, message_id: MessageId,
                     caller: FanCaller) -> Envelope[InboxMessageOut]:
    entry = inbox_service.purchase(caller.connection, fan_id, _accounts(caller), message_id, caller.now,
                                   caller.state.policy)
    return Envelope(data=InboxMessageOut.of(entry, media_urls(request)), meta=caller.charge())


@router.post("/fan/v1/events", response_model=Envelope[FanEventsOut],
             summary="Many fans' views and purchases at once (platform)",
             description="Up to 10,000 events applied in one transaction by the single calls' rules, each "
                         "counted once; one result per event, in request order.")
def record_events(body: FanEventsIn, caller: FanCaller) -> Envelope[FanEventsOut]:
    outcomes = event_service.record_events(caller.connection, body.events, _accounts(caller), caller.now)
    return Envelope(data=FanEventsOut.of(outcomes), meta=caller.charge())
