"""Faults on purpose (docs/sandbox.md): which calls a fault matches, whether the n-th
matching call is hit, and the error a faulted call answers with. Pure: the store counts the calls.

A path template is a path with `{placeholders}`, each matching exactly one segment
(`/api/{account}/mass-messaging/{id}`); a trailing slash is ignored on both sides. A fault with a
`probability` hits the n-th call it matches when `draw(seed, n) < probability`: a pure function of
(seed, n), so a seed replays the same hits and misses on every run and backend.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from massdm.domain.hashing import unit
from massdm.domain.ids import is_random_id, new_random_id
from massdm.errors import MassdmError, RateLimited, ServiceUnavailable

FAULT_PREFIX = "flt_"
STATUSES = (429, 500, 502, 503, 504)
WEBHOOK_MODES = ("timeout", "status")
FAULTABLE_PREFIXES = ("/api/", "/fan/")  # never /sandbox, /healthz, /media, ...
DEFAULT_RETRY_AFTER = {429: 1.0, 503: 1.0}  # what the contract's own 429 and 503 always carry
_DRAW_SALT = 0x0FA17  # the stream of draws, apart from the other sandbox streams of one seed
_PLACEHOLDER = re.compile(r"\{[^/{}]*\}")


def new_fault_id() -> str:
    return new_random_id(FAULT_PREFIX)


def is_fault_id(text: str) -> bool:
    return is_random_id(text, FAULT_PREFIX)


@lru_cache(maxsize=256)
def _compiled(template: str) -> re.Pattern[str]:
    parts, at = [], 0
    for found in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[at:found.start()]))
        parts.append("[^/]+")
        at = found.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts))


def path_matches(template: str, path: str) -> bool:
    """Whether `path` is one of the paths `template` names (`{x}`: exactly one non-empty segment)."""
    return _compiled(template.rstrip("/") or "/").fullmatch(path.rstrip("/") or "/") is not None


def template_problem(template: str) -> str | None:
    """Why `template` cannot be a fault's path, or None."""
    if not template.startswith(FAULTABLE_PREFIXES):
        return "A fault's path starts with /api/ or /fan/ (the sandbox's own /sandbox paths are never faulted)."
    if "?" in template or "#" in template:
        return "A fault's path is a path alone, without a query string."
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        return "A placeholder is written {name} and stands for one whole path segment."
    return None


def method_matches(fault_method: str | None, method: str) -> bool:
    return fault_method is None or fault_method == method.upper()


def draw(seed: int, n: int) -> float:
    """The n-th (1-based) matching call's draw, in [0, 1): the same for the same (seed, n), always."""
    return unit(seed, n, 0, _DRAW_SALT)


def hits(probability: float, seed: int, n: int) -> bool:
    """Whether a fault of `probability` hits the n-th call it matches."""
    return probability >= 1 or draw(seed, n) < probability


def retry_after_for(status: int | None, retry_after: float | None) -> float | None:
    """The wait a faulted answer asks for: the fault's own, else the contract's default for 429 and 503."""
    if retry_after is not None:
        return retry_after
    return DEFAULT_RETRY_AFTER.get(status) if status is not None else None


def retry_headers(seconds: float | None) -> dict[str, str]:
    """`Retry-After` in whole seconds (rounded up, as the header is defined) and `retry-after-ms`, which
    the official SDK reads first, so a fraction of a second is honoured by it exactly."""
    if seconds is None:
        return {}
    return {"Retry-After": str(math.ceil(seconds)), "retry-after-ms": str(round(seconds * 1000))}


class BadGateway(MassdmError):
    status_code = 502
    code = "BAD_GATEWAY"
    description = "An upstream service failed; nothing was done or charged. Retry shortly."


class GatewayTimeout(MassdmError):
    status_code = 504
    code = "GATEWAY_TIMEOUT"
    description = "An upstream service did not answer in time; nothing was done or charged. Retry shortly."


class InternalError(MassdmError):
    status_code = 500
    code = "INTERNAL_ERROR"
    description = "An unexpected server error."


def fault_error(status: int, retry_after: float | None) -> MassdmError:
    """The contract's error for `status`, as massdm answers it when it happens for real."""
    wait = max(1, math.ceil(retry_after or 0))
    if status == 429:
        return RateLimited(f"Rate limit exceeded. Try again in {wait} second(s).", retry_after=wait)
    if status == 503:
        return ServiceUnavailable("The server cannot take this request right now.", retry_after=wait)
    if status == 502:
        return BadGateway("An upstream service failed.")
    if status == 504:
        return GatewayTimeout("An upstream service did not answer in time.")
    return InternalError("Something went wrong on our side.")


@dataclass(frozen=True)
class Hit:
    """A fault that fired on one call: what the call gets."""

    fault_id: str
    status: int | None  # None: latency only, then the call goes through
    latency_ms: int
    retry_after: float | None
    mode: str | None = None  # a webhook fault's: timeout | status

    @property
    def headers(self) -> dict[str, str]:
        """The answer's own headers: the wait, and which fault answered."""
        wait = retry_after_for(self.status, self.retry_after) if self.status is not None else None
        return {**retry_headers(wait), "X-Massdm-Fault": self.fault_id}
