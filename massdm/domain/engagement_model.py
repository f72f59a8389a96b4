"""Simulated fans (sandbox mode; docs/sandbox.md): how one fan behaves toward one mass message.

A fan's behaviour is a pure function of (seed, message id, fan id) and a few facts (the price, the
fan's spend, when it was delivered), drawn with domain.hashing's `mix` so the store can draw the
same in SQL (store.sandbox_engagement). Every decision is an integer comparison `mix(...) < threshold`
and every delay a whole number of seconds from integer arithmetic, so Python and SQL agree exactly:

- viewed iff mix(seed, message, fan, SALT_VIEW) < threshold(viewRate);
- viewed_at = delivered_at + delay(mix(…, SALT_VIEW_DELAY), viewDelay);
- bought (priced messages only, viewers only) iff mix(…, SALT_BUY) < threshold(purchaseRate ×
  price_factor(price) × spend_factor(spend)), at viewed_at + delay(mix(…, SALT_BUY_DELAY), purchaseDelay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from massdm.domain.hashing import P, mix

SALT_VIEW, SALT_VIEW_DELAY, SALT_BUY, SALT_BUY_DELAY = 1101, 1102, 1103, 1104

REFERENCE_PRICE_CENTS = 1000  # a $10 message sells at purchaseRate itself (times the fan's spend factor)
# (spend at least, in cents; factor): the fan's spend as the platform states it (tips + subscriptions).
SPEND_TIERS: tuple[tuple[int, float], ...] = ((100_000, 3.0), (10_000, 2.0), (1_000, 1.5), (0, 1.0))
MAX_DELAY_HOURS = 720.0  # 30 days


@dataclass(frozen=True)
class Delay:
    """A delay drawn uniformly between `min_hours` and `max_hours`, to the whole second."""

    min_hours: float
    max_hours: float

    @property
    def min_seconds(self) -> int:
        return round(self.min_hours * 3600)

    @property
    def max_seconds(self) -> int:
        return round(self.max_hours * 3600)

    def seconds(self, drawn: int) -> int:
        """The delay for `drawn`, a `mix` value in [0, P)."""
        return self.min_seconds + drawn * (self.max_seconds - self.min_seconds) // P


@dataclass(frozen=True)
class EngagementSettings:
    enabled: bool = True
    seed: int = 0
    view_rate: float = 0.35
    purchase_rate: float = 0.1
    view_delay: Delay = field(default_factory=lambda: Delay(0.05, 48.0))
    purchase_delay: Delay = field(default_factory=lambda: Delay(0.01, 6.0))


DEFAULTS = EngagementSettings()


def threshold(probability: float) -> int:
    """The `mix` values below which an event with this probability happens: 0 never, P always."""
    return int(min(max(probability, 0.0), 1.0) * P)


def price_factor(price_cents: int) -> float:
    """Cheaper sells more: 1 at $10, 2 for (nearly) free, 1/3 at $50, about 0.2 at $100."""
    return 2 * REFERENCE_PRICE_CENTS / (REFERENCE_PRICE_CENTS + max(price_cents, 0))


def spend_factor(spend_cents: int) -> float:
    return next(factor for floor, factor in SPEND_TIERS if spend_cents >= floor)


def purchase_thresholds(settings: EngagementSettings, price_cents: int) -> tuple[tuple[int, int], ...]:
    """For each spend tier, highest first: (spend at least, in cents; the purchase threshold)."""
    base = settings.purchase_rate * price_factor(price_cents)
    return tuple((floor, threshold(base * factor)) for floor, factor in SPEND_TIERS)


def purchase_threshold(settings: EngagementSettings, price_cents: int, spend_cents: int) -> int:
    return next(t for floor, t in purchase_thresholds(settings, price_cents) if spend_cents >= floor)


def behaviour(settings: EngagementSettings, message_id: int, fan_id: int, price_cents: int, spend_cents: int,
              delivered_at: datetime) -> tuple[datetime | None, datetime | None]:
    """(viewed_at, purchased_at) of this fan for this message; None for what it never does.

    The reference the store's SQL is tested against (tests/sandbox/test_engagement.py)."""
    seed = settings.seed
    if mix(seed, message_id, fan_id, SALT_VIEW) >= threshold(settings.view_rate):
        return None, None
    viewed_at = delivered_at + timedelta(seconds=settings.view_delay.seconds(mix(seed, message_id, fan_id,
                                                                                 SALT_VIEW_DELAY)))
    if price_cents <= 0 or mix(seed, message_id, fan_id, SALT_BUY) >= purchase_threshold(settings, price_cents,
                                                                                          spend_cents):
        return viewed_at, None
    delay = settings.purchase_delay.seconds(mix(seed, message_id, fan_id, SALT_BUY_DELAY))
    return viewed_at, viewed_at + timedelta(seconds=delay)


MAX_SEED = 2**53 - 1  # exact in JSON numbers


def problems(settings: EngagementSettings) -> dict[str, str]:
    """Why these settings cannot be used, by wire field name (empty: they can)."""
    found = {}
    if not 0 <= settings.seed <= MAX_SEED:
        found["seed"] = f"seed is a whole number from 0 to {MAX_SEED}."
    for name, rate in (("viewRate", settings.view_rate), ("purchaseRate", settings.purchase_rate)):
        if not 0.0 <= rate <= 1.0:
            found[name] = f"{name} is a probability from 0 to 1."
    for name, delay in (("viewDelay", settings.view_delay), ("purchaseDelay", settings.purchase_delay)):
        why = check_delay(delay)
        if why:
            found[name] = why
    return found


def check_delay(delay: Delay) -> str | None:
    """Why this delay cannot be used, or None."""
    if not 0 < delay.min_hours <= delay.max_hours <= MAX_DELAY_HOURS:
        return f"minHours and maxHours are hours with 0 < minHours <= maxHours <= {MAX_DELAY_HOURS:g}."
    if delay.min_seconds < 1:
        return "minHours is at least one second (1/3600 of an hour)."
    return None
