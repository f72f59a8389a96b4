"""Per-account settings of automatic sending from the saved-for-later queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from massdm.store.dialect import upsert
from massdm.store.tables import saved_for_later_settings as settings_table


@dataclass(frozen=True)
class AutoSettings:
    account_id: str
    is_enabled: bool
    period_hours: int | None
    next_send_at: datetime | None


def get_settings(connection: Connection, account_id: str) -> AutoSettings:
    row = connection.execute(select(settings_table).where(settings_table.c.account_id == account_id)).first()
    if row is None:
        return AutoSettings(account_id, False, None, None)
    return AutoSettings(row.account_id, row.is_enabled, row.period_hours, row.next_send_at)


def put_settings(connection: Connection, settings: AutoSettings) -> None:
    values = {"account_id": settings.account_id, "is_enabled": settings.is_enabled,
              "period_hours": settings.period_hours, "next_send_at": settings.next_send_at}
    statement = upsert(connection, settings_table).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[settings_table.c.account_id],
        set_={k: statement.excluded[k] for k in ("is_enabled", "period_hours", "next_send_at")},
    ))


def due_settings(connection: Connection, now: datetime) -> list[AutoSettings]:
    rows = connection.execute(
        select(settings_table).where(settings_table.c.is_enabled.is_(True), settings_table.c.next_send_at <= now)
    ).all()
    return [AutoSettings(r.account_id, r.is_enabled, r.period_hours, r.next_send_at) for r in rows]
