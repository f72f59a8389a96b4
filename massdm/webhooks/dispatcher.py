"""The dispatcher: claims due webhook deliveries, sends them, logs each attempt; any number at once.

Each delivery is claimed with a lease (a guarded UPDATE; SKIP LOCKED on PostgreSQL), sent with
no transaction open, and its attempt is then logged and counted in one transaction guarded by
the claim. A worker that dies mid-send loses its claim when the lease runs out and the
delivery is sent again, with the same idempotency key: receivers see each event at least once.
A delivery has the retry policy's attempts (three by default); one failing all of them counts
against its webhook, and a webhook failing `pause_after` deliveries in a row is paused (disabled,
with the reason on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy import Engine

from massdm import metrics
from massdm.clock import Clock
from massdm.domain import webhooks as rules
from massdm.domain.faults import Hit
from massdm.store import accounts as account_store
from massdm.store import deliveries as delivery_store
from massdm.store import fans as fan_store
from massdm.store import instance as instance_store
from massdm.store import messages as message_store
from massdm.store import sandbox_faults as fault_store
from massdm.store import webhook_deliveries
from massdm.store import webhook_log as log_store
from massdm.store.db import snapshot, transaction
from massdm.store.webhook_deliveries import DueDelivery
from massdm.webhooks import payloads
from massdm.webhooks.sender import USER_AGENT, Outcome, SenderConfig, WebhookSender

log = logging.getLogger("massdm.webhooks")

RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class DispatchConfig:
    senders: int = 4  # deliveries in flight at once, per dispatcher
    lease: timedelta = timedelta(seconds=30)  # longer than an attempt may take (10 s)
    poll_interval: float = 1.0
    retry: rules.RetryPolicy = field(default_factory=rules.RetryPolicy)
    pause_after: int = 5  # deliveries failed in a row before a webhook is paused; 0: never
    sender: SenderConfig = field(default_factory=SenderConfig)
    faults: bool = False  # sandbox mode: apply the webhooks' faults on purpose (store.sandbox_faults)


class WebhookDispatcher:
    def __init__(self, engine: Engine, clock: Clock, config: DispatchConfig | None = None,
                 name: str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.config = config or DispatchConfig()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:webhooks:{id(self):x}"
        self._wakers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []  # one per running loop
        self._wakers_lock = threading.Lock()
        self._pruned_at = 0.0
        self._secret: str | None = None

    # --- in the dispatcher's own thread ------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set (SIGTERM in `massdm worker`); attempts in flight finish first."""
        log.info("webhook dispatcher %s started", self.name)
        asyncio.run(self._main(stop))
        log.info("webhook dispatcher %s stopped", self.name)

    def wake(self) -> None:
        """Look for due deliveries now (from any thread): an event was just committed."""
        with self._wakers_lock:
            wakers = list(self._wakers)
        for loop, event in wakers:
            with contextlib.suppress(RuntimeError):  # that loop has just closed
                loop.call_soon_threadsafe(event.set)

    def run_until_idle(self, limit: int = 10_000) -> int:
        """Send every delivery that is due now, one at a time (tests, CLI); how many attempts were made."""
        async def drain() -> int:
            sender = WebhookSender(self.config.sender)
            try:
                made = 0
                while made < limit and await self._attempt_one(sender):
                    made += 1
                return made
            finally:
                await sender.aclose()

        return asyncio.run(drain())

    async def _main(self, stop: threading.Event) -> None:
        waker = (asyncio.get_running_loop(), asyncio.Event())
        with self._wakers_lock:
            self._wakers.append(waker)
        sender = WebhookSender(self.config.sender)
        try:
            await asyncio.gather(
                *(self._sender_loop(sender, stop, waker[1], polls=n == 0) for n in range(max(1, self.config.senders))),
                self._stop_watch(stop, waker[1]),
            )
        finally:
            with self._wakers_lock:
                self._wakers.remove(waker)
            await sender.aclose()

    @staticmethod
    async def _stop_watch(stop: threading.Event, wake: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(0.1)
        wake.set()

    async def _sender_loop(self, sender: WebhookSender, stop: threading.Event, wake: asyncio.Event, *,
                           polls: bool) -> None:
        """Send while there is work; then wait to be woken. One loop (`polls`) also looks every poll
        interval, and rouses the others when it finds work: idle, a dispatcher costs one read per interval."""
        while not stop.is_set():
            try:
                worked = await self._attempt_one(sender)
                if polls and time.monotonic() >= self._pruned_at:
                    self._pruned_at = time.monotonic() + 300
                    await asyncio.to_thread(self.prune)
            except Exception:  # one bad delivery must not stop the dispatcher
                log.exception("webhook delivery step failed")
                worked = False
            if worked:
                if polls:
                    wake.set()  # there may be more: everyone to work
                continue
            if stop.is_set():
                break
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.config.poll_interval if polls else None)

    # --- one delivery attempt ------------------------------------------------------------------

    async def _attempt_one(self, sender: WebhookSender) -> bool:
        due = await asyncio.to_thread(self._claim)
        if due is None:
            return False
        raw = rules.body(due.event, due.account_id, due.payload or {})
        secret = self._secret or await asyncio.to_thread(self._instance_secret)
        assert secret is not None
        headers = {
            "Content-Type": "application/json",
            "X-OFAPI-Idempotency-Key": rules.event_key(secret, due.event_id),
            "X-Massdm-Delivery": rules.delivery_uuid(secret, due.id),
            "X-Massdm-Attempt": str(due.attempt),
        }
        if due.signing_secret:
            headers["Signature"] = rules.signature(due.signing_secret, raw)
        if due.redelivery_of is not None:
            headers["X-OFAPI-Redelivery-Of"] = str(due.redelivery_of)
        fault = await asyncio.to_thread(self._fault, due) if self.config.faults else None
        sent: dict[str, str] | None = {"User-Agent": USER_AGENT, **headers}  # what the log shows was sent
        if fault is not None and fault.mode == "status":  # as if the endpoint answered it: nothing is sent
            sent = None
            outcome = Outcome(False, fault.status, "http_status",
                              f"HTTP {fault.status} (sandbox fault {fault.fault_id})")
        else:
            outcome = await sender.send(due.url, raw, headers)
            if outcome.error_type == "address_refused":  # refused before connecting: nothing went out
                sent = None
            if fault is not None:  # a timeout: the endpoint got it, but its answer is lost, so it comes again
                outcome = Outcome(False, error_type="timeout", error_message="No complete answer within "
                                  f"{self.config.sender.total_timeout:g} s (sandbox fault {fault.fault_id}).",
                                  duration_ms=outcome.duration_ms)
        await asyncio.to_thread(self._record, due, outcome, sent)
        return True

    def _fault(self, due: DueDelivery) -> Hit | None:
        """The webhook's fault that fires on this attempt, counted; None (one read) when it has none."""
        with snapshot(self.engine) as connection:
            faults = fault_store.live_webhook_faults(connection, due.webhook_id)
        if not faults:
            return None
        with transaction(self.engine) as connection:
            return fault_store.fire(connection, faults)

    def _instance_secret(self) -> str:
        with transaction(self.engine) as connection:
            self._secret = instance_store.instance_secret(connection)
        return self._secret

    def _claim(self) -> DueDelivery | None:
        now = self.clock.now()
        with snapshot(self.engine) as connection:  # idle polls stay reads
            if not webhook_deliveries.any_due(connection, now):
                return None
        with transaction(self.engine) as connection:
            due = webhook_deliveries.claim_due(connection, self.name, now, self.config.lease)
            if due is not None and due.payload is None:
                payload = self._fan_payload(connection, due)
                webhook_deliveries.keep_payload(connection, due.event_id, payload)
                due = replace(due, payload=payload)
            return due

    @staticmethod
    def _fan_payload(connection, due: DueDelivery) -> dict:  # noqa: ANN001
        """A fan's messages.sent, built at its first attempt from what the chunk wrote."""
        assert due.message_id is not None and due.fan_id is not None and due.account_id is not None
        message = message_store.get_message_by_id(connection, due.message_id)
        delivery = delivery_store.get_delivery(connection, due.message_id, due.fan_id)
        account = account_store.get_account(connection, due.account_id)
        if message is None or delivery is None or account is None:
            return {"id": due.message_id, "toUser": {"id": due.fan_id}}
        fan = fan_store.get_fan(connection, due.account_id, due.fan_id)
        return payloads.message_sent(message=message, delivery=delivery, fan=fan, creator_id=account.onlyfans_id)

    def _record(self, due: DueDelivery, outcome: Outcome, sent: dict[str, str] | None) -> None:
        now = self.clock.now()
        delay = None if outcome.succeeded else self.config.retry.delay_after(due.attempt)
        with transaction(self.engine) as connection:
            if not webhook_deliveries.finish_attempt(connection, due, self.name, succeeded=outcome.succeeded,
                                                retry_at=now + delay if delay is not None else None, now=now):
                log.warning("webhook delivery %s: claim ran out before attempt %s was logged", due.id, due.attempt)
                return
            webhook_deliveries.log_attempt(connection, due, succeeded=outcome.succeeded,
                                           status_code=outcome.status_code, error_type=outcome.error_type,
                                           error_message=outcome.error_message, now=now,
                                           duration_ms=outcome.duration_ms, request_headers=sent,
                                           response_headers=outcome.response_headers)
            if outcome.succeeded:
                webhook_deliveries.reset_failures(connection, due.webhook_id)
            elif delay is None:
                failures = webhook_deliveries.count_failure(connection, due.webhook_id)
                reason = rules.pause_reason(failures, self.config.pause_after, self.config.retry)
                if reason and webhook_deliveries.pause(connection, due.webhook_id, reason, now):
                    log.warning("webhook %s paused: %s", due.webhook_id, reason)
                    metrics.WEBHOOKS_PAUSED.inc()
        metrics.WEBHOOK_ATTEMPTS.labels("ok" if outcome.succeeded else outcome.error_type or "failed").inc()
        if not outcome.succeeded:
            log.info("webhook delivery %s attempt %s to %s failed: %s", due.id, due.attempt, due.url,
                     outcome.error_message)

    def prune(self) -> int:
        """Forget attempts, deliveries and events older than the log keeps them (7 days)."""
        with transaction(self.engine) as connection:
            removed = log_store.prune(connection, self.clock.now() - RETENTION)
        if removed:
            log.info("webhooks: forgot %s rows older than %s days", removed, RETENTION.days)
        return removed


def dispatch_config(settings) -> DispatchConfig:  # noqa: ANN001 - massdm.config.Settings
    return DispatchConfig(
        senders=settings.webhook_senders,
        lease=timedelta(seconds=max(settings.worker_lease_seconds, settings.webhook_total_timeout + 5)),
        poll_interval=settings.worker_poll_seconds,
        retry=rules.RetryPolicy(first_delay=timedelta(seconds=settings.webhook_retry_seconds)),
        pause_after=settings.webhook_pause_after,
        sender=SenderConfig(allow_private=settings.webhooks_allow_private,
                            total_timeout=settings.webhook_total_timeout),
        faults=settings.sandbox,
    )
