"""The worker: plan a due message into chunks, deliver chunks; any number of workers at once.

Planning: a worker claims a due message (lease), counts its audience and splits the
eligible fans into fan-id ranges (delivery_chunks), in one transaction.
Delivery: any worker claims any free chunk (lease; SKIP LOCKED on PostgreSQL) and writes
its deliveries by INSERT … SELECT. The chunk's deliveries, its "done" mark and the
message's counter commit in one transaction, guarded by the lease, so a chunk counts
exactly once. A worker killed mid-chunk loses only that uncommitted chunk: its lease runs
out, the sweeper frees it, another worker delivers it, and the (message, fan) primary key
makes any repeat a no-op. In sandbox mode a chunk's magic fans (domain/magic_fans.py) are failed
instead of delivered, in the same transaction and as exactly once (store.delivery_failures).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from massdm import metrics
from massdm.clock import Clock
from massdm.delivery import scheduler
from massdm.domain.banned_words import BannedWords
from massdm.domain.queue import DEFAULT_UNSEND_WINDOW
from massdm.services import mass_messaging as message_service
from massdm.services import recipients as recipient_service
from massdm.services.mass_messaging import Policy
from massdm.store import audience as audience_store
from massdm.store import delivery_chunks as chunk_store
from massdm.store import delivery_failures as failure_store
from massdm.store import message_claims as claim_store
from massdm.store import messages as message_store
from massdm.store.db import relax_durability, transaction
from massdm.store.delivery_chunks import Chunk
from massdm.store.messages import MassMessage
from massdm.webhooks import outbox

log = logging.getLogger("massdm.delivery")


class LeaseLost(Exception):
    """The message was canceled or the chunk taken over by another worker: roll this chunk back."""


@dataclass(frozen=True)
class WorkerConfig:
    chunk_size: int = 10_000
    lease: timedelta = timedelta(seconds=30)
    poll_interval: float = 1.0
    policy: Policy = field(default_factory=lambda: Policy(BannedWords.load(), DEFAULT_UNSEND_WINDOW))
    progress_every: timedelta = timedelta(seconds=5)  # chat_queue.updated for delivery progress, per message
    sandbox: bool = False  # magic fans fail their delivery (sandbox mode only)
    # More time-driven work for housekeeping, each given (engine, now): the sandbox's simulated fans (massdm/app.py).
    housekeeping_steps: tuple[Callable[[Engine, datetime], None], ...] = ()


class DeliveryWorker:
    def __init__(
        self, engine: Engine, clock: Clock, config: WorkerConfig | None = None, name: str | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.config = config or WorkerConfig()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._housekeeping_at = 0.0  # monotonic time the sweeper and automation run next
        self._ahead: Chunk | None = None  # the next chunk, claimed in the transaction that finished the last
        self.on_chunk: Callable[[int, int], object] = lambda message_id, sent: None  # progress hook (CLI --wait)

    # --- one step at a time (tests and the CLI call these directly) --------------------

    def run_once(self) -> int | None:
        """Do the next piece of work: plan a due message, else deliver one chunk. The message's id, or None."""
        # Between chunks claimed ahead, new messages are looked for once per poll interval.
        if self._housekeeping() or self._ahead is None:
            message = self._claim_message()
            if message is not None:
                self._give_back_ahead()
                self._plan(message)
                return message.id
        chunk, self._ahead = self._ahead or self._claim_chunk(), None
        if chunk is None:
            return None
        self._deliver_chunk(chunk)
        return chunk.message_id

    def run_until_idle(self, limit: int = 100_000) -> int:
        """Work until nothing is left to do now; how many different messages were worked on."""
        self._housekeeping_at = 0.0
        worked: set[int] = set()
        for _ in range(limit):
            message_id = self.run_once()
            if message_id is None:
                break
            worked.add(message_id)
        return len(worked)

    def deliver_one(self, message_id: int) -> bool:
        """Plan this message if it is due, then deliver whatever chunks of it are free; False if none were."""
        worked = False
        with transaction(self.engine) as connection:
            message = claim_store.claim(connection, message_id, self.name, self.clock.now(), self.config.lease)
        if message is not None:
            self._plan(message)
            worked = True
        self._give_back_ahead()
        chunk = self._claim_chunk(message_id)
        while chunk is not None:
            self._deliver_chunk(chunk, of_message=message_id)
            chunk, self._ahead = self._ahead, None
            worked = True
        return worked

    # --- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; sleep between polls, wake early when told there is work.

        Every step commits on its own, so stopping between steps leaves nothing half done.
        """
        log.info("delivery worker %s started", self.name)
        self._stop = stop
        while not stop.is_set():
            try:
                worked = self.run_once() is not None
            except Exception:  # a bad message must not kill the worker
                log.exception("delivery worker step failed")
                worked = False
            if not worked and not stop.is_set():
                self.wake.wait(self.config.poll_interval)
                self.wake.clear()
        self._give_back_ahead()
        log.info("delivery worker %s stopped", self.name)

    # --- steps -------------------------------------------------------------------------

    def _housekeeping(self) -> bool:
        """Free expired leases and run time-driven automation, at most once per poll interval; True if it ran."""
        if time.monotonic() < self._housekeeping_at:
            return False
        self._housekeeping_at = time.monotonic() + self.config.poll_interval
        now = self.clock.now()
        with transaction(self.engine) as connection:
            recovered = chunk_store.recover_expired(connection, now) + claim_store.recover_expired(connection, now)
        if recovered:
            metrics.LEASE_RECOVERIES.inc(recovered)
            log.warning("recovered %s expired lease(s) of workers that died or stalled", recovered)
        scheduler.run_due_automation(self.engine, self.clock, self.config.policy)
        for step in self.config.housekeeping_steps:
            step(self.engine, now)
        return True

    def _claim_message(self) -> MassMessage | None:
        with transaction(self.engine) as connection:
            return claim_store.claim_next(connection, self.name, self.clock.now(), self.config.lease)

    def _give_back_ahead(self) -> None:
        """Release a chunk claimed ahead, so another worker need not wait out its lease."""
        if self._ahead is not None:
            with transaction(self.engine) as connection:
                chunk_store.release(connection, self._ahead, self.name)
            self._ahead = None

    def _claim_chunk(self, message_id: int | None = None) -> Chunk | None:
        with transaction(self.engine) as connection:
            return chunk_store.claim_next(connection, self.name, self.clock.now(), self.config.lease, message_id)

    def _plan(self, message: MassMessage) -> None:
        """Fix the audience (its size and who cannot receive) and split it into chunks, in one transaction."""
        now = self.clock.now()
        with transaction(self.engine) as connection:
            sent_at = message.sent_at or claim_store.stamp_sent_at(connection, message.account_id, now)
            audience = audience_store.for_message(connection, message, sent_at)
            size, can_receive = audience_store.count(connection, audience)
            if can_receive == 0:
                if claim_store.start(connection, message.id, self.name, now, sent_at=sent_at, total=size,
                                       skipped=size, error="The audience is empty: nobody in it could receive "
                                       "the message."):
                    message_service.announce_delivery(connection, message.id, finished=True, now=now,
                                                      policy=self.config.policy,
                                                      progress_every=self.config.progress_every)
                    log.warning("message %s: empty audience", message.id)
                return
            if not claim_store.start(connection, message.id, self.name, now, sent_at=sent_at, total=size,
                                       skipped=size - can_receive):
                log.info("message %s: canceled or taken over while being planned", message.id)
                return
            chunks = audience_store.plan_chunks(connection, audience, self.config.chunk_size)
        log.info("message %s: audience %s, %s can receive, %s chunks", message.id, size, can_receive, chunks)

    def _deliver_chunk(self, chunk: Chunk, *, of_message: int | None = None) -> None:
        """Deliver the chunk and claim the next free one (of `of_message`, if given) in the same transaction."""
        try:
            sent = self._write_chunk(chunk, of_message)
        except LeaseLost:
            log.info("message %s chunk %s: stopped (canceled or taken over)", chunk.message_id, chunk.seq)
            return
        self.on_chunk(chunk.message_id, sent)

    def _write_chunk(self, chunk: Chunk, of_message: int | None) -> int:
        """Deliver the chunk's range and count it, all or nothing; the message's new sent count.

        Claiming the next chunk in the same transaction saves a transaction per chunk; that
        claim carries a lease like any other, so it is recovered if this worker dies.
        A chunk's commit need not wait for the disk: should a crash lose it, the deliveries,
        the done mark and the counter are lost together, and the chunk is delivered again.
        """
        with transaction(self.engine) as connection:
            relax_durability(connection)
            message = message_store.get_message_by_id(connection, chunk.message_id)
            if message is None or message.sent_at is None:
                raise LeaseLost()
            audience = audience_store.for_message(connection, message, message.sent_at)
            now = self.clock.now()
            magic = failure_store.magic_condition() if self.config.sandbox else None
            inserted = audience_store.deliver(connection, audience, after=chunk.after_fan_id,
                                              through=chunk.through_fan_id, now=now, leaving_out=magic)
            failed = 0 if magic is None else failure_store.record_magic(
                connection, audience, after=chunk.after_fan_id, through=chunk.through_fan_id, now=now)
            if not chunk_store.complete(connection, chunk, self.name, inserted, now):
                raise LeaseLost()
            sent = claim_store.add_delivered(connection, chunk.message_id, inserted)
            if sent is None:
                raise LeaseLost()
            if failed:
                failure_store.add_failed(connection, chunk.message_id, failed)
            # The message row is locked by now, so the last chunk to commit sees every other one done.
            finished = not chunk_store.any_open(connection, chunk.message_id)
            if finished:
                claim_store.finish(connection, chunk.message_id, now)
                log.info("message %s: delivered to %s fans", chunk.message_id, sent)
                if self.config.sandbox:
                    recipient_service.announce_failures(connection, chunk.message_id, now, self.config.policy)
            # Webhook events commit with the chunk: both happen, or neither (and the chunk is delivered again).
            outbox.record_fans_reached(connection, account_id=message.account_id, message_id=chunk.message_id,
                                       after=chunk.after_fan_id, through=chunk.through_fan_id, now=now)
            message_service.announce_delivery(connection, chunk.message_id, finished=finished, now=now,
                                              policy=self.config.policy, progress_every=self.config.progress_every)
            ahead = chunk_store.claim_next(connection, self.name, now, self.config.lease, of_message)
        self._ahead = ahead
        metrics.DELIVERIES.inc(inserted)
        metrics.CHUNKS.inc()
        return sent


class Loop(Protocol):
    def run(self, stop: threading.Event) -> None: ...


def start_in_thread(loop: Loop, *, name: str = "massdm-delivery",
                    stop: threading.Event | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run a worker's loop (delivery, webhooks) on a daemon thread until the returned event is set."""
    stop = stop or threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread, stop


def worker_config(settings) -> WorkerConfig:  # noqa: ANN001 - massdm.config.Settings
    return WorkerConfig(
        chunk_size=settings.delivery_chunk_size,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        poll_interval=settings.worker_poll_seconds,
        policy=Policy.from_settings(settings),
        progress_every=timedelta(seconds=settings.webhook_progress_seconds),
        sandbox=settings.sandbox,
    )
