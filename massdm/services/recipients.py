"""What happened to each fan of a mass message (sandbox mode; docs/sandbox.md):
the recipients ledger, and the webhook event saying that some fans could not receive it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from massdm.domain.recipients import STATUSES
from massdm.domain.webhooks import DELIVERY_FAILED
from massdm.errors import NotFound
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import Policy
from massdm.store import audience as audience_store
from massdm.store import messages as message_store
from massdm.store import recipients as recipient_store
from massdm.store.messages import MassMessage
from massdm.store.recipients import Ending, Recipient
from massdm.webhooks import outbox, payloads


@dataclass(frozen=True)
class LedgerQuery:
    status: str | None = None  # one of STATUSES, or every fan
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Ledger:
    message: MassMessage
    judged_at: datetime  # the moment list membership and subscriptions are judged at (the send time)
    counts: dict[str, int]  # every status (0 included), over the whole ledger
    reasons: dict[str, int]  # every reason any fan has, over the whole ledger
    recipients: list[Recipient]  # the page asked for
    query: LedgerQuery

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def matched(self) -> int:
        """How many fans the query's status selects."""
        return self.total if self.query.status is None else self.counts.get(self.query.status, 0)

    @property
    def next_offset(self) -> int | None:
        after = self.query.offset + len(self.recipients)
        return after if self.recipients and after < self.matched else None


def _ending(message: MassMessage) -> Ending:
    if message.canceled_at is not None:
        return Ending.CANCELED
    return Ending.FINISHED if message.finished_at is not None else Ending.OPEN


def ledger(connection: Connection, message_id: int, query: LedgerQuery, now: datetime, *,
           account_ids: Collection[str] | None) -> Ledger:
    """The ledger of the message, if it is of one of `account_ids` (None: any account; 404 otherwise).

    Judged at the message's send time, as its chunks were; before it is sent, at `now` (a preview:
    whoever could receive it then is pending).
    """
    message = message_store.get_message_by_id(connection, message_id)
    if message is None or (account_ids is not None and message.account_id not in account_ids):
        raise NotFound(f"Mass message {message_id} was not found.")
    at = message.sent_at or now
    audience = audience_store.for_message(connection, message, at)
    ending = _ending(message)
    tally = recipient_store.tally(connection, audience, ending)
    page = recipient_store.page(connection, audience, ending, status=query.status, limit=query.limit,
                                offset=query.offset)
    counts = {status: tally.by_status.get(status, 0) for status in STATUSES}
    return Ledger(message, at, counts, dict(sorted(tally.by_reason.items())), page, query)


def announce_failures(connection: Connection, message_id: int, now: datetime, policy: Policy) -> None:
    """messages.delivery_failed, in this transaction, for a message that just finished with failed fans."""
    message = message_store.get_message_by_id(connection, message_id)
    if message is None or message.failed_count == 0:
        return

    def payload() -> dict:
        return payloads.delivery_failed(message_service.describe(connection, [message], now, policy,
                                                                 named_fans=False)[0])

    outbox.record(connection, message.account_id, DELIVERY_FAILED, payload, now, message_id=message.id)
