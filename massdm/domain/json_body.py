"""Decoding a client's JSON with a bound on nesting: hostile depth is a 422, never a RecursionError.

Python's json module recurses once per level of arrays and objects, so ~1,000 levels (a 2 KB
body like `[[[[…]]]]`) exhaust the interpreter's recursion limit with a RecursionError, which is
not a ValueError and escapes every `except ValueError`. No request massdm accepts is more than a
few levels deep, so anything deeper than MAX_DEPTH is refused the same way wherever it arrives.
"""

from __future__ import annotations

import json
from typing import Any

from massdm.errors import ValidationFailed

MAX_DEPTH = 64


def nested_too_deeply(field: str = "body") -> ValidationFailed:
    """The 422 for JSON deeper than MAX_DEPTH, whichever decoder noticed."""
    what = "The JSON body" if field == "body" else f"The JSON in the {field} field"
    return ValidationFailed.field(
        field, f"{what} is nested too deeply: at most {MAX_DEPTH} levels of arrays and objects are accepted."
    )


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded value nests arrays/objects more than `limit` levels; walked without recursion."""
    stack: list[tuple[list[object] | dict[str, object], int]] = [(value, 1)] if isinstance(value, (list, dict)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def decode(raw: bytes | str, *, field: str = "body") -> Any:  # noqa: ANN401 - any JSON value, as json.loads gives it
    """The JSON value of `raw`. ValueError if it is not JSON; `nested_too_deeply(field)` if it nests
    more than MAX_DEPTH levels (however deep: the decoder's own recursion limit included)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise nested_too_deeply(field) from None
    # Fewer brackets than the limit cannot nest past it: most bodies skip the walk.
    brackets = raw.count(b"[") + raw.count(b"{") if isinstance(raw, bytes) else raw.count("[") + raw.count("{")
    if brackets > MAX_DEPTH and too_deep(value):
        raise nested_too_deeply(field)
    return value
