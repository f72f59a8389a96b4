"""A paged engagement report: every sent mass message of an account, newest first, with its counts."""

from __future__ import annotations

from dataclasses import dataclass

from onlyfansapi import OnlyFansAPI


@dataclass(frozen=True)
class EngagementRow:
    id: int
    text: str
    sent: int
    viewed: int


def engagement_report(client: OnlyFansAPI, account: str, *, page_size: int = 10) -> list[EngagementRow]:
    """Pages as the SDK's user does: the oldest item's `date` of a page is the next page's `end_date`."""
    rows: list[EngagementRow] = []
    end_date: str | None = None
    while True:
        page = client.engagement.messages.mass_messages.list(
            account, limit=page_size, **({"end_date": end_date} if end_date else {}))
        items = page.data.items or []
        rows.extend(EngagementRow(i.id or 0, i.raw_text or i.text or "", i.sent_count or 0, i.viewed_count or 0)
                    for i in items)
        if not page.data.has_more or not items:
            return rows
        end_date = items[-1].date
