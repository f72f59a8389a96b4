"""Durations as people type them on the command line: `90s`, `15m`, `2h`, `1d`, `1w`, `2h30m`, `3600`."""

from __future__ import annotations

import re
from datetime import timedelta

from massdm.errors import ValidationFailed

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str, field: str = "duration") -> timedelta:
    """A duration from `text`: a number of seconds, or numbers each followed by s, m, h, d or w."""
    raw = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return timedelta(seconds=float(raw))
    parts = _PART.findall(raw)
    if not raw or "".join(n + u for n, u in parts) != raw:
        raise ValidationFailed.field(field, f"{text!r} is not a duration: write seconds (3600) or numbers with "
                                     "units s, m, h, d, w (90m, 2h, 1d12h).")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
