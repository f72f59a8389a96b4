"""Simulated fans (docs/sandbox.md): an account's settings, and the clock's step that records the
views and purchases that have come due, through the same counters, spend and webhooks as real fans' own.

`materialise(engine, moment)` is a massdm.sandbox.clock Step: for each account with engagement on, in a
transaction of its own (and its lock, so two processes never record the same events), every delivered
message's views and purchases whose own time is at most `moment` and that are not recorded yet are recorded
at their own times, so what is recorded never depends on the moments the clock stopped at. It is also
what the in-process worker runs as time passes on a running clock (`housekeeping_step`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from massdm.domain.engagement_model import DEFAULTS, EngagementSettings, problems
from massdm.domain.webhooks import PPV_UNLOCKED
from massdm.errors import NotFound, ValidationFailed
from massdm.store import accounts as account_store
from massdm.store import fans as fan_store
from massdm.store import messages as message_store
from massdm.store import sandbox_engagement as engagement_store
from massdm.store.db import lock, relax_durability, snapshot, transaction
from massdm.store.messages import CounterDelta
from massdm.store.sandbox_engagement import StagedPurchase
from massdm.webhooks import outbox, payloads

ANNOUNCE_CHUNK = 1000  # purchases whose webhook payloads are built at once


def read_settings(engine: Engine, account_id: str) -> EngagementSettings:
    """The account's settings; with none stored, the defaults, off."""
    with snapshot(engine) as connection:
        _known(connection, account_id)
        engagement = engagement_store.get_engagement(connection, account_id)
    return engagement.settings if engagement else replace(DEFAULTS, enabled=False)


def write_settings(engine: Engine, account_id: str, settings: EngagementSettings, now: datetime
                   ) -> EngagementSettings:
    """Replace the account's settings (checked: 422 naming the field); what was recorded stays."""
    found = problems(settings)
    if found:
        raise ValidationFailed({name: [why] for name, why in found.items()})
    with transaction(engine) as connection:
        _known(connection, account_id)
        lock(connection, _lock_name(account_id))
        engagement_store.put_settings(connection, account_id, settings, now)
    return settings


def _known(connection: Connection, account_id: str) -> None:
    if account_store.get_account(connection, account_id) is None:
        raise NotFound(f"Account {account_id} was not found.")


def _lock_name(account_id: str) -> str:
    return f"sandbox-engagement:{account_id}"


def materialise(engine: Engine, moment: datetime) -> None:
    """The Step: every enabled account's events due by `moment`, each account in its own transaction.

    Like a delivery chunk's, an account's commit need not wait for the disk (PostgreSQL): should a crash
    lose it, its events and its `through` mark are lost together, and the next step records them again."""
    with transaction(engine) as connection:
        accounts = engagement_store.enabled_accounts(connection)
    for account_id in accounts:
        with transaction(engine) as connection:
            relax_durability(connection)
            materialise_account(connection, account_id, moment)


def materialise_account(connection: Connection, account_id: str, moment: datetime) -> tuple[int, int]:
    """Record the account's views and purchases due by `moment` not recorded yet; (views, purchases)."""
    lock(connection, _lock_name(account_id))
    engagement = engagement_store.get_engagement(connection, account_id)
    if engagement is None or not engagement.settings.enabled:
        return 0, 0
    if engagement.through is not None and moment <= engagement.through:
        return 0, 0  # every event up to `through` is recorded; later deliveries' events all come later
    engagement_store.clear_stage(connection)
    views: dict[int, int] = {}
    for message in engagement_store.messages_to_engage(connection, engagement):
        engagement_store.stage_due(connection, engagement, message, moment)
        views[message.message_id] = engagement_store.record_views(connection, message.message_id)
        if message.price_cents > 0:
            engagement_store.stage_purchases(connection, engagement, message, moment)
    engagement_store.record_staged(connection)
    sales = engagement_store.staged_sales(connection)
    message_store.add_counters_many(connection, {
        m: CounterDelta(viewed_count=views.get(m, 0), purchased_count=sales[m].purchases if m in sales else 0,
                        revenue_cents=sales[m].revenue_cents if m in sales else 0)
        for m in set(views) | set(sales) if views.get(m) or m in sales
    })
    if sales:
        engagement_store.add_staged_spend(connection, account_id)
        _announce(connection, account_id, moment)
    settings = engagement.settings
    slowest = timedelta(seconds=settings.view_delay.max_seconds + settings.purchase_delay.max_seconds)
    settled = moment - slowest
    if engagement.settled_before is not None:
        settled = max(settled, engagement.settled_before)
    engagement_store.mark_through(connection, account_id, moment, settled)
    return sum(views.values()), sum(s.purchases for s in sales.values())


def _announce(connection: Connection, account_id: str, now: datetime) -> None:
    """messages.ppv.unlocked for each purchase staged, as a fan's own purchase writes it, a chunk at a time."""
    if not outbox.listens(connection, account_id, PPV_UNLOCKED):
        return
    account = account_store.get_account(connection, account_id)
    creator_id = account.onlyfans_id if account else 0
    after = 0
    while chunk := engagement_store.staged_purchases(connection, after_id=after, limit=ANNOUNCE_CHUNK):
        after = chunk[-1].purchase_id
        outbox.record_each(connection, account_id, PPV_UNLOCKED, _unlocked(connection, account_id, creator_id, chunk),
                           now)


def _unlocked(connection: Connection, account_id: str, creator_id: int, chunk: list[StagedPurchase]
              ) -> Callable[[], list]:
    def build() -> list:
        messages = message_store.messages_by_ids(connection, sorted({p.message_id for p in chunk}))
        buyers = fan_store.fans_by_ids(connection, account_id, [p.fan_id for p in chunk])
        return [(payloads.ppv_unlocked(
            purchase_id=p.purchase_id, message=messages[p.message_id], fan=buyers.get(p.fan_id), fan_id=p.fan_id,
            creator_id=creator_id, amount_cents=p.amount_cents, purchased_at=p.purchased_at,
        ), p.message_id, p.fan_id) for p in chunk]

    return build


def housekeeping_step(every: float = 30.0) -> Callable[[Engine, datetime], None]:
    """`materialise` for a worker's housekeeping on a running clock: at most once per `every` wall seconds
    in this process (each step judges every open message's deliveries; what it records does not depend
    on how often it runs, only how soon it shows)."""
    guard = threading.Lock()
    last = [float("-inf")]

    def step(engine: Engine, moment: datetime) -> None:
        with guard:
            if time.monotonic() - last[0] < every:
                return
            last[0] = time.monotonic()
        materialise(engine, moment)

    return step
