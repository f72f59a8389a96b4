"""A mass message as a campaign page shows it, beyond its queue item: the names of the lists it went
to and left out, and its deliveries, views and purchases over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.domain import timeline
from massdm.domain.audience import SYSTEM_LISTS_BY_ID, parse_list_id
from massdm.services.mass_messaging import get_message
from massdm.store import deliveries as delivery_store
from massdm.store import user_lists as list_store


@dataclass(frozen=True)
class NamedList:
    id: str
    name: str
    exists: bool = True  # False: a custom list deleted since the message was sent


def list_names(connection: Connection, account_id: str, refs: list[str]) -> list[NamedList]:
    """The lists a message names (`userLists` or `excludedLists`), in its order, with their names."""
    parsed = {ref: parse_list_id(ref) for ref in refs}
    custom = {p for p in parsed.values() if isinstance(p, int)}
    known = list_store.existing_list_ids(connection, account_id, sorted(custom))
    names = list_store.list_names(connection, known)
    named = []
    for ref, target in parsed.items():
        if isinstance(target, str) and target in SYSTEM_LISTS_BY_ID:
            named.append(NamedList(ref, SYSTEM_LISTS_BY_ID[target].name))
        elif isinstance(target, int) and target in names:
            named.append(NamedList(ref, names[target]))
        else:
            named.append(NamedList(ref, f"List {ref}", exists=False))
    return named


@dataclass(frozen=True)
class Bucket:
    start: datetime
    delivered: int
    viewed: int
    purchased: int


@dataclass(frozen=True)
class Activity:
    """What fans did with a message, per time bucket (every bucket from the first delivery to the
    latest event, empty ones too); no buckets before its first delivery."""

    size: timedelta
    buckets: list[Bucket]

    @property
    def delivered(self) -> int:
        return sum(b.delivered for b in self.buckets)

    @property
    def viewed(self) -> int:
        return sum(b.viewed for b in self.buckets)

    @property
    def purchased(self) -> int:
        return sum(b.purchased for b in self.buckets)


def activity(connection: Connection, account_id: str, message_id: int) -> Activity:
    """Deliveries, first views and purchases of the account's message over time, in buckets sized to
    the span they cover (domain/timeline.py): two statements, whatever the audience's size."""
    get_message(connection, account_id, message_id)  # 404 for another account's message
    span = delivery_store.activity_span(connection, message_id)
    if span is None:
        return Activity(timeline.BUCKET_SIZES[0], [])
    size = timeline.choose_bucket(span.first, span.last)
    origin = timeline.bucket_start(span.first, size)
    counted = {c.bucket: c for c in delivery_store.activity_per_bucket(
        connection, message_id, origin=origin, bucket_seconds=size // timedelta(seconds=1))}
    buckets = []
    for n in range(timeline.bucket_index(span.last, origin, size) + 1):
        found = counted.get(n)
        buckets.append(Bucket(origin + n * size, found.delivered if found else 0, found.viewed if found else 0,
                              found.purchased if found else 0))
    return Activity(size, buckets)
