"""Targeting's units: USD to whole cents, months of 30 days, and what a filter means when it is empty."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from massdm.domain import fan_targeting as rules
from massdm.domain.fan_targeting import NO_TARGETING, Targeting


def test_a_maximum_keeps_the_whole_cents_within_it_and_a_minimum_is_whole_dollars():
    assert rules.at_most_cents(Decimal("0")) == 0
    assert rules.at_most_cents(Decimal("0.005")) == 0
    assert rules.at_most_cents(Decimal("12.5")) == 1250
    assert rules.at_most_cents(Decimal("12.509")) == 1250
    assert rules.at_most_cents(Decimal("0.29")) == 29  # exact: 0.29 * 100 in binary floating point is 28.999…
    assert rules.at_most_cents(Decimal("1E+3")) == 100_000
    assert rules.at_least_cents(100) == 10_000


def test_months_are_thirty_days_and_zero_months_is_no_filter():
    assert rules.at_least_months(0) is None
    assert rules.at_least_months(1) == timedelta(days=30)
    assert rules.at_least_months(12) == timedelta(days=360)


@pytest.mark.parametrize(("raw", "cents"), [("12.50", 1250), ("0", 0), ("", 0), ("  7 ", 700), ("0.01", 1),
                                            ("1e2", 10_000), ("1000000000", 100_000_000_000)])
def test_a_csv_amount_is_usd_exact_to_the_cent(raw, cents):
    assert rules.parse_usd(raw, "tips") == cents


@pytest.mark.parametrize(("raw", "problem"), [
    ("-1", "from 0"), ("1.234", "two decimal places"), ("ten", "not an amount"), ("NaN", "from 0"), ("inf", "from 0"),
    ("1000000000.01", "from 0"), ("$5", "not an amount"),
])
def test_a_bad_csv_amount_names_its_field(raw, problem):
    with pytest.raises(ValueError, match=problem) as refused:
        rules.parse_usd(raw, "tips")
    assert str(refused.value).startswith("tips:")


def test_only_total_spend_bounds_depend_on_purchases():
    assert not NO_TARGETING.reads_spend and NO_TARGETING.is_empty
    assert Targeting(max_spent_cents=0).reads_spend and Targeting(min_spent_cents=1).reads_spend
    assert not Targeting(min_tips_cents=100, online=True, min_duration=timedelta(days=30)).reads_spend
    assert not Targeting(online=False).is_empty
