from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.audience import SYSTEM_LIST_IDS, is_active, parse_list_id, subscribed_duration

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_system_lists_are_the_contracts_eight():
    assert {"fans", "recent", "following", "rebill_on", "rebill_off", "tagged", "friends", "muted"} == SYSTEM_LIST_IDS


def test_list_ids_parse_to_a_system_name_or_a_positive_int():
    assert parse_list_id("fans") == "fans"
    assert parse_list_id(" rebill_on ") == "rebill_on"
    assert parse_list_id("123") == 123
    assert parse_list_id(123) == 123
    for bad in ("0", "-5", "FANS", "1.5", "", "abc", str(2**63), "١٢٣"):  # the last is Arabic-Indic digits
        assert parse_list_id(bad) is None, bad


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_every_valid_custom_id_round_trips(value):
    assert parse_list_id(str(value)) == value


def test_a_subscription_is_active_until_it_expires():
    assert is_active(None, NOW)
    assert is_active(NOW + timedelta(seconds=1), NOW)
    assert not is_active(NOW, NOW)
    assert not is_active(NOW - timedelta(days=1), NOW)


def test_subscribed_duration_counts_whole_months_to_now_or_to_the_end():
    def since(start: datetime, end: datetime | None = None) -> str:
        return subscribed_duration(start, end, NOW)

    assert since(NOW) == since(NOW - timedelta(days=30)) == "1 month"  # the first month starts at once
    assert since(datetime(2026, 9, 22, 12, 0, tzinfo=UTC)) == "2 months"
    assert since(datetime(2026, 9, 22, 12, 1, tzinfo=UTC)) == "1 month"  # a minute short of the second
    assert since(datetime(2021, 6, 1, tzinfo=UTC)) == "65 months"
    assert since(datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)) == "1 month"  # ended
    assert since(datetime(2026, 1, 1, tzinfo=UTC), NOW + timedelta(days=90)) == "10 months"  # still running
