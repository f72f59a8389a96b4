"""A model of an account's fans and custom lists in plain Python: what pages and counts must be.

It restates the definitions (domain.audience, domain.fan_targeting, docs/fans-and-lists.md) without
SQL, so the store's seeks, marks and kept tallies are checked against something that shares none of
their code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from massdm.domain.audience import RECENT_WINDOW, SYSTEM_LISTS
from massdm.store.fan_pages import Listing
from massdm.store.fans import UPDATABLE, FanRecord

SYSTEM_LIST_IDS = tuple(s.id for s in SYSTEM_LISTS)


@dataclass(frozen=True)
class ModelFan:
    id: int
    username: str
    name: str
    subscribed_at: datetime
    expires_at: datetime | None
    auto_renew: bool
    following: bool
    muted: bool
    tagged: bool
    friend: bool
    online: bool
    tips_cents: int
    subscriptions_cents: int
    last_seen_at: datetime | None = None
    purchases_cents: int = 0

    @property
    def total_spent_cents(self) -> int:
        return self.purchases_cents + self.tips_cents + self.subscriptions_cents

    def lasted(self, now: datetime) -> timedelta:
        """How long the subscription has run by `now`: to its end if that has passed."""
        end = self.expires_at if self.expires_at is not None and self.expires_at <= now else now
        return end - self.subscribed_at


@dataclass
class AudienceModel:
    fans: dict[int, ModelFan] = field(default_factory=dict)
    lists: dict[int, set[int]] = field(default_factory=dict)

    def upsert(self, records: list[FanRecord]) -> None:
        for record in {r.id: r for r in records}.values():
            known = self.fans.get(record.id)
            values = {name: getattr(record, name) for name in UPDATABLE}
            if known is not None:
                values = {name: values[name] if name in record.provided else getattr(known, name) for name in UPDATABLE}
            self.fans[record.id] = ModelFan(id=record.id, **values,
                                            purchases_cents=known.purchases_cents if known else 0)

    def buy(self, fan_id: int, cents: int) -> None:
        fan = self.fans[fan_id]
        self.fans[fan_id] = replace(fan, purchases_cents=fan.purchases_cents + cents)

    def in_system_list(self, fan: ModelFan, list_id: str, now: datetime) -> bool:
        active = fan.expires_at is None or fan.expires_at > now
        return {
            "fans": active,
            "recent": active and fan.subscribed_at >= now - RECENT_WINDOW,
            "following": fan.following,
            "rebill_on": active and fan.auto_renew,
            "rebill_off": active and not fan.auto_renew,
            "tagged": fan.tagged,
            "friends": fan.friend,
            "muted": fan.muted,
        }[list_id]

    def _in(self, fan: ModelFan, listing: Listing, now: datetime) -> bool:
        if listing.members_of is not None:
            return fan.id in self.lists.get(listing.members_of, set())
        if listing.query and not (listing.query.lower() in fan.username.lower()
                                  or listing.query.lower() in fan.name.lower()):
            return False
        if not self._targeted(fan, listing, now):
            return False
        if listing.filter == "all":
            return True
        if listing.filter == "active":
            return self.in_system_list(fan, "fans", now)
        if listing.filter == "expired":
            return not self.in_system_list(fan, "fans", now)
        return self.in_system_list(fan, listing.filter, now)

    @staticmethod
    def _targeted(fan: ModelFan, listing: Listing, now: datetime) -> bool:
        t = listing.targeting
        return ((t.min_spent_cents is None or fan.total_spent_cents >= t.min_spent_cents)
                and (t.max_spent_cents is None or fan.total_spent_cents <= t.max_spent_cents)
                and (t.min_tips_cents is None or fan.tips_cents >= t.min_tips_cents)
                and (t.online is None or fan.online == t.online)
                and (t.min_duration is None or fan.lasted(now) >= t.min_duration))

    def listing(self, listing: Listing, now: datetime) -> list[ModelFan]:
        chosen = [f for f in self.fans.values() if self._in(f, listing, now)]
        return sorted(chosen, key=lambda f: (f.subscribed_at, f.id), reverse=True)

    def page(self, listing: Listing, now: datetime, offset: int, limit: int) -> tuple[list[int], bool]:
        everyone = self.listing(listing, now)
        return [f.id for f in everyone[offset : offset + limit]], len(everyone) > offset + limit

    def system_lists_of(self, fan_id: int, now: datetime) -> frozenset[str]:
        fan = self.fans[fan_id]
        return frozenset(i for i in SYSTEM_LIST_IDS if self.in_system_list(fan, i, now))

    def counts(self, now: datetime) -> dict[str, int]:
        return {i: sum(self.in_system_list(f, i, now) for f in self.fans.values()) for i in SYSTEM_LIST_IDS}
