from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain import fans


def test_instants_accept_iso_and_provider_formats_and_normalise_to_utc():
    utc = UTC
    assert fans.parse_instant("2026-01-02T03:04:05Z", "x") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc)
    assert fans.parse_instant("2026-01-02 03:04:05", "x") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc)
    assert fans.parse_instant("2026-01-02T05:04:05+02:00", "x") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc)
    with pytest.raises(ValueError, match="subscribed_at"):
        fans.parse_instant("tomorrow", "subscribed_at")


@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("Y", True), ("1", True), ("TRUE", True), ("no", False),
                                            ("0", False), ("", False), (" false ", False)])
def test_flags(raw, value):
    assert fans.parse_flag(raw, "muted") is value


def test_unclear_flags_are_refused():
    with pytest.raises(ValueError, match="muted"):
        fans.parse_flag("maybe", "muted")


@given(st.text())
def test_fan_ids_are_positive_64_bit_or_refused(raw):
    try:
        value = fans.parse_fan_id(raw)
    except ValueError:
        return
    assert 0 < value <= 2**63 - 1 and str(value) == raw.strip().lstrip("0")


def test_text_limits():
    assert fans.check_text("alice", "username", required=True) == "alice"
    for bad in ("", "  ", "x" * 201, "a\x00b"):
        with pytest.raises(ValueError):
            fans.check_text(bad, "username", required=True)


@pytest.mark.parametrize(("endpoint", "fan_type", "status"), [
    ("all", None, "all"), ("all", "all", "all"), ("all", "active", "active"), ("all", "expired", "expired"),
    ("active", None, "active"), ("active", "all", "active"), ("active", "active", "active"),
    ("active", "expired", None),
    ("expired", "expired", "expired"), ("expired", "all", "expired"), ("expired", "active", None),
])
def test_type_narrows_the_endpoints_fans_and_a_contradiction_is_none(endpoint, fan_type, status):
    assert fans.listing_status(endpoint, fan_type) == status
