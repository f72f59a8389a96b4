"""Page marks are kept per listing and version, found by position, and bounded in number."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from massdm.store.page_marks import Mark, PageMarks

AT = datetime(2026, 3, 10, tzinfo=UTC)


def _mark(position: int, version: int = 1) -> Mark:
    return Mark(position, (AT, position), version, AT)


def test_the_nearest_mark_is_the_highest_at_or_before_the_position():
    marks = PageMarks(grid=10)
    marks.remember("all", [_mark(p) for p in (3, 25, 50, 57)])
    assert marks.nearest("all", 1, 2) is None
    assert [marks.nearest("all", 1, p).position for p in (3, 24, 25, 56, 57, 10**6)] == [3, 3, 25, 50, 57, 57]
    assert marks.nearest("other listing", 1, 30) is None


def test_marks_of_another_version_are_never_found_and_a_newer_version_replaces_them():
    marks = PageMarks()
    marks.remember("all", [_mark(10, version=2)])
    assert marks.nearest("all", 1, 20) is None and marks.nearest("all", 3, 20) is None
    marks.remember("all", [_mark(15, version=1)])  # made from an older snapshot: ignored
    assert marks.nearest("all", 2, 20).position == 10
    marks.remember("all", [_mark(5, version=3)])
    assert marks.nearest("all", 2, 20) is None and marks.nearest("all", 3, 20).position == 5
    assert len(marks) == 1


def test_each_stretch_of_the_grid_keeps_its_lowest_mark_and_walkers_keep_the_latest():
    marks = PageMarks(grid=100, recent=2)
    marks.remember("all", [_mark(p) for p in (150, 120, 170, 180, 190)])
    # 120 holds the stretch 100-199; of the others only the two latest (180, 190) stay
    assert [marks.nearest("all", 1, p).position for p in (130, 175, 185, 195)] == [120, 120, 180, 190]
    assert len(marks) == 3


def test_forgetting_a_listing_drops_its_marks_only():
    marks = PageMarks()
    marks.remember("all", [_mark(10)])
    marks.remember("active", [_mark(10)])
    marks.forget("all")
    assert marks.nearest("all", 1, 10) is None and marks.nearest("active", 1, 10).position == 10
    assert len(marks) == 1


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 5_000)), max_size=300))
def test_marks_stay_within_capacity_dropping_the_least_recently_used_listings(writes):
    marks = PageMarks(capacity=50, grid=64, recent=8)
    for listing, position in writes:
        marks.remember(listing, [_mark(position)])
        assert len(marks) <= 50 or len({w[0] for w in writes}) == 1
        assert marks.nearest(listing, 1, position).position == position  # just remembered, so still there
    assert len(marks) <= 50 + 8 + 25  # one listing alone may hold its grid (capacity // 2) and its recent marks


def test_a_listings_plan_is_kept_beside_its_marks_for_its_version_only():
    marks = PageMarks(capacity=3)
    marks.remember("rare", [_mark(10, version=(1, 0))])
    marks.remember_plan("rare", (1, 0), "tips")
    assert marks.plan("rare", (1, 0)) == "tips" and marks.plan("rare", (1, 1)) is None
    assert marks.nearest("rare", (1, 0), 10).position == 10 and len(marks) == 2  # a plan counts as a mark
    marks.remember_plan("rare", (0, 9), "order")  # from an older snapshot: ignored
    assert marks.plan("rare", (1, 0)) == "tips"
    marks.remember_plan("rare", (1, 1), "order")  # a purchase since: the old plan and marks are void
    assert marks.plan("rare", (1, 1)) == "order" and marks.nearest("rare", (1, 1), 10) is None and len(marks) == 1
    for listing in ("a", "b", "c"):
        marks.remember_plan(listing, (1, 0), "order")
    assert len(marks) == 3 and marks.plan("rare", (1, 1)) is None  # the least recently used went first
