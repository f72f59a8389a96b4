"""Sizes of the fault and load tests: what proves the point in CI, and more under `make chaos`.

`MASSDM_CHAOS_SCALE` (default 1) multiplies every size here; `make chaos` sets it to run the same
tests for minutes on both engines.
"""

from __future__ import annotations

import os

SCALE = max(1, int(os.environ.get("MASSDM_CHAOS_SCALE", "1") or 1))


def scaled(size: int) -> int:
    return size * SCALE
