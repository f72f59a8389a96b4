"""Reading console pages in tests: their text as a reader sees it, and the rows of their tables."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BEFORE_MARK = re.compile(r" ([,.;:!?)])")
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)


def text_of(page: str) -> str:
    """The page's text, tags taken out and spaces collapsed (none left before a comma or a full stop)."""
    return _BEFORE_MARK.sub(r"\1", _SPACE.sub(" ", html.unescape(_TAG.sub(" ", page)))).strip()


def rows_of(page: str) -> list[str]:
    """The text of every table row of the page."""
    return [text_of(row) for row in _ROW.findall(page)]


def row_with(page: str, needle: str) -> str:
    found = [row for row in rows_of(page) if needle in row]
    assert len(found) == 1, f"{len(found)} rows mention {needle!r}: {rows_of(page)}"
    return found[0]
