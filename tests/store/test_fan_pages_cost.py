"""A page's cost does not grow with its offset, counted as the database's own work, not timed.

SQLite: virtual-machine instructions (sqlite3's progress handler). PostgreSQL: rows through every
plan node of the page's statements, those its filters dropped included (each run again under
EXPLAIN ANALYZE). 20,000 fans; a page reached
the way the official SDK pages (offset 0, 50, 100, …) must cost about what the first page costs,
while the same page read cold (no marks) costs far more: proof that the counter sees the skip.
Targeting filters too: a common one walks as cheaply, and a rare one (20 big tippers) costs about
what a plain page does, not a scan of the 20,000 fans to find them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, event, text

from massdm.clock import ManualClock
from massdm.domain.fan_targeting import Targeting
from massdm.store import fan_pages
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.fan_pages import Listing
from massdm.store.fans import FanRecord
from massdm.store.page_marks import PageMarks
from tests.backends import ON_POSTGRES, database_url
from tests.conftest import World

FANS = 20_000
LIMIT = 50
BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

def _rows_through(plan: dict) -> int:
    """Rows each node emitted or read and dropped (a filter's rejects are work too), per loop, over every loop."""
    read = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
    return read * plan["Actual Loops"] + sum(_rows_through(p) for p in plan.get("Plans", ()))


def _plan_rows(connection: Connection, read: Callable[[], object]) -> int:
    statements: list[tuple[str, object]] = []

    def remember(_connection, _cursor, statement: str, parameters: object, *_rest: object) -> None:
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", remember)
    try:
        read()
    finally:
        event.remove(connection, "before_cursor_execute", remember)
    cursor = connection.connection.driver_connection.cursor()
    rows = 0
    for statement, parameters in statements:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        rows += _rows_through(cursor.fetchone()[0][0]["Plan"])
    return rows


def _work(connection: Connection, read: Callable[[], object]) -> int:
    """How much work the database did for `read()` on `connection`."""
    if ON_POSTGRES:
        return _plan_rows(connection, read)
    raw = connection.connection.driver_connection
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw.set_progress_handler(count, 10)
    try:
        read()
    finally:
        raw.set_progress_handler(None, 0)
    return steps * 10


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, str, int, int]:
    """20,000 fans (ties on subscribed_at, a third expired, a third paid $5 for subscriptions, one in
    a thousand tipped $100, one in fifty online; three subscribed a minute) and two lists:
    10,000 members and 20."""
    engine = create_store_engine(database_url(tmp_path_factory.mktemp("fan-pages-cost")))
    migrate(engine)
    maker = World(engine, ManualClock(BASE))
    account = maker.account(maker.team())
    records = [FanRecord(id=i, username=f"fan{i}", name=f"Fan {i}", subscribed_at=BASE - timedelta(minutes=i // 3),
                         expires_at=BASE - timedelta(days=1) if i % 3 == 0 else None, auto_renew=True,
                         following=False, muted=False, tagged=False, friend=False, online=i % 50 == 1,
                         subscriptions_cents=500 if i % 3 == 1 else 0, tips_cents=10_000 if i % 1000 == 0 else 0)
               for i in range(1, FANS + 1)]
    with transaction(engine) as connection:
        for start in range(0, FANS, 5000):
            fan_store.upsert_fans(connection, account, records[start : start + 5000], BASE)
        big = list_store.create_list(connection, account, "half", BASE).id
        small = list_store.create_list(connection, account, "few", BASE).id
        list_store.add_members(connection, big, account, list(range(2, FANS + 1, 2)), BASE)
        list_store.add_members(connection, small, account, list(range(FANS, 0, -FANS // 20)), BASE)
        if ON_POSTGRES:
            connection.execute(text("ANALYZE fans"))
            connection.execute(text("ANALYZE user_list_members"))
    return engine, account, big, small


def _page_work(engine: Engine, listing: Listing, offset: int, marks: PageMarks,
               narrow: int = fan_pages.NARROW) -> tuple[int, list[int], bool]:
    with transaction(engine) as connection:
        result: list = []
        work = _work(connection, lambda: result.extend(fan_pages.page_listing(
            connection, listing, offset=offset, limit=LIMIT, now=BASE, marks=marks, narrow=narrow)))
    fans, has_more = result
    return work, [f.id for f in fans], has_more


def _walk_to_the_end(engine: Engine, listing: Listing, size: int) -> tuple[int, int, int]:
    """(work of the first page, of the last page reached by walking, of that page read cold)."""
    marks = PageMarks()
    offset, seen = 0, 0
    while True:
        work, ids, has_more = _page_work(engine, listing, offset, marks)
        if offset == 0:
            first = work
        seen += len(ids)
        if not has_more:
            break
        offset += LIMIT
    assert seen == size
    cold, cold_ids, _ = _page_work(engine, listing, offset, PageMarks())
    assert cold_ids == ids
    return first, work, cold


@pytest.mark.parametrize(("status", "size"), [("all", FANS), ("active", FANS - FANS // 3)])
def test_a_deep_page_reached_page_by_page_costs_what_the_first_page_costs(world, status, size):
    engine, account, _big, _small = world
    first, deep, cold = _walk_to_the_end(engine, Listing(account, status), size)
    assert deep <= 2 * first, (first, deep)
    assert cold >= 20 * first, (first, cold)  # the counter does see a skip of 20,000 rows


def test_a_list_pages_from_its_members_at_any_depth_and_whatever_its_size(world):
    engine, account, big, small = world
    first, deep, cold = _walk_to_the_end(engine, Listing(account, members_of=big), FANS // 2)
    assert deep <= 2 * first, (first, deep)
    assert cold >= 20 * first, (first, cold)
    everyone, _, _ = _page_work(engine, Listing(account), 0, PageMarks())
    few, ids, _ = _page_work(engine, Listing(account, members_of=small), 0, PageMarks())
    assert len(ids) == 20
    assert few <= 2 * everyone, (everyone, few)  # 20 members of 20,000 fans: no scan of the fans


NEVER_SPENT = sum(1 for i in range(1, FANS + 1) if i % 3 != 1 and i % 1000 != 0)
LASTED_A_DAY = sum(1 for i in range(1, FANS + 1) if i % 3 != 0 and i // 3 >= 24 * 60)  # and still active


@pytest.mark.parametrize(("status", "targeting", "size"), [
    ("all", Targeting(max_spent_cents=0), NEVER_SPENT),  # the SDK's own example: fans who never spent
    ("all", Targeting(min_spent_cents=500), FANS - NEVER_SPENT),
    ("active", Targeting(min_duration=timedelta(days=1)), LASTED_A_DAY),
])
def test_a_common_filter_walks_as_cheaply_as_the_plain_listing(world, status, targeting, size):
    engine, account, _big, _small = world
    plain, _, _ = _page_work(engine, Listing(account), 0, PageMarks())
    _first, deep, cold = _walk_to_the_end(engine, Listing(account, status, targeting=targeting), size)
    assert deep <= 2 * plain, (plain, deep)  # the listing order, skipped from a mark: not a sort of every match
    assert cold >= 10 * deep, (deep, cold)


@pytest.mark.parametrize("targeting", [Targeting(min_tips_cents=5_000), Targeting(min_tips_cents=5_000, online=False),
                                       Targeting(min_spent_cents=10_000, max_spent_cents=20_000)])
def test_a_rare_filter_costs_what_a_plain_page_does_not_a_scan(world, targeting):
    """The 20 big tippers (none of them online), newest first, found in the narrow index, not by a skip."""
    engine, account, _big, _small = world
    plain, _, _ = _page_work(engine, Listing(account), 0, PageMarks())
    for offset in (0, 10):
        work, ids, _ = _page_work(engine, Listing(account, targeting=targeting), offset, PageMarks())
        assert ids == list(range(1000 + offset * 1000, FANS + 1, 1000))
        assert work <= 2 * plain, (plain, work)
    skipped, _, _ = _page_work(engine, Listing(account, targeting=targeting), 0, PageMarks(), narrow=0)
    assert skipped >= 20 * plain, (plain, skipped)  # the same page through the listing order: a scan
