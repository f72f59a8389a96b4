"""Delivery chunks: the fan-id ranges of a counted message, claimed by workers under leases.

A claim is one statement guarded by "nobody holds it, or their lease ran out"; on
PostgreSQL the candidate is picked with FOR UPDATE SKIP LOCKED, so many workers claim
different chunks at once instead of queueing on the same row (SQLite ignores the clause:
its transactions are serial anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, update

from massdm.store.tables import delivery_chunks as chunks
from massdm.store.tables import mass_messages


@dataclass(frozen=True)
class Chunk:
    message_id: int
    seq: int
    after_fan_id: int
    through_fan_id: int | None
    claimed_by: str | None
    lease_until: datetime | None
    attempts: int
    delivered: int | None
    done_at: datetime | None


_COLUMNS = (chunks.c.message_id, chunks.c.seq, chunks.c.after_fan_id, chunks.c.through_fan_id, chunks.c.claimed_by,
            chunks.c.lease_until, chunks.c.attempts, chunks.c.delivered, chunks.c.done_at)
_OPEN_MESSAGE = and_(mass_messages.c.finished_at.is_(None), mass_messages.c.canceled_at.is_(None))


def _free(now: datetime):  # noqa: ANN202 - a SQL condition
    return and_(chunks.c.done_at.is_(None), or_(chunks.c.claimed_by.is_(None), chunks.c.lease_until < now))


def claim_next(connection: Connection, worker: str, now: datetime, lease: timedelta,
               message_id: int | None = None) -> Chunk | None:
    """Take the first free chunk of the oldest due open message (or of `message_id`)."""
    candidate = (
        select(chunks.c.message_id, chunks.c.seq)
        .join(mass_messages, mass_messages.c.id == chunks.c.message_id)
        .where(_free(now), _OPEN_MESSAGE)
        .order_by(mass_messages.c.due_at, chunks.c.message_id, chunks.c.seq)
        .limit(1)
        .with_for_update(of=chunks, skip_locked=True)
    )
    if message_id is not None:
        candidate = candidate.where(chunks.c.message_id == message_id)
    picked = connection.execute(candidate).first()
    if picked is None:
        return None
    claimed = connection.execute(
        update(chunks)
        .where(chunks.c.message_id == picked.message_id, chunks.c.seq == picked.seq, _free(now))
        .values(claimed_by=worker, lease_until=now + lease, attempts=chunks.c.attempts + 1)
        .returning(*_COLUMNS)
    ).first()
    return Chunk(*claimed) if claimed else None


def complete(connection: Connection, chunk: Chunk, worker: str, delivered: int, now: datetime) -> bool:
    """Mark the chunk delivered; False if this worker no longer holds it (the caller must roll back)."""
    result = connection.execute(
        update(chunks)
        .where(chunks.c.message_id == chunk.message_id, chunks.c.seq == chunk.seq, chunks.c.claimed_by == worker,
               chunks.c.done_at.is_(None))
        .values(done_at=now, delivered=delivered, lease_until=None)
    )
    return result.rowcount == 1


def release(connection: Connection, chunk: Chunk, worker: str) -> None:
    connection.execute(
        update(chunks)
        .where(chunks.c.message_id == chunk.message_id, chunks.c.seq == chunk.seq, chunks.c.claimed_by == worker,
               chunks.c.done_at.is_(None))
        .values(claimed_by=None, lease_until=None)
    )


def any_open(connection: Connection, message_id: int) -> bool:
    return connection.execute(
        select(chunks.c.seq).where(chunks.c.message_id == message_id, chunks.c.done_at.is_(None)).limit(1)
    ).first() is not None


def recover_expired(connection: Connection, now: datetime) -> int:
    """Free the chunks whose worker's lease ran out (it died or stalled): the sweeper's step."""
    return connection.execute(
        update(chunks)
        .where(chunks.c.done_at.is_(None), chunks.c.claimed_by.is_not(None), chunks.c.lease_until < now)
        .values(claimed_by=None, lease_until=None)
    ).rowcount


def of_message(connection: Connection, message_id: int) -> list[Chunk]:
    rows = connection.execute(select(*_COLUMNS).where(chunks.c.message_id == message_id).order_by(chunks.c.seq))
    return [Chunk(*row) for row in rows]


def pending(connection: Connection) -> int:
    """Chunks of open messages not yet delivered: the delivery queue's depth."""
    return connection.execute(
        select(func.count()).select_from(chunks)
        .join(mass_messages, mass_messages.c.id == chunks.c.message_id)
        .where(chunks.c.done_at.is_(None), _OPEN_MESSAGE)
    ).scalar_one()
