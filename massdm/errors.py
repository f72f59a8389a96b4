"""The error types every layer raises; `api/errors.py` is the one place that renders them.

Each subclass carries its HTTP status and the contract's error code, so services
say *what* went wrong and never build response bodies.
"""

from __future__ import annotations


class MassdmError(Exception):
    status_code = 400
    code = "BAD_REQUEST"
    description = "The request could not be processed."
    errors: dict[str, list[str]] | None = None  # per-field messages; every 422 has them

    def __init__(self, message: str, *, description: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if description is not None:
            self.description = description


class NotFound(MassdmError):
    status_code = 404
    code = "NOT_FOUND"
    description = "The requested resource does not exist or this API key may not use it."


class ValidationFailed(MassdmError):
    """422 with per-field messages, keyed by the wire name of the field."""

    status_code = 422
    code = "VALIDATION_ERROR"
    description = "The request was well-formed but some fields are invalid; see `errors`."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        first = next(iter(errors.values()))[0] if errors else "The given data was invalid."
        extra = sum(len(v) for v in errors.values()) - 1
        if message is None:
            message = first if extra <= 0 else f"{first} (and {extra} more error{'s' if extra > 1 else ''})"
        super().__init__(message)
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls({name: [message]})


class SystemListError(MassdmError):
    status_code = 422
    code = "SYSTEM_LIST"
    description = "System lists follow fan state; they cannot be renamed, deleted or edited by hand."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {"list_id": [message]}


class SmartListError(MassdmError):
    status_code = 422
    code = "SMART_LIST"
    description = "A smart list's members are the fans its filter selects; they cannot be added or removed by hand."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {"list_id": [message]}


class Unauthorized(MassdmError):
    status_code = 401
    code = "UNAUTHORIZED"


class InsufficientCredits(MassdmError):
    status_code = 402
    code = "INSUFFICIENT_CREDITS"


class RateLimited(MassdmError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"
    description = "Too many requests for this API key; wait `Retry-After` seconds."

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(MassdmError):
    """503: overloaded, or a backend (the database, Redis) is unreachable; nothing was done or charged."""

    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    description = (
        "The server cannot take this request right now; nothing was done or charged. "
        "Retry after `Retry-After` seconds."
    )

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(MassdmError):
    status_code = 409
    code = "CONFLICT"


class TooLarge(MassdmError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    description = "The upload is larger than this server accepts."


class IdempotencyKeyInvalid(MassdmError):
    status_code = 400
    code = "IDEMPOTENCY_KEY_INVALID"
    description = "Idempotency-Key must be 1 to 255 printable ASCII characters."


class IdempotencyConflict(MassdmError):
    status_code = 409
    code = "IDEMPOTENCY_CONFLICT"
    description = "A request with this Idempotency-Key is still being processed; retry shortly."
    retry_after = 1


class IdempotencyMismatch(MassdmError):
    status_code = 422
    code = "IDEMPOTENCY_KEY_MISMATCH"
    description = "This Idempotency-Key was already used with a different request body."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {"Idempotency-Key": [message]}
