"""`GET /bench/constant?bytes=N`: the benchmarks' baseline route (only with MASSDM_BENCH_ROUTES=true).

No auth, no database, no metering: a constant JSON body of exactly N bytes, so a benchmark can
compare an API route with everything the server does for any request at all.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Query
from fastapi.responses import Response

router = APIRouter(tags=["Benchmarks"], include_in_schema=False)


@lru_cache(maxsize=64)
def _body(size: int) -> bytes:
    frame = b'{"constant":""}'
    return frame[:-2] + b"x" * max(0, size - len(frame)) + frame[-2:]


@router.get("/bench/constant")
def constant(size: int = Query(default=1024, alias="bytes", ge=0, le=1 << 20)) -> Response:
    return Response(_body(size), media_type="application/json")
