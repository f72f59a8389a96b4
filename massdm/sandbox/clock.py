"""The clock you drive (docs/sandbox.md): read it, freeze or run it, set it forward, advance it.

The clock is massdm.clock.DrivenClock over the store's `sandbox_clock` row, so every process of
the store (`serve --workers N`, `massdm worker`, the CLI) tells the same time. Advancing it walks
forward through every moment in between at which work falls due (store.due_work), in time order:
at each it stops the clock there, lets the `steps` run (simulated engagement materialises what has
come due), releases saved-for-later messages whose period came round, plans and delivers every
due message (waiting for chunks other processes hold), and sends the webhook deliveries due.
It returns when all of it is done, with what ran on the caller's accounts.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from massdm.clock import ClockState, DrivenClock
from massdm.delivery import scheduler
from massdm.delivery.worker import DeliveryWorker, WorkerConfig, worker_config
from massdm.errors import Conflict, ServiceUnavailable, ValidationFailed
from massdm.sandbox import engagement
from massdm.store import due_work
from massdm.store import sandbox_clock as clock_store
from massdm.store.db import transaction
from massdm.store.due_work import Totals
from massdm.webhooks.dispatcher import DispatchConfig, WebhookDispatcher, dispatch_config

# What runs at each moment an advance stops at, before the worker: (engine, the moment) -> None.
Step = Callable[[Engine, datetime], None]

MAX_ADVANCE = timedelta(days=3650)
ADVANCE_LEASE = timedelta(minutes=10)  # wall time; an advance that takes longer loses its lease
WAIT_FOR_OTHERS = 120.0  # seconds to wait for chunks another process is delivering


def driven_clock(engine: Engine) -> DrivenClock:
    return DrivenClock(clock_store.reader(engine))


@dataclass(frozen=True)
class Advanced:
    now: datetime
    ran: Totals


def read(clock: DrivenClock) -> tuple[datetime, bool]:
    state = clock.state()
    return state.now(clock.wall()), state.frozen


def set_frozen(engine: Engine, clock: DrivenClock, frozen: bool) -> tuple[datetime, bool]:
    """Stop the clock where it is, or let it run on from where it shows."""
    with transaction(engine) as connection:
        state, wall = clock_store.read_state(connection), clock.wall()
        moment = state.now(wall)
        setting = ClockState(frozen_at=moment) if frozen else state.running_from(moment, wall)
        clock_store.write_state(connection, setting)
    return read(clock)


def set_now(engine: Engine, clock: DrivenClock, moment: datetime, *, steps: Sequence[Step] = (),
            config: AdvanceConfig | None = None, account_ids: list[str] | None = None) -> Advanced:
    """Move the clock to `moment`, forward only, running what falls due on the way (as `advance`)."""
    return advance(engine, clock, to=moment, steps=steps, config=config, account_ids=account_ids, field="now")


@dataclass(frozen=True)
class AdvanceConfig:
    worker: WorkerConfig = WorkerConfig()
    dispatch: DispatchConfig = DispatchConfig()


def advance_config(settings) -> AdvanceConfig:  # noqa: ANN001 - massdm.config.Settings
    return AdvanceConfig(worker=worker_config(settings), dispatch=dispatch_config(settings))


def default_steps() -> list[Step]:
    """What runs first at every moment an advance stops at (simulated engagement, when on)."""
    return [engagement.materialise]


def advance(engine: Engine, clock: DrivenClock, *, to: datetime | None = None, by: timedelta | None = None,
            steps: Sequence[Step] = (), config: AdvanceConfig | None = None, account_ids: list[str] | None = None,
            field: str = "seconds") -> Advanced:
    """Advance to `to` (or by `by`), running everything due in between in time order; what ran on
    `account_ids` (None: every account), read from the store's totals before and after."""
    config = config or AdvanceConfig()
    accounts = account_ids
    start, frozen = read(clock)
    target = to if to is not None else start + (by or timedelta(0))
    if target < start:
        raise ValidationFailed.field(field, f"The clock only moves forward: {target.isoformat()} is before its "
                                     f"time now, {start.isoformat()}.")
    if target - start > MAX_ADVANCE:
        raise ValidationFailed.field(field, "The clock moves at most 3650 days in one call.")
    token = uuid.uuid4().hex
    with transaction(engine) as connection:
        if not clock_store.claim_advance(connection, token, clock.wall(), ADVANCE_LEASE):
            raise Conflict("The clock is being advanced by another call; try again when it returns.")
        before = due_work.totals(connection, accounts)
    try:
        worker = DeliveryWorker(engine, clock, config.worker, name=f"sandbox-advance:{token[:8]}")
        dispatcher = WebhookDispatcher(engine, clock, config.dispatch, name=f"sandbox-advance:{token[:8]}:webhooks")
        moment = start
        _stop_at(engine, clock, moment)
        _run_due(engine, clock, moment, worker, dispatcher, steps, config)
        while moment < target:
            with transaction(engine) as connection:
                moment = due_work.next_due(connection, moment, target) or target
            _stop_at(engine, clock, moment)
            _run_due(engine, clock, moment, worker, dispatcher, steps, config)
        with transaction(engine) as connection:
            wall = clock.wall()
            clock_store.write_state(connection, ClockState(frozen_at=target) if frozen
                                    else ClockState().running_from(target, wall))
            after = due_work.totals(connection, accounts)
    finally:
        with transaction(engine) as connection:
            clock_store.release_advance(connection, token)
    return Advanced(now=read(clock)[0], ran=after - before)


def _stop_at(engine: Engine, clock: DrivenClock, moment: datetime) -> None:
    with transaction(engine) as connection:
        clock_store.write_state(connection, ClockState(frozen_at=moment))


def _run_due(engine: Engine, clock: DrivenClock, moment: datetime, worker: DeliveryWorker,
             dispatcher: WebhookDispatcher, steps: Sequence[Step], config: AdvanceConfig) -> None:
    """Everything due at `moment`: engagement, saved-for-later releases, deliveries, webhooks; until
    none is left (a delivery writes events, a purchase may write more)."""
    for step in steps:
        step(engine, moment)
    scheduler.run_due_automation(engine, clock, config.worker.policy)
    worker.run_until_idle()
    deadline = time.monotonic() + WAIT_FOR_OTHERS
    while True:
        with transaction(engine) as connection:
            left = due_work.delivering(connection, moment)
        if not left:
            break
        if time.monotonic() > deadline:
            raise ServiceUnavailable(f"{left} message(s) due at {moment.isoformat()} are still being delivered by "
                                     "other workers; the clock stopped there. Advance again to go on.")
        time.sleep(0.05)
        worker.run_until_idle()
    dispatcher.run_until_idle()
