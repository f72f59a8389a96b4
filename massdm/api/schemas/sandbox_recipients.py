"""The recipients ledger's shape (massdm's own, docs/sandbox.md): camelCase."""

from __future__ import annotations

from massdm.api.schemas.common import WireModel, iso, iso_instant
from massdm.domain.recipients import describe_reason
from massdm.services.recipients import Ledger
from massdm.store.recipients import Recipient


class RecipientOut(WireModel):
    fan_id: int
    username: str
    status: str
    reason: str | None
    reason_text: str | None
    excluded_by: str | None
    delivered_at: str | None
    viewed_at: str | None
    purchased_at: str | None
    failed_at: str | None

    @classmethod
    def of(cls, r: Recipient) -> RecipientOut:
        return cls(fan_id=r.fan_id, username=r.username, status=r.status, reason=r.reason,
                   reason_text=describe_reason(r.reason), excluded_by=r.excluded_by,
                   delivered_at=iso(r.delivered_at), viewed_at=iso(r.viewed_at), purchased_at=iso(r.purchased_at),
                   failed_at=iso(r.failed_at))


class RecipientsOut(WireModel):
    """One page of the ledger, with the counts of the whole of it (whatever `status` selects)."""

    message_id: int
    judged_at: str
    total: int
    counts: dict[str, int]
    reasons: dict[str, int]
    status: str | None
    limit: int
    offset: int
    matched: int
    next_offset: int | None
    recipients: list[RecipientOut]

    @classmethod
    def of(cls, ledger: Ledger) -> RecipientsOut:
        query = ledger.query
        return cls(message_id=ledger.message.id, judged_at=iso_instant(ledger.judged_at), total=ledger.total,
                   counts=ledger.counts, reasons=ledger.reasons, status=query.status, limit=query.limit,
                   offset=query.offset, matched=ledger.matched, next_offset=ledger.next_offset,
                   recipients=[RecipientOut.of(r) for r in ledger.recipients])
