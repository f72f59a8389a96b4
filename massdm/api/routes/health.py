"""`GET /healthz`: is the server up and its database reachable. No auth, no envelope."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from massdm.store.db import ping

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Liveness and database check")
def healthz(request: Request) -> JSONResponse:
    ok = ping(request.app.state.engine)
    return JSONResponse({"status": "ok" if ok else "degraded", "database": ok}, status_code=200 if ok else 503)
