"""Ids as massdm makes and reads them: 64-bit database ids, and random ids behind a prefix.

Every id from the wire, a CSV or a path is read here, so "what can be an id" has one answer:
an id that cannot exist is refused (or simply not found) before any query.
"""

from __future__ import annotations

import re
import secrets

MAX_DB_ID = 2**63 - 1  # the largest BIGINT, on SQLite and PostgreSQL alike
_HEX_32 = re.compile(r"[0-9a-f]{32}")


def parse_db_id(raw: str | int) -> int | None:
    """A positive 64-bit database id, from an int or its decimal text (spaces around allowed); else None.

    Only ASCII digits count: `int()` alone would also take "+5", "1_000" or Arabic-Indic digits.
    """
    if isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_DB_ID else None


def new_random_id(prefix: str) -> str:
    """`prefix` + 32 lowercase hex (128 random bits): account, webhook and upload ids."""
    return prefix + secrets.token_hex(16)


def is_random_id(text: str, prefix: str) -> bool:
    """Whether `text` has the shape `new_random_id(prefix)` makes, exactly (no NUL, newline or capitals)."""
    return text.startswith(prefix) and _HEX_32.fullmatch(text, len(prefix)) is not None
