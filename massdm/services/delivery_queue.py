"""The delivery queue as operators see it: how much is waiting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from massdm.store import delivery_chunks as chunk_store
from massdm.store import message_claims as claim_store


def depth(connection: Connection, now: datetime) -> tuple[int, int]:
    """(due messages not finished or canceled, chunks of open messages not yet delivered)."""
    return claim_store.open_count(connection, now), chunk_store.pending(connection)
