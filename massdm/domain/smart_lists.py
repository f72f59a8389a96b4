"""Smart lists (massdm's own): a custom list defined by a filter instead of members.

A smart list's members are the account's fans its filter keeps when it is read or used: the fan
targeting of the listings (domain.fan_targeting: spend, tips, months subscribed, online) and three
windows over what the fan did, each ending at the moment the list is judged at (a message's send
time, or now for a read):

- bought within N days: the fan has a purchase in the window;
- no purchase within N days: the fan has none in it;
- not messaged within N hours: the fan received no mass message of the account in it.

The stored document is the filter in the store's units (cents, whole months, days, hours), so it
means the same on every backend and whatever the wire later accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from massdm.domain.fan_targeting import Targeting, at_least_months
from massdm.errors import ValidationFailed

MAX_DAYS = 36_500  # a hundred years
MAX_HOURS = MAX_DAYS * 24


@dataclass(frozen=True)
class SmartFilter:
    """None: no such condition. Amounts in cents, bounds inclusive; windows end at the judging moment."""

    min_spent_cents: int | None = None
    max_spent_cents: int | None = None
    min_tips_cents: int | None = None
    min_months: int | None = None
    online: bool | None = None
    bought_within_days: int | None = None
    not_bought_within_days: int | None = None
    not_messaged_within_hours: int | None = None

    @property
    def targeting(self) -> Targeting:
        return Targeting(
            min_spent_cents=self.min_spent_cents, max_spent_cents=self.max_spent_cents,
            min_tips_cents=self.min_tips_cents,
            min_duration=None if self.min_months is None else at_least_months(self.min_months),
            online=self.online,
        )

    @property
    def bought_within(self) -> timedelta | None:
        return None if self.bought_within_days is None else timedelta(days=self.bought_within_days)

    @property
    def not_bought_within(self) -> timedelta | None:
        return None if self.not_bought_within_days is None else timedelta(days=self.not_bought_within_days)

    @property
    def not_messaged_within(self) -> timedelta | None:
        return None if self.not_messaged_within_hours is None else timedelta(hours=self.not_messaged_within_hours)


# The wire's field names (api/schemas/user_lists.py), for the errors that name them.
_WIRE = {
    "min_spent_cents": "filter.totalSpent", "max_spent_cents": "filter.maxTotalSpent",
    "bought_within_days": "filter.lastPurchaseWithinDays",
    "not_bought_within_days": "filter.noPurchaseWithinDays",
}


def check(smart: SmartFilter) -> SmartFilter:
    """The filter if it can select anyone; ValidationFailed naming the field otherwise.

    An empty filter is refused (it would be every fan: the system list `fans` says so plainly), and
    so are bounds no fan can meet: a minimum spend above the maximum, or a purchase within N days
    together with none within M ≥ N days.
    """
    if smart == SmartFilter():
        raise ValidationFailed.field("filter", "The filter must set at least one condition.")
    low, high = smart.min_spent_cents, smart.max_spent_cents
    if low is not None and high is not None and low > high:
        raise ValidationFailed.field(_WIRE["min_spent_cents"], f"totalSpent (${low / 100:g}) is above maxTotalSpent "
                                     f"(${high / 100:g}): no fan can match.")
    bought, not_bought = smart.bought_within_days, smart.not_bought_within_days
    if bought is not None and not_bought is not None and not_bought >= bought:
        raise ValidationFailed.field(_WIRE["bought_within_days"],
                                     f"lastPurchaseWithinDays ({bought}) with noPurchaseWithinDays ({not_bought}): "
                                     "a purchase in the last N days is also one in the last M >= N days; no fan "
                                     "can match (lastPurchaseWithinDays must be the larger).")
    return smart


_FIELDS = tuple(SmartFilter.__dataclass_fields__)


def to_document(smart: SmartFilter) -> dict[str, Any]:
    """The filter as stored (JSON): only the conditions it sets."""
    return {name: getattr(smart, name) for name in _FIELDS if getattr(smart, name) is not None}


def from_document(document: dict[str, Any]) -> SmartFilter:
    return SmartFilter(**{name: document[name] for name in _FIELDS if document.get(name) is not None})
