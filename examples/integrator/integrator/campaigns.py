"""A campaign scheduler: send (or schedule) a PPV message to lists, wait until it is delivered, report its
buyers and revenue."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from onlyfansapi import APIStatusError, OnlyFansAPI


class CampaignFailed(Exception):
    """The provider refused the campaign, even after the SDK's retries."""


@dataclass(frozen=True)
class Campaign:
    id: int
    account: str
    price: float
    scheduled_for: datetime | None


@dataclass(frozen=True)
class CampaignReport:
    sent: int
    viewed: int
    buyers: int
    revenue: float  # USD


class CampaignScheduler:
    def __init__(self, client: OnlyFansAPI, account: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.account = account
        self.sleep = sleep

    def launch(self, text: str, *, lists: Sequence[str], price: float = 0, media: Sequence[str] = (),
               at: datetime | None = None) -> Campaign:
        """Send now, or at `at`. The SDK retries 429s and 5xx by itself; what still fails is CampaignFailed."""
        options: dict[str, object] = {"user_lists": list(lists)}
        if price:
            options["price"] = price
        if media:
            options["media_files"] = list(media)
        if at is not None:
            options["scheduled_date"] = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        try:
            sent = self.client.mass_messaging.send(self.account, text=text, **options)  # type: ignore[arg-type]
        except APIStatusError as error:
            raise CampaignFailed(f"{error.status_code}: {error.message}") from error
        assert sent.data is not None and sent.data.id is not None
        return Campaign(sent.data.id, self.account, price, at)

    def is_delivered(self, campaign: Campaign) -> bool:
        queue = self.client.mass_messaging.retrieve(str(campaign.id), account=self.account).data.queue
        return bool(getattr(queue, "isDone", False))

    def wait_until_delivered(self, campaign: Campaign, *, timeout: float = 30, poll: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_delivered(campaign):
            if time.monotonic() > deadline:
                raise TimeoutError(f"campaign {campaign.id} not delivered within {timeout} s")
            self.sleep(poll)

    def report(self, campaign: Campaign) -> CampaignReport:
        queue = self.client.mass_messaging.retrieve(str(campaign.id), account=self.account).data.queue
        buyers, marker = 0, None
        while True:  # every buyer, a page at a time
            page = self.client.engagement.messages.get_message_buyers(
                str(campaign.id), account=self.account, limit=100, **({"marker": marker} if marker else {}))
            buyers += len(page.data.list or [])
            if not page.data.has_more:
                break
            marker = page.data.marker
        return CampaignReport(sent=queue.sent_count or 0, viewed=queue.viewed_count or 0, buyers=buyers,
                              revenue=round(buyers * campaign.price, 2))
