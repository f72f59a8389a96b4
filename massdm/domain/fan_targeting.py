"""Fan targeting: which fans a listing's filters keep, and what a fan has spent, in the store's units.

The wire speaks USD and months; the store keeps whole cents and exact durations, so a filter means
the same to every backend. What a fan has spent is three sums, each in cents:

- purchases: the mass messages the fan bought in massdm (added by every purchase, exactly once);
- tips and subscriptions: as the platform states them (fans upsert or CSV import; absolute totals,
  not increments, so sending the same fan twice changes nothing);
- total = purchases + tips + subscriptions.

A month of subscription is 30 days, the length of OnlyFans' monthly billing period: a fan has been
subscribed N months once its subscription (from `subscribedAt` to its end: `expiresAt` if that has
passed, now otherwise) lasted at least N × 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

MONTH = timedelta(days=30)
MAX_USD = 1_000_000_000  # the largest amount a filter or a platform's total may state
MAX_MONTHS = 1_200  # a hundred years
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Targeting:
    """The filters of a fan listing; None: no such filter. Amounts in cents, bounds inclusive."""

    min_spent_cents: int | None = None
    max_spent_cents: int | None = None
    min_tips_cents: int | None = None
    min_duration: timedelta | None = None  # subscribed at least this long
    online: bool | None = None

    @property
    def reads_spend(self) -> bool:
        """Whether purchases can move fans in or out of the listing."""
        return self.min_spent_cents is not None or self.max_spent_cents is not None

    @property
    def is_empty(self) -> bool:
        return self == NO_TARGETING


NO_TARGETING = Targeting()


def at_least_cents(usd: int) -> int:
    """A minimum in whole USD as cents."""
    return usd * 100


def at_most_cents(usd: Decimal) -> int:
    """A maximum in USD as the largest whole number of cents within it ($0.005 → 0 cents)."""
    return int((usd * 100).to_integral_value(rounding=ROUND_FLOOR))


def at_least_months(months: int) -> timedelta | None:
    """The shortest subscription that counts as `months` months; None for 0 (every fan counts)."""
    return MONTH * months if months > 0 else None


def cents_of(usd: Decimal, field: str) -> int:
    """An amount of money in USD, exact to the cent, as cents (ValueError naming `field` otherwise)."""
    if not usd.is_finite() or usd < 0 or usd > MAX_USD:
        raise ValueError(f"{field}: must be an amount in USD from 0 to {MAX_USD:,}")
    if usd != usd.quantize(CENT, rounding=ROUND_FLOOR):
        raise ValueError(f"{field}: {usd} has more than two decimal places (whole cents only)")
    return int(usd * 100)


def parse_usd(raw: str, field: str) -> int:
    """A CSV cell in USD (`12.50`; empty is 0) as cents."""
    text = raw.strip()
    if not text:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{field}: {raw!r} is not an amount in USD") from None
    return cents_of(amount, field)
