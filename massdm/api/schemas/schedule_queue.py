"""The scheduling queue's shapes (SDK `queue` types): items by publish date, counts per day, publish."""

from __future__ import annotations

from pydantic import BaseModel, Field

from massdm.api.schemas.common import WireModel, iso
from massdm.api.schemas.media import UrlOf
from massdm.api.schemas.saved_for_later import SavedEntityOut, entity
from massdm.services.schedule_queue import QueueEntry
from massdm.store.message_views import MessageView


class QueueEntityOut(SavedEntityOut):
    """A queued mass message as the queue shows it: the saved-for-later entity, plus the queue's own fields."""

    is_from_queue: bool = True
    can_unsend_queue: bool = True  # not sent yet: it can still be deleted (DELETE /mass-messaging/{id})
    unsend_seconds_queue: int
    cancel_seconds: int
    can_purchase: bool = False  # the creator's own message
    is_new: bool = False
    is_opened: bool = False
    is_liked: bool = False
    is_markdown_disabled: bool = False
    sent_rules_type: str | None = None  # the provider's, for posts; massdm has none
    sent_rules_extra: str | None = None


class QueueItemOut(WireModel):
    id: int
    type: str = "chat"
    created_date_time: str
    publish_date_time: str
    entity: QueueEntityOut

    @classmethod
    def of(cls, item: QueueEntry, view: MessageView, to_url: UrlOf, unsend_window: int) -> QueueItemOut:
        saved = entity(view, to_url)
        return cls(
            id=item.message.id, created_date_time=iso(item.message.created_at) or "",
            publish_date_time=iso(item.publish_at) or "",
            entity=QueueEntityOut(**saved.model_dump(), unsend_seconds_queue=unsend_window,
                                  cancel_seconds=unsend_window),
        )


class QueuePageOut(WireModel):
    list: list[QueueItemOut]
    sync_in_process: bool = False


class DayCountOut(BaseModel):
    chat: int
    post: int


class QueueCountsOut(WireModel):
    list: dict[str, DayCountOut] = Field(description="Per day (Y-m-d in the given timezone), the days with items.")
    sync_in_process: bool = False


class PublishedOut(BaseModel):
    success: bool = True
