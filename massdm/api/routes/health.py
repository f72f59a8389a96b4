"""Health and metrics, no auth, no envelope.

`/healthz`: the process is up and its event loop answers (liveness): no database, no thread,
so a busy or slow database never makes an orchestrator restart a healthy process.
`/readyz`: every backend this process depends on answers: the database and, when
configured, Redis (send traffic here only when it says ready).
`/metrics`: Prometheus text (requests, latencies, deliveries, lease recoveries, queue depth).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from massdm import metrics
from massdm.api.state import state_of
from massdm.services import delivery_queue
from massdm.store import shared
from massdm.store.db import ping, snapshot

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: database and Redis")
def readyz(request: Request) -> JSONResponse:
    state = state_of(request)
    checks: dict[str, bool | None] = {
        "database": ping(state.engine),
        "redis": shared.ping(state.redis) if state.redis is not None else None,  # None: not configured
    }
    ready = all(ok is not False for ok in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus_metrics(request: Request) -> Response:
    state = state_of(request)
    def queue_depth() -> tuple[int, int]:
        # Outside the request places on purpose (the pool keeps connections for the probes): a
        # scrape must answer most when the server is at its busiest.
        with snapshot(state.engine) as connection:
            return delivery_queue.depth(connection, state.clock.now())

    body = await run_in_threadpool(metrics.exposition, queue_depth)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
