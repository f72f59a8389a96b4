"""Page marks: where positions of a fan listing are, kept in process memory so deep offsets seek.

A mark says: in this listing, at version `version` and at time `at`, the rows before
`position` are exactly the rows whose order key is ≥ `after` (the key of the row at position − 1).
A page at offset K ≥ position is then found by seeking to `after` and skipping K − position rows,
instead of skipping K. Whether a mark still holds is decided by store.fan_pages; this module only
keeps them: per listing, one mark per `grid` positions (the lowest seen in each stretch, laid by
long skips) plus the marks of the latest pages served (clients walking offsets), and at most
`capacity` marks in all, least recently used listings dropped first. Beside a listing's marks, the
plan store.fan_pages chose for it at that version (counted as a mark), so a walk decides once.
Nothing here touches the database: a GET never writes for its marks, and every API process keeps
its own.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

GRID = 4096
CAPACITY = 100_000
RECENT = 32

Key = tuple[datetime, int]  # (subscribed_at, fan id): the listing order, descending
# (audience version, spend version): what the listing's rows depend on (store.fan_pages); both only grow.
Version = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Mark:
    position: int
    after: Key | None  # None only at position 0
    version: Version
    at: datetime


class _ListingMarks:
    __slots__ = ("version", "grid", "buckets", "recent", "plan")

    def __init__(self, version: Version) -> None:
        self.version = version
        self.grid: dict[int, Mark] = {}  # stretch number (position // grid) -> its lowest mark
        self.buckets: list[int] = []  # the grid's keys, sorted
        self.recent: OrderedDict[int, Mark] = OrderedDict()  # position -> mark, oldest first
        self.plan: str | None = None

    def __len__(self) -> int:
        return len(self.grid) + len(self.recent) + (self.plan is not None)


class PageMarks:
    """A bounded, thread-safe store of marks by scope (a listing of one database)."""

    def __init__(self, *, capacity: int = CAPACITY, grid: int = GRID, recent: int = RECENT) -> None:
        self.capacity = capacity
        self.grid = grid
        self.recent = recent
        self._listings: OrderedDict[Hashable, _ListingMarks] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def nearest(self, scope: Hashable, version: Version, position: int) -> Mark | None:
        """The mark of `version` with the highest position not above `position`, if any."""
        with self._lock:
            marks = self._listings.get(scope)
            if marks is None or marks.version != version:
                return None
            self._listings.move_to_end(scope)
            best = None
            for mark in marks.recent.values():
                if mark.position <= position and (best is None or mark.position > best.position):
                    best = mark
            index = bisect.bisect_right(marks.buckets, position // self.grid)
            while index > 0:
                mark = marks.grid[marks.buckets[index - 1]]
                if mark.position <= position:
                    if best is None or mark.position > best.position:
                        best = mark
                    break
                index -= 1
            return best

    def remember(self, scope: Hashable, marks: Iterable[Mark]) -> None:
        with self._lock:
            for mark in marks:
                self._add(scope, mark)
            self._evict()

    def plan(self, scope: Hashable, version: Version) -> str | None:
        """The plan remembered for the listing at `version`, if any."""
        with self._lock:
            marks = self._listings.get(scope)
            return marks.plan if marks is not None and marks.version == version else None

    def remember_plan(self, scope: Hashable, version: Version, plan: str) -> None:
        with self._lock:
            marks = self._at(scope, version)
            if marks is not None:
                self._size += marks.plan is None
                marks.plan = plan
                self._evict()

    def _evict(self) -> None:
        while self._size > self.capacity and len(self._listings) > 1:
            _scope, dropped = self._listings.popitem(last=False)
            self._size -= len(dropped)

    def _at(self, scope: Hashable, version: Version) -> _ListingMarks | None:
        """The listing's marks at `version`, emptied if they were older; None if `version` is older than them."""
        marks = self._listings.get(scope)
        if marks is None or version > marks.version:  # a newer version: everything older is void
            if marks is not None:
                self._size -= len(marks)
            marks = self._listings[scope] = _ListingMarks(version)
        elif version < marks.version:  # made from an older snapshot than what is already kept
            return None
        self._listings.move_to_end(scope)
        return marks

    def forget(self, scope: Hashable) -> None:
        with self._lock:
            dropped = self._listings.pop(scope, None)
            if dropped is not None:
                self._size -= len(dropped)

    def _add(self, scope: Hashable, mark: Mark) -> None:
        marks = self._at(scope, mark.version)
        if marks is None:
            return
        if mark.position in marks.recent:
            del marks.recent[mark.position]
            self._size -= 1
        stretch = mark.position // self.grid
        held = marks.grid.get(stretch)
        if held is None and len(marks.grid) < self.capacity // 2:
            bisect.insort(marks.buckets, stretch)
            marks.grid[stretch] = mark
            self._size += 1
            return
        if held is not None and mark.position <= held.position:
            marks.grid[stretch] = mark
            return
        marks.recent[mark.position] = mark
        self._size += 1
        if len(marks.recent) > self.recent:
            marks.recent.popitem(last=False)
            self._size -= 1


_ENGINES: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_NUMBERS = itertools.count(1)
_ENGINES_LOCK = threading.Lock()


def database_of(engine: Engine) -> int:
    """A number for `engine` never given to another engine of this process: marks of two databases never mix."""
    with _ENGINES_LOCK:
        number = _ENGINES.get(engine)
        if number is None:
            number = _ENGINES[engine] = next(_NUMBERS)
        return number


MARKS = PageMarks()  # the process's marks
