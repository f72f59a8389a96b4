"""The error answers every keyed route may give, as documented in the OpenAPI description."""

from __future__ import annotations

from typing import Any

from massdm.api.schemas.common import ErrorBody

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid API key: `{\"error\": \"Unauthorized. ...\"}`"},
    402: {"description": "Not enough credits: `{\"message\": \"Insufficient credits ...\"}`"},
    404: {"model": ErrorBody, "description": "Unknown account or id, or one this key may not use"},
    422: {"model": ErrorBody, "description": "VALIDATION_ERROR with per-field `errors`"},
    429: {"model": ErrorBody, "description": "Rate limit exceeded; see `Retry-After`"},
    503: {"model": ErrorBody, "description": "SERVICE_UNAVAILABLE: overloaded, or the database or Redis is "
          "unreachable; nothing was done or charged; see `Retry-After`"},
}
IDEMPOTENT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "IDEMPOTENCY_CONFLICT: the same Idempotency-Key is still in flight"},
}
