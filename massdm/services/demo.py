"""The demo world `massdm demo` sets up: a team, an account, a key, fans in every state, two lists.

All of it in the caller's one transaction (the command owns it): a demo half set up never commits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from massdm.config import Settings
from massdm.services import accounts as account_service
from massdm.store import accounts as account_store
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.fans import FanRecord

DEMO_TEAM = "demo"
DEMO_ACCOUNT_NAME = "Demo Creator"
FIRST_FAN_ID = 100_001
LISTS = (("VIP", 10), ("Big spenders", 25))  # name, one fan in every N


@dataclass(frozen=True)
class DemoWorld:
    account: str
    api_key: str
    fans: int
    lists: dict[str, int]


def demo_fans(count: int, now: datetime) -> list[FanRecord]:
    """`count` fans with varied, reproducible state: active and expired, renewing or not, flagged, some
    online (the rest seen within 30 days), most having spent nothing and a few a lot (for filter[...] to find)."""
    rng = random.Random(20261122)
    spend = random.Random(20261208)  # apart, so the states above stay what they were
    seen = random.Random(20261202)  # likewise for lastSeen
    fans = []
    for n in range(count):
        fan_id = FIRST_FAN_ID + n
        subscribed = now - timedelta(hours=rng.randint(1, 24 * 120))
        state = rng.random()
        if state < 0.15:
            expires = now - timedelta(days=rng.randint(1, 30))  # expired
        elif state < 0.5:
            expires = None  # open-ended
        else:
            expires = now + timedelta(days=rng.randint(1, 30))
        online = spend.random() < 0.05
        last_seen = now if online else max(subscribed, now - timedelta(minutes=seen.randint(1, 60 * 24 * 30)))
        fans.append(
            FanRecord(
                id=fan_id,
                username=f"fan{fan_id}",
                name=f"Fan {fan_id}",
                subscribed_at=subscribed,
                expires_at=expires,
                auto_renew=rng.random() < 0.6,
                following=rng.random() < 0.3,
                muted=rng.random() < 0.05,
                tagged=rng.random() < 0.1,
                friend=rng.random() < 0.05,
                online=online,
                tips_cents=spend.choice((0,) * 7 + (500, 2_500, 25_000)),
                subscriptions_cents=spend.choice((0, 0, 999, 2_997, 11_988)),
                last_seen_at=last_seen,
            )
        )
    return fans


def set_up_demo(connection: Connection, settings: Settings, now: datetime, *, fans: int,
                api_key: str | None) -> DemoWorld:
    """Create the demo world, or reuse it: running it twice leaves one team, account and fan set.

    A new key is issued each run (keys are stored hashed and cannot be shown again), unless
    `api_key` names one, which is then created once and reused.
    """
    team = account_service.ensure_team(
        connection, slug=DEMO_TEAM, name="Demo team", credits=settings.default_credits, now=now
    )
    existing = account_store.list_team_accounts(connection, team.id)
    account = existing[0] if existing else account_service.create_account(
        connection, team=team, display_name=DEMO_ACCOUNT_NAME, username="democreator", now=now
    )
    if api_key is not None and account_service.key_is_known(connection, api_key):
        key = api_key
    else:
        key = account_service.create_api_key(
            connection,
            team=team,
            name="demo",
            account_ids=[],
            limit_minute=settings.rate_limit_minute,
            limit_day=settings.rate_limit_day,
            now=now,
            secret=api_key,
        ).api_key

    records = demo_fans(fans, now)
    for start in range(0, len(records), 5000):
        fan_store.upsert_fans(connection, account.id, records[start : start + 5000], now)
    lists: dict[str, int] = {}
    for name, every in LISTS:
        custom = list_store.find_list_by_name(connection, account.id, name) or list_store.create_list(
            connection, account.id, name, now
        )
        list_store.add_members(connection, custom.id, account.id, [r.id for r in records[::every]], now)
        lists[name] = custom.id
    return DemoWorld(account.id, key, fans, lists)
