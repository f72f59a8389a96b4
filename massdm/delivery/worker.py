"""The worker: claim -> count the audience -> deliver chunk by chunk -> finish; repeat.

Exactly once: a chunk's deliveries, the message's counters and its cursor commit in one
transaction, guarded by the worker's lease. A worker killed mid-chunk loses only that
uncommitted chunk; whoever claims the message after the lease runs out resumes at the
cursor, and the (message, fan) primary key makes any repeat a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from massdm.clock import Clock
from massdm.delivery import scheduler
from massdm.store import audience as audience_store
from massdm.store import messages as message_store
from massdm.store.db import transaction
from massdm.store.messages import MassMessage

log = logging.getLogger("massdm.delivery")


class LeaseLost(Exception):
    """The message was canceled or taken over by another worker: stop, roll back this chunk."""


@dataclass(frozen=True)
class WorkerConfig:
    chunk_size: int = 2000
    lease: timedelta = timedelta(seconds=30)
    poll_interval: float = 1.0


class DeliveryWorker:
    def __init__(self, engine: Engine, clock: Clock, config: WorkerConfig | None = None, name: str | None = None):
        self.engine = engine
        self.clock = clock
        self.config = config or WorkerConfig()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wake = threading.Event()
        self._stop = threading.Event()
        self.on_chunk = lambda message_id, sent: None  # progress hook (CLI --wait)

    # --- one step at a time (tests and the CLI call these directly) --------------------

    def run_once(self) -> bool:
        """Do the next piece of work, if any: scheduled housekeeping, then one claimed message."""
        scheduler.run_due_automation(self.engine, self.clock)
        with transaction(self.engine) as connection:
            message = message_store.claim_next(connection, self.name, self.clock.now(), self.config.lease)
        if message is None:
            return False
        self.deliver(message)
        return True

    def deliver_one(self, message_id: int) -> bool:
        """Deliver this message now if it is due and nobody else holds it; False otherwise."""
        with transaction(self.engine) as connection:
            message = message_store.claim(connection, message_id, self.name, self.clock.now(), self.config.lease)
        if message is None:
            return False
        self.deliver(message)
        return True

    def run_until_idle(self, limit: int = 10_000) -> int:
        done = 0
        while done < limit and self.run_once():
            done += 1
        return done

    def deliver(self, message: MassMessage) -> None:
        try:
            if message.total < 0:
                message = self._count(message)
                if message is None:
                    return
            while self._next_chunk(message):
                if self._stop.is_set():  # shutting down: hand the message back right away
                    with transaction(self.engine) as connection:
                        message_store.release(connection, message.id, self.name)
                    return
        except LeaseLost:
            log.info("message %s: stopped (canceled or taken over)", message.id)

    # --- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; sleep between polls, wake early when told there is work."""
        log.info("delivery worker %s started", self.name)
        self._stop = stop
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # noqa: BLE001 - a bad message must not kill the worker
                log.exception("delivery worker step failed")
                worked = False
            if not worked and not stop.is_set():
                self.wake.wait(self.config.poll_interval)
                self.wake.clear()
        log.info("delivery worker %s stopped", self.name)

    # --- steps -------------------------------------------------------------------------

    def _count(self, message: MassMessage) -> MassMessage | None:
        """Fix the audience: its size (total) and who cannot receive (skipped)."""
        sent_at = message.sent_at or self.clock.now().replace(microsecond=0)
        with transaction(self.engine) as connection:
            audience = audience_store.for_message(connection, message, sent_at)
            size, can_receive = audience_store.count(connection, audience)
            if can_receive == 0:
                if not message_store.start(connection, message.id, self.name, self.clock.now(), self.config.lease,
                                           sent_at=sent_at, total=size, skipped=size,
                                           error="The audience is empty: nobody in it could receive the message."):
                    raise LeaseLost()
                log.warning("message %s: empty audience", message.id)
                return None
            if not message_store.start(connection, message.id, self.name, self.clock.now(), self.config.lease,
                                       sent_at=sent_at, total=size, skipped=size - can_receive):
                raise LeaseLost()
            counted = message_store.get_message_by_id(connection, message.id)
        log.info("message %s: audience %s, %s can receive", message.id, size, can_receive)
        return counted

    def _next_chunk(self, message: MassMessage) -> bool:
        """Deliver one chunk; True while more remain.

        Deliveries are written in fan-id order, so the highest delivered fan id is the cursor.
        """
        with transaction(self.engine) as connection:
            current = message_store.get_message_by_id(connection, message.id)
            if current is None or current.claimed_by != self.name:
                raise LeaseLost()
            audience = audience_store.for_message(connection, current, current.sent_at or self.clock.now())
            inserted = audience_store.deliver(connection, audience, after=current.cursor_fan_id,
                                              limit=self.config.chunk_size, now=self.clock.now())
            cursor = max(current.cursor_fan_id, audience_store.last_delivered(connection, message.id))
            more = inserted == self.config.chunk_size or audience_store.remaining(connection, audience, cursor)
            sent = current.sent_count + inserted
            held = message_store.advance(
                connection, current.id, self.name, self.clock.now(), self.config.lease, delivered=inserted,
                cursor=cursor, finished=not more,
                # at the end, the truth, should list membership have moved while it was sending
                total=None if more else sent + current.skipped_count,
            )
            if not held:
                raise LeaseLost()
        self.on_chunk(message.id, sent)
        return more


def start_in_thread(worker: DeliveryWorker) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="massdm-delivery", daemon=True)
    thread.start()
    return thread, stop


def worker_config(settings) -> WorkerConfig:  # noqa: ANN001 - massdm.config.Settings
    return WorkerConfig(
        chunk_size=settings.delivery_chunk_size,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        poll_interval=settings.worker_poll_seconds,
    )
