"""What `POST /sandbox/v1/seed` makes (docs/sandbox.md): the profile's fields and defaults, and every
fan's attributes as a pure function of (seed, index) through domain.hashing.

store.sandbox_seed draws the same values in SQL, set-based; `seeded_fan` is the same rule in Python, one
fan at a time, for tests and for reading. Every draw is integer arithmetic on `mix` (no floats, so both
backends and Python agree to the second and the cent). Dates are offsets in whole seconds from the
moment of seeding (the clock's now, truncated to the second).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from massdm.domain.hashing import P, mix
from massdm.domain.magic_fans import KINDS
from massdm.errors import ValidationFailed

MAX_FANS = 1_000_000
MAX_SEED = P - 1  # seeds are residues modulo P: S and S + P would draw the same fans
ID_BASE = 1_000_000_000  # fan n (1-based) of a seed has id ID_BASE + n
MAGIC_ID_BASE = 900_000_000  # magic fan k of kind j (both 1-based): MAGIC_ID_BASE + 1000 j + k
MAGIC_PER_KIND = 3
DAY = 86_400
PERIOD = 30 * DAY  # a subscription's billing period (domain.fan_targeting.MONTH)
MIN_EXPIRED_AGE = PERIOD + DAY  # an ended subscription ran at least one period, ended at least a day ago
# lastSeen of a fan not online: up to this long before seeding (the square of a uniform draw, so most fans
# were seen lately), never before the fan subscribed; an online fan was seen at the moment of seeding
SEEN_ACTIVE_SPAN = 30 * DAY
SEEN_ENDED_SPAN = 180 * DAY
MIN_SEEN_OFFSET = 60


class Salt:
    """One independent stream of draws per salt: mix(seed, n, 0, salt). AGE, PERIODS and TIPS use the
    whole value; the others are split in two, the low 16 bits and the 15 above them (DRAW_PARTS), so a
    fan costs 8 hashes, not 14: a share is resolved to 1/65,536 or 1/32,768, finer than any profile needs."""

    STATE, AGE, PERIODS, TIPS, FLAGS_A, FLAGS_B, FLAGS_C, TIER_NAMES, SEEN = range(1, 10)


LOW, HIGH = 65_536, 32_768  # the two parts of a split draw: m % LOW, and m // LOW (below HIGH)
# attribute -> (the salt of its draw, LOW for the low part or HIGH for the high part)
DRAW_PARTS = {"expired": (Salt.STATE, LOW), "recent": (Salt.STATE, HIGH), "auto_renew": (Salt.FLAGS_A, LOW),
              "following": (Salt.FLAGS_A, HIGH), "tagged": (Salt.FLAGS_B, LOW), "muted": (Salt.FLAGS_B, HIGH),
              "friend": (Salt.FLAGS_C, LOW), "online": (Salt.FLAGS_C, HIGH), "tier": (Salt.TIER_NAMES, LOW),
              "names": (Salt.TIER_NAMES, HIGH)}  # names: first = part % 64, last = part // 64 % 64


def part_of(value: int, which: int) -> int:
    return value % LOW if which == LOW else value // LOW


FIRST_NAMES = (
    "Aaron", "Adam", "Aiden", "Alex", "Andre", "Ben", "Blake", "Brian", "Caleb", "Carlos", "Chris", "Cole", "Dan",
    "David", "Dylan", "Eli", "Emma", "Eric", "Ethan", "Evan", "Felix", "Gabe", "Grace", "Hana", "Henry", "Ian",
    "Isaac", "Jack", "Jake", "James", "Jason", "Jay", "Joel", "John", "Jose", "Kai", "Kevin", "Kyle", "Leo", "Liam",
    "Luca", "Luis", "Marco", "Mark", "Matt", "Max", "Mia", "Mike", "Nate", "Nick", "Noah", "Omar", "Owen", "Paul",
    "Raj", "Ryan", "Sam", "Sean", "Theo", "Tom", "Tony", "Victor", "Will", "Zane",
)
LAST_NAMES = (
    "Adams", "Ali", "Baker", "Bell", "Brown", "Chen", "Clark", "Cole", "Cruz", "Davis", "Diaz", "Evans", "Fox",
    "Garcia", "Gray", "Green", "Hall", "Hill", "Hughes", "Jones", "Kim", "King", "Lee", "Lewis", "Lopez", "Martin",
    "Moore", "Morris", "Murphy", "Nguyen", "Novak", "Park", "Patel", "Perez", "Price", "Reed", "Reyes", "Rossi",
    "Ruiz", "Scott", "Silva", "Smith", "Stone", "Taylor", "Turner", "Walker", "Ward", "Wells", "White", "Wood",
    "Young", "Ortiz", "Shah", "Weber", "Khan", "Lam", "Berg", "Dunn", "Hart", "Lane", "Marsh", "Nash", "Page", "Quinn",
)


@dataclass(frozen=True)
class SpendTier:
    name: str
    min_cents: int  # the fan's tips, cents, inclusive
    max_cents: int


TIERS = (SpendTier("none", 0, 0), SpendTier("low", 100, 2_000), SpendTier("mid", 2_001, 20_000),
         SpendTier("whale", 20_001, 500_000))


@dataclass(frozen=True)
class SeedProfile:
    """The distributions of a seeded audience; every field has a default (docs/sandbox.md)."""

    expired_share: float = 0.30  # of all fans: the subscription has ended
    recent_share: float = 0.02  # of the active fans: subscribed within the last 24 hours
    max_age_days: int = 1095  # the oldest subscription, days before now
    auto_renew_share: float = 0.60  # of the active fans (an ended subscription did not renew)
    following_share: float = 0.25
    tagged_share: float = 0.05
    muted_share: float = 0.03
    friend_share: float = 0.01
    online_share: float = 0.05
    spend_tiers: tuple[float, float, float, float] = (0.60, 0.25, 0.12, 0.03)  # shares of TIERS, summing to 1
    subscription_price_cents: int = 999  # per 30-day period; 0 is a free page
    custom_lists: bool = True  # the lists of CUSTOM_LISTS

    @staticmethod
    def threshold(share: float, scale: int) -> int:
        """A part of a draw (uniform below `scale`, LOW or HIGH) below this: probability `share`."""
        return int(share * scale)

    @property
    def tier_thresholds(self) -> tuple[int, int, int]:
        """A tier part below the first is "none", below the second "low", the third "mid", else "whale"."""
        a, b, c, _ = self.spend_tiers
        return self.threshold(a, LOW), self.threshold(a + b, LOW), self.threshold(a + b + c, LOW)


_WIRE = {"expired_share": "expiredShare", "recent_share": "recentShare", "max_age_days": "maxAgeDays",
         "auto_renew_share": "autoRenewShare", "following_share": "followingShare", "tagged_share": "taggedShare",
         "muted_share": "mutedShare", "friend_share": "friendShare", "online_share": "onlineShare",
         "spend_tiers": "spendTiers", "subscription_price_cents": "subscriptionPriceUsd",
         "custom_lists": "customLists"}
MAX_PRICE_CENTS = 100_000


def _number(value: Any) -> bool:  # noqa: ANN401 - a JSON value
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _share(value: Any, name: str) -> float:  # noqa: ANN401
    if not _number(value) or not 0 <= value <= 1:
        raise ValueError(f"The profile.{name} field must be a number from 0 to 1.")
    return float(value)


def from_document(document: Mapping[str, Any] | None) -> SeedProfile:
    """The profile a request gives (camelCase; omitted fields take their default), or a 422 naming
    every bad field as `profile.<field>`."""
    if document is None:
        return SeedProfile()
    if not isinstance(document, Mapping):
        raise ValidationFailed.field("profile", "The profile field must be an object.")
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    by_wire = {wire: attr for attr, wire in _WIRE.items()}
    for wire, value in document.items():
        attr = by_wire.get(wire)
        if attr is None:
            errors[f"profile.{wire}"] = [f"The profile.{wire} field is not a profile field (docs/sandbox.md)."]
            continue
        try:
            values[attr] = _parse(attr, wire, value)
        except ValueError as error:
            errors[f"profile.{wire}"] = [str(error)]
    if errors:
        raise ValidationFailed(errors)
    return replace(SeedProfile(), **values)


def _parse(attr: str, wire: str, value: Any) -> Any:  # noqa: ANN401
    if attr.endswith("_share"):
        return _share(value, wire)
    if attr == "max_age_days":
        low = MIN_EXPIRED_AGE // DAY + 1
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 3650:
            raise ValueError(f"The profile.{wire} field must be a whole number of days from {low} to 3650.")
        return value
    if attr == "subscription_price_cents":
        if not _number(value) or not 0 <= value <= MAX_PRICE_CENTS // 100 or round(value * 100, 6) % 1:
            raise ValueError(f"The profile.{wire} field must be an amount in USD from 0 to "
                             f"{MAX_PRICE_CENTS // 100:,}, in whole cents.")
        return round(value * 100)
    if attr == "custom_lists":
        if not isinstance(value, bool):
            raise ValueError(f"The profile.{wire} field must be true or false.")
        return value
    names = tuple(t.name for t in TIERS)  # spend_tiers
    if not isinstance(value, Mapping) or set(value) != set(names):
        raise ValueError(f"The profile.{wire} field must be an object with the shares of {', '.join(names)}.")
    shares = tuple(_share(value[n], f"{wire}.{n}") for n in names)
    if abs(sum(shares) - 1) > 1e-9:
        raise ValueError(f"The profile.{wire} shares must add up to 1 (they add up to {sum(shares):g}).")
    return shares


def to_document(profile: SeedProfile) -> dict[str, Any]:
    """The profile as the wire shows it (what a seed actually used, defaults included)."""
    document: dict[str, Any] = {}
    for field in fields(profile):
        value = getattr(profile, field.name)
        if field.name == "spend_tiers":
            value = {t.name: share for t, share in zip(TIERS, value, strict=True)}
        elif field.name == "subscription_price_cents":
            value = value / 100
        document[_WIRE[field.name]] = value
    return document


# --- one fan, in Python: the rule store.sandbox_seed applies in SQL -----------------------------


@dataclass(frozen=True)
class SeededFan:
    id: int
    username: str
    name: str
    subscribed_offset: int  # seconds before the moment of seeding
    expires_offset: int  # seconds after it (negative: ended)
    auto_renew: bool
    following: bool
    tagged: bool
    muted: bool
    friend: bool
    online: bool
    tips_cents: int
    subscriptions_cents: int
    tier: str
    seen_offset: int  # lastSeen, seconds before the moment of seeding (0: online)


def fan_id(n: int) -> int:
    return ID_BASE + n


def seeded_fan(seed: int, n: int, profile: SeedProfile) -> SeededFan:
    """Fan n (1-based) of `seed` under `profile`."""
    def draw(salt: int) -> int:
        return mix(seed, n, 0, salt)

    def part(name: str) -> int:
        salt, which = DRAW_PARTS[name]
        return part_of(draw(salt), which)

    def chance(name: str, share: float) -> bool:
        return part(name) < profile.threshold(share, DRAW_PARTS[name][1])

    max_age = profile.max_age_days * DAY
    expired = chance("expired", profile.expired_share)
    x_age, x_periods = draw(Salt.AGE), draw(Salt.PERIODS)
    if expired:
        age = MIN_EXPIRED_AGE + (x_age * x_age // P) * (max_age - MIN_EXPIRED_AGE) // P
        periods = 1 + (x_periods * x_periods // P) * ((age - 1) // PERIOD) // P
    else:
        if chance("recent", profile.recent_share):
            age = 60 + x_age * (DAY - 60) // P
        else:
            age = DAY + 1 + (x_age * x_age // P) * (max_age - DAY - 1) // P
        periods = age // PERIOD + 1
    tier_part, (t1, t2, t3) = part("tier"), profile.tier_thresholds
    tier = TIERS[0 if tier_part < t1 else 1 if tier_part < t2 else 2 if tier_part < t3 else 3]
    x_tips = draw(Salt.TIPS)
    tips = tier.min_cents + x_tips * (tier.max_cents - tier.min_cents + 1) // P if tier.max_cents else 0
    online = chance("online", profile.online_share)
    names = part("names")
    first = FIRST_NAMES[names % len(FIRST_NAMES)]
    last = LAST_NAMES[names // len(FIRST_NAMES) % len(LAST_NAMES)]
    return SeededFan(
        id=fan_id(n), username=f"{first}{last}".lower() + str(n), name=f"{first} {last}",
        subscribed_offset=age, expires_offset=periods * PERIOD - age,
        auto_renew=not expired and chance("auto_renew", profile.auto_renew_share),
        following=chance("following", profile.following_share), tagged=chance("tagged", profile.tagged_share),
        muted=chance("muted", profile.muted_share), friend=chance("friend", profile.friend_share),
        online=online, tips_cents=tips,
        subscriptions_cents=profile.subscription_price_cents * periods, tier=tier.name,
        seen_offset=0 if online else seen_offset(draw(Salt.SEEN), age, expired),
    )


def seen_offset(x_seen: int, age: int, expired: bool) -> int:
    """lastSeen of a fan not online, in seconds before seeding: MIN_SEEN_OFFSET up to the span (the square of
    the draw, so most fans were seen lately), at most the subscription's age."""
    span = SEEN_ENDED_SPAN if expired else SEEN_ACTIVE_SPAN
    return min(age, MIN_SEEN_OFFSET + (x_seen * x_seen // P) * (span - MIN_SEEN_OFFSET) // P)


# --- magic fans and custom lists ----------------------------------------------------------------


@dataclass(frozen=True)
class MagicSeed:
    id: int
    username: str
    name: str
    reason: str


MAGIC_SUBSCRIBED_OFFSET = 10 * DAY  # subscribed 10 days before seeding, renewing, in their first period
MAGIC_EXPIRES_OFFSET = PERIOD - MAGIC_SUBSCRIBED_OFFSET


def magic_fans() -> list[MagicSeed]:
    """MAGIC_PER_KIND fans of every kind of domain.magic_fans; the same for every seed."""
    return [MagicSeed(MAGIC_ID_BASE + 1000 * j + k, f"{kind.prefix}_{k}", f"Magic {kind.reason} {k}", kind.reason)
            for j, kind in enumerate(KINDS, start=1) for k in range(1, MAGIC_PER_KIND + 1)]


@dataclass(frozen=True)
class CustomListRule:
    name: str
    rule: str  # store.sandbox_seed has its condition; this says it in words


CUSTOM_LISTS = (
    CustomListRule("VIP", "whale"),  # tips in the whale tier
    CustomListRule("Win back", "lapsed_spender"),  # ended, and spent $50 or more
    CustomListRule("New this week", "new"),  # active, subscribed within the last 7 days
)
NEW_WITHIN = 7 * DAY
LAPSED_SPENT_CENTS = 5_000
