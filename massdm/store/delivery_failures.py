"""Deliveries that failed on purpose: sandbox mode's magic fans (domain/magic_fans.py) as SQL, their rows
and the message's count of them.

Only the worker writes here, for a chunk it holds, in the chunk's transaction (delivery/worker.py): the
failures, the chunk's deliveries and its counters commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, case, func, literal, or_, select, update

from massdm.domain.magic_fans import KINDS
from massdm.store.audience import Audience, eligible
from massdm.store.dialect import upsert
from massdm.store.tables import delivery_failures, fans, mass_messages


def _starts_with(prefix: str) -> ColumnElement[bool]:
    # Not LIKE: `_` is a wildcard there, and SQLite's LIKE ignores case, where str.startswith does not.
    return func.substr(fans.c.username, 1, len(prefix)) == prefix


def magic_condition() -> ColumnElement[bool]:
    """Whether the fan row is a magic fan: its username starts with one of the prefixes (KINDS)."""
    return or_(*(_starts_with(kind.prefix) for kind in KINDS))


def magic_reason() -> ColumnElement[str]:
    """The fan row's failure reason (a MagicKind.reason), NULL for every other fan."""
    return case(*((_starts_with(kind.prefix), literal(kind.reason)) for kind in KINDS), else_=None)


def record_magic(connection: Connection, audience: Audience, *, after: int, through: int | None,
                 now: datetime) -> int:
    """Fail the eligible magic fans with after < id <= through (no upper bound if None); how many are new.

    The same range and eligibility as store.audience.deliver, by INSERT … SELECT; the primary key and
    ON CONFLICT DO NOTHING make a chunk done again write nothing twice, and the count is of new rows only.
    """
    where = [eligible(audience), magic_condition(), fans.c.id > after]
    if through is not None:
        where.append(fans.c.id <= through)
    source = select(
        literal(audience.message_id, delivery_failures.c.message_id.type).label("message_id"),
        fans.c.id,
        fans.c.account_id,
        magic_reason().label("reason"),
        literal(now, delivery_failures.c.failed_at.type).label("failed_at"),
    ).where(*where)
    statement = upsert(connection, delivery_failures).from_select(
        ["message_id", "fan_id", "account_id", "reason", "failed_at"], source
    ).on_conflict_do_nothing(index_elements=[delivery_failures.c.message_id, delivery_failures.c.fan_id])
    return connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def add_failed(connection: Connection, message_id: int, failed: int) -> None:
    """Count a chunk's new failures on the message (its row is already locked by the chunk's sent count)."""
    connection.execute(update(mass_messages).where(mass_messages.c.id == message_id)
                       .values(failed_count=mass_messages.c.failed_count + failed))


def by_reason(connection: Connection, message_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """How many fans failed for each reason, per message (messages without failures are left out)."""
    ids = sorted(set(message_ids))
    found: dict[int, dict[str, int]] = {}
    if not ids:
        return found
    rows = connection.execute(
        select(delivery_failures.c.message_id, delivery_failures.c.reason, func.count())
        .where(delivery_failures.c.message_id.in_(ids))
        .group_by(delivery_failures.c.message_id, delivery_failures.c.reason)
    )
    for message_id, reason, count in rows:
        found.setdefault(message_id, {})[reason] = int(count)
    return found
