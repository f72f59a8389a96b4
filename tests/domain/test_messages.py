"""The pure rules of a mass message: price, text, crop, subscribedWithinLastDays, timing, previews."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.messages import (
    CROP_LENGTH,
    check_timing,
    crop,
    format_price,
    preview_positions,
    price_cents,
    raw_text,
    require_media_for_price,
    subscribed_since,
)
from massdm.errors import ValidationFailed

NOW = datetime(2025, 3, 10, 15, 30, 45, tzinfo=UTC)
VALID_CENTS = st.one_of(st.just(0), st.integers(min_value=300, max_value=20_000))


def _fails(field: str, call, *args, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    assert field in caught.value.errors, caught.value.errors
    assert caught.value.errors[field] and caught.value.message
    return caught.value


# --- price ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (None, 0), (0, 0), ("0", 0), ("0.00", 0), (Decimal("-0"), 0), (0.0, 0),
        (3, 300), ("3", 300), (3.0, 300), ("3.10", 310), (9.99, 999), ("29.99", 2999), (Decimal("12.5"), 1250),
        (199.99, 19999), (200, 20000), ("200.00", 20000), ("1e2", 10000),
    ],
)
def test_price_cents_of_valid_prices(value, cents):
    assert price_cents(value) == cents


@pytest.mark.parametrize(
    "value",
    [
        1, 2, 2.99, "2.999", 0.01, 200.01, 201, 1000, 10**9, -1, -3, "-29.99", 3.999, "3.001", "9.999",
        "abc", "", "3,50", "NaN", "nan", "Infinity", "-Infinity", float("nan"), float("inf"), Decimal("NaN"),
    ],
)
def test_price_cents_refuses_everything_else_naming_price(value):
    _fails("price", price_cents, value)


def test_price_messages_say_what_is_wrong():
    assert "3 and 200" in _fails("price", price_cents, 201).errors["price"][0]
    assert "two decimal" in _fails("price", price_cents, "3.999").errors["price"][0]
    assert "number" in _fails("price", price_cents, "abc").errors["price"][0]


@given(VALID_CENTS)
def test_price_round_trips_through_format_price_for_every_valid_amount(cents):
    text = format_price(cents)
    assert re.fullmatch(r"\d{1,3}\.\d{2}", text)
    assert price_cents(text) == cents
    assert price_cents(Decimal(cents) / 100) == cents
    assert price_cents(cents / 100) == cents  # a JSON float such as 9.99


@given(st.one_of(st.integers(min_value=1, max_value=299), st.integers(min_value=20_001, max_value=10**8)))
def test_every_amount_outside_the_range_is_refused(cents):
    _fails("price", price_cents, format_price(cents))


@given(st.integers(min_value=300, max_value=19_999), st.integers(min_value=1, max_value=9))
def test_a_third_decimal_is_refused(cents, extra):
    _fails("price", price_cents, f"{format_price(cents)}{extra}")


@pytest.mark.parametrize(("cents", "text"), [(0, "0.00"), (5, "0.05"), (300, "3.00"), (999, "9.99"),
                                             (1250, "12.50"), (2999, "29.99"), (20000, "200.00")])
def test_format_price(cents, text):
    assert format_price(cents) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_format_price_is_the_exact_dollar_amount(cents):
    assert Decimal(format_price(cents)) * 100 == cents


def test_a_price_needs_media():
    require_media_for_price(0, 0)
    require_media_for_price(300, 1)
    assert "mediaFiles" in _fails("mediaFiles", require_media_for_price, 300, 0).errors


# --- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("Hello!", "Hello!"),
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("line one<br>line two", "line one\nline two"),
        ("a<br/>b<br />c", "a\nb\nc"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
        ("  spaced \t  out  ", "spaced out"),
        ('<a href="https://x.test">link</a>!', "link !"),
        ("", ""),
    ],
)
def test_raw_text(html, plain):
    assert raw_text(html) == plain


@given(st.text(alphabet=st.sampled_from("abcXYZ019.,!?'\"é😀 \t")))
def test_plain_text_keeps_its_words_with_single_spaces(text):
    plain = raw_text(text)
    assert plain.split() == text.split()
    assert plain == plain.strip() and "  " not in plain and "\t" not in plain


def test_crop():
    assert crop("short") == "short"
    exact = "x" * CROP_LENGTH
    assert crop(exact) == exact
    cropped = crop("y" * (CROP_LENGTH + 1))
    assert cropped == "y" * (CROP_LENGTH - 1) + "…" and len(cropped) == CROP_LENGTH
    assert crop("a" * 98 + "  bbbb") == "a" * 98 + "…"  # no space before the ellipsis
    assert crop("hello world", 6) == "hello…"


@given(st.text(max_size=300), st.integers(min_value=2, max_value=150))
def test_crop_never_exceeds_the_length_and_keeps_a_prefix(text, length):
    cropped = crop(text, length)
    assert len(cropped) <= length
    if len(text) <= length:
        assert cropped == text
    else:
        assert cropped.endswith("…") and text.startswith(cropped[:-1])


# --- subscribedWithinLastDays and timing ---------------------------------------------------


@pytest.mark.parametrize(
    ("days", "since"),
    [(1, datetime(2025, 3, 10, tzinfo=UTC)), (2, datetime(2025, 3, 9, tzinfo=UTC)),
     (10, datetime(2025, 3, 1, tzinfo=UTC)), (30, datetime(2025, 2, 9, tzinfo=UTC))],
)
def test_subscribed_since_counts_calendar_days_today_included(days, since):
    assert subscribed_since(days, NOW) == since


def test_subscribed_since_uses_the_utc_calendar_day():
    local = datetime(2025, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # 2025-03-09 20:00 UTC
    got = subscribed_since(1, local)
    assert got == datetime(2025, 3, 9, tzinfo=UTC) and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("days", [0, 31, -1, 365])
def test_subscribed_since_is_1_to_30_days(days):
    _fails("subscribedWithinLastDays", subscribed_since, days, NOW)


@given(
    st.integers(min_value=1, max_value=30),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_subscribed_since_is_midnight_within_the_window(days, now):
    since = subscribed_since(days, now)
    assert (since.hour, since.minute, since.second, since.microsecond) == (0, 0, 0, 0)
    assert (now.date() - since.date()).days == days - 1


def _timing(**overrides) -> None:
    args = {"scheduled_at": None, "save_for_later": False, "subscribed_within": None, "now": NOW, **overrides}
    check_timing(**args)


def test_allowed_timings():
    _timing()
    _timing(scheduled_at=NOW + timedelta(seconds=1))
    _timing(save_for_later=True)
    _timing(subscribed_within=7)


def test_schedule_must_be_in_the_future():
    _fails("scheduledDate", _timing, scheduled_at=NOW)
    _fails("scheduledDate", _timing, scheduled_at=NOW - timedelta(days=1))


def test_forbidden_combinations():
    both = _fails("saveForLater", _timing, scheduled_at=NOW + timedelta(hours=1), save_for_later=True)
    assert set(both.errors) == {"saveForLater"}
    assert set(_fails("subscribedWithinLastDays", _timing, subscribed_within=3, save_for_later=True).errors) == {
        "subscribedWithinLastDays"}
    assert set(_fails("subscribedWithinLastDays", _timing, subscribed_within=3,
                      scheduled_at=NOW + timedelta(hours=1)).errors) == {"subscribedWithinLastDays"}
    everything = _fails("scheduledDate", _timing, scheduled_at=NOW - timedelta(hours=1), save_for_later=True,
                        subscribed_within=3)
    assert set(everything.errors) == {"saveForLater", "subscribedWithinLastDays", "scheduledDate"}
    assert "2 more errors" in everything.message


# --- previews ------------------------------------------------------------------------------

A, B, C = "ofapi_media_" + "a" * 32, "ofapi_media_" + "b" * 32, "123"


@pytest.mark.parametrize(
    ("previews", "positions"),
    [
        ([], []), ([A], [0]), ([C], [2]), ([123], [2]), ([0], [0]), ([2, 0], [0, 2]), ([B, 1, f" {B} "], [1]),
        ([A, 1, C], [0, 1, 2]),
    ],
)
def test_preview_positions(previews, positions):
    assert preview_positions([A, B, C], previews) == positions


@pytest.mark.parametrize("bad", [[3], [-1], ["0"], ["ofapi_media_" + "c" * 32], [True], [A, 99], ["1.0"]])
def test_previews_not_in_media_files_are_named(bad):
    error = _fails("previews", preview_positions, [A, B, C], bad)
    assert str(bad[-1]).strip() in error.errors["previews"][0]


def test_previews_without_media():
    assert preview_positions([], []) == []
    _fails("previews", preview_positions, [], [0])


@given(st.lists(st.integers(min_value=0, max_value=9), max_size=20), st.integers(min_value=1, max_value=10))
def test_index_previews_are_sorted_unique_positions_in_range(indices, size):
    refs = [f"ofapi_media_{n:032x}" for n in range(size)]
    if all(i < size for i in indices):
        assert preview_positions(refs, indices) == sorted(set(indices))
    else:
        _fails("previews", preview_positions, refs, indices)
