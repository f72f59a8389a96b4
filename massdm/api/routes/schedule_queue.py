"""The scheduling queue (SDK `queue`): `GET /queue`, `GET /queue/counts`, `PUT /queue/{queue_id}/publish`.

Dates are days in the `timezone` the caller names (domain/schedule.py); the items are the
account's scheduled and saved-for-later mass messages (services/schedule_queue.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request

from massdm.api.caller import Caller, Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope
from massdm.api.schemas.schedule_queue import PublishedOut, QueueCountsOut, QueueItemOut, QueuePageOut
from massdm.api.urls import media_urls
from massdm.domain import schedule
from massdm.domain.ids import MAX_DB_ID
from massdm.services import mass_messaging as message_service
from massdm.services import schedule_queue as queue_service

router = APIRouter(tags=["Queue"], route_class=UnitOfWorkRoute, responses=ERRORS)

Start = Annotated[str, Query(alias="publishDateStart", max_length=40,
                             description="The first day (Y-m-d, or Y-m-d H:i:s) in `timezone`; today or later.")]
End = Annotated[str, Query(alias="publishDateEnd", max_length=40,
                           description="The last day (inclusive), on or after publishDateStart.")]
Zone = Annotated[str, Query(max_length=64, description="An IANA time zone, such as Africa/Accra.")]


def _window(caller: Caller, start: str, end: str, timezone: str) -> schedule.Window:
    return schedule.window(start, end, timezone, caller.now)


@router.get("/api/{account}/queue", response_model=Envelope[QueuePageOut],
            summary="Scheduled and saved-for-later mass messages by publish date")
def list_queue(
    request: Request, caller: Metered, start: Start, end: End, timezone: Zone,
    limit: Annotated[int, Query(ge=1, le=schedule.MAX_LIMIT)] = schedule.DEFAULT_LIMIT,
    kinds: Annotated[list[str] | None, Query(alias="type", max_length=2, description="chat, post")] = None,
    kinds_brackets: Annotated[list[str] | None, Query(alias="type[]", max_length=2, include_in_schema=False)] = None,
) -> Envelope[QueuePageOut]:
    types = schedule.item_types([*(kinds or []), *(kinds_brackets or [])])
    window = _window(caller, start, end, timezone)
    items = queue_service.entries(caller.connection, caller.account.id, window, types, limit)
    policy = caller.state.policy
    views = message_service.describe(caller.connection, [i.message for i in items], caller.now, policy,
                                     named_fans=True)
    to_url = media_urls(request)
    data = QueuePageOut(list=[QueueItemOut.of(i, v, to_url, policy.unsend_window)
                              for i, v in zip(items, views, strict=True)])
    return Envelope(data=data, meta=caller.charge())


@router.get("/api/{account}/queue/counts", response_model=Envelope[QueueCountsOut],
            summary="Scheduled items per day")
def count_queue(caller: Metered, start: Start, end: End, timezone: Zone) -> Envelope[QueueCountsOut]:
    window = _window(caller, start, end, timezone)
    days = queue_service.counts(caller.connection, caller.account.id, window)
    return Envelope(data=QueueCountsOut.model_validate({"list": days}), meta=caller.charge())


@router.put("/api/{account}/queue/{queue_id}/publish", response_model=Envelope[PublishedOut],
            summary="Send a scheduled or saved-for-later mass message now")
def publish(
    background: BackgroundTasks, caller: Metered,
    queue_id: Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The queue item's id (the mass message's).")],
) -> Envelope[PublishedOut]:
    queue_service.publish(caller.connection, caller.account.id, queue_id, caller.now, caller.state.policy)
    background.add_task(caller.state.wake_workers)
    return Envelope(data=PublishedOut(), meta=caller.charge())
