"""`create_app(settings)`: the massdm HTTP application, wired to its store, clock, meters and worker.

The composition root: it puts the two edges together, the API (massdm/api) and the web console built
on it (massdm/console), so neither of them imports the other's installer.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from massdm import __version__
from massdm.api.admission import Admission, Places
from massdm.api.body_guard import BodyGuard
from massdm.api.caller import SECURITY_SCHEME
from massdm.api.errors import install_error_handlers
from massdm.api.fault_injection import FaultInjection
from massdm.api.idempotency import IdempotencyMiddleware
from massdm.api.metrics import RequestMetrics
from massdm.api.routes import (
    bench,
    engagement,
    fan_inbox,
    fans,
    health,
    identity,
    mass_messaging,
    media,
    sandbox_clock,
    sandbox_engagement,
    sandbox_events,
    sandbox_faults,
    sandbox_recipients,
    sandbox_seed,
    sandbox_state,
    saved_for_later,
    schedule_queue,
    user_lists,
    vault_lists,
    webhooks,
)
from massdm.api.routing import index_routes
from massdm.api.state import AppState
from massdm.clock import Clock, SystemClock
from massdm.config import Settings
from massdm.console import install_console
from massdm.delivery.worker import DeliveryWorker, start_in_thread, worker_config
from massdm.media.probe import AvTools
from massdm.media.storage import LocalMediaStore, MediaStore
from massdm.sandbox.clock import driven_clock
from massdm.sandbox.engagement import housekeeping_step as sandbox_engagement_step
from massdm.services.mass_messaging import Policy
from massdm.services.metering import CreditLedgerFactory, RateLimiter, SqlCreditLedger, rate_limiter_for
from massdm.store import shared
from massdm.store.db import engine_for, migrate, normalise_url
from massdm.webhooks.dispatcher import WebhookDispatcher, dispatch_config


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    rate_limiter: RateLimiter | None = None,
    ledger_factory: CreditLedgerFactory = SqlCreditLedger,
    media_store: MediaStore | None = None,
) -> FastAPI:
    settings = settings or Settings()
    places = places_for(settings)
    # SQLite writes one transaction at a time, so one delivery thread; PostgreSQL writes chunks in parallel.
    threads = settings.worker_threads or (1 if _on_sqlite(settings) else 2)
    # A connection for every place a request can hold, every in-process worker thread, the webhook
    # dispatcher, and the probes (readyz, metrics): no thread ever waits for one.
    engine = engine or engine_for(settings, pool_size=places.total + threads + 3)
    migrate(engine)
    clock = clock or (driven_clock(engine) if settings.sandbox else SystemClock())
    config = worker_config(settings)
    if settings.sandbox:  # simulated fans view and buy as the running clock passes their moments
        config = replace(config, housekeeping_steps=(sandbox_engagement_step(),))
    worker = DeliveryWorker(engine, clock, config)
    workers = [worker, *(DeliveryWorker(engine, clock, config) for _ in range(threads - 1))]
    dispatcher = WebhookDispatcher(engine, clock, dispatch_config(settings))
    for each in workers:  # a delivered chunk may have written events: send them now, not at the next poll
        each.on_chunk = lambda _message_id, _sent: dispatcher.wake()

    def wake_workers() -> None:
        for each in workers:
            each.wake.set()
        dispatcher.wake()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        running = [start_in_thread(each) for each in workers] if settings.worker_enabled else []
        if settings.worker_enabled:
            running.append(start_in_thread(dispatcher, name="massdm-webhooks"))
        yield
        for _thread, stop in running:
            stop.set()
        wake_workers()
        for thread, _stop in running:
            thread.join(timeout=30)

    app = FastAPI(
        title="massdm",
        version=__version__,
        description="Mass messaging for creator platforms, speaking the OnlyFansAPI.com mass-messaging contract.",
        lifespan=lifespan,
    )
    redis = shared.connect(settings.redis_url) if settings.redis_url else None
    local_media = LocalMediaStore(settings.media_dir)
    app.state.massdm = AppState(
        settings=settings,
        engine=engine,
        clock=clock,
        rate_limiter=rate_limiter or rate_limiter_for(redis, settings.redis_prefix),
        ledger_factory=ledger_factory,
        media_store=media_store or local_media,
        av_tools=AvTools.find(settings.ffprobe, settings.ffmpeg),
        policy=Policy.from_settings(settings),
        admission=Admission(places),
        wake_workers=wake_workers,
        worker=worker,
        redis=redis,
    )

    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyGuard)
    if settings.sandbox:  # faults on purpose answer before any body is read; counted in the metrics
        app.add_middleware(FaultInjection)
    app.add_middleware(RequestMetrics)
    _add_routes(app, health.router)
    if settings.bench_routes:
        _add_routes(app, bench.router)
    # vault lists before media: `/media/vault/lists` is theirs, not a media id of `/media/vault/{media_id}`
    for router in (identity.router, fans.router, user_lists.router, vault_lists.router, media.router,
                   saved_for_later.router, engagement.router, fan_inbox.router, webhooks.router,
                   schedule_queue.router):
        _add_routes(app, router)
    _add_routes(app, mass_messaging.router)
    if settings.sandbox:  # the control API exists only in sandbox mode: otherwise /sandbox/... is a 404
        for router in SANDBOX_ROUTERS:
            _add_routes(app, router)
    install_console(app, sandbox=settings.sandbox)
    # Stored files, at stable URLs; names are random, so listing is impossible and guessing hopeless.
    app.mount(LocalMediaStore.URL_PREFIX, StaticFiles(directory=local_media.root), name="media")
    index_routes(app)
    _document_security(app)
    return app


SANDBOX_ROUTERS = (sandbox_clock.router, sandbox_seed.router, sandbox_engagement.router, sandbox_faults.router,
                   sandbox_events.router, sandbox_recipients.router, sandbox_state.router)


def _document_security(app: FastAPI) -> None:
    """The OpenAPI description names the bearer scheme the routes' `security` entries refer to."""
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = describe()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEME
        return app.openapi_schema or schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes as the app's own: FastAPI would keep an included router as a branch
    that every request walks through."""
    app.router.routes.extend(router.routes)


def _on_sqlite(settings: Settings) -> bool:
    return normalise_url(settings.database_url).get_backend_name() == "sqlite"


def places_for(settings: Settings) -> Places:
    """How many reads and writes one API process does at once (Settings documents the defaults)."""
    if _on_sqlite(settings):
        reads, writes = 16, 4
    else:
        writes = max(2, settings.database_pool_size // 3)
        reads = max(1, settings.database_pool_size - writes)
    return Places(reads=settings.request_reads or reads, writes=settings.request_writes or writes,
                  wait_seconds=settings.overload_wait_seconds)


def app_from_environment() -> FastAPI:
    """The app as configured by MASSDM_* variables: what each process of `massdm serve --workers N` runs."""
    app = create_app(Settings())
    gc.freeze()  # as `massdm serve` does for one process (cli/admin.py says why)
    return app
