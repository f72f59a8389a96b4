"""The one reader of ids: 64-bit database ids and prefixed random ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.ids import MAX_DB_ID, is_random_id, new_random_id, parse_db_id


def test_database_ids_are_positive_64_bit_integers_written_in_ascii_digits():
    assert parse_db_id(1) == 1 and parse_db_id(" 42 ") == 42 and parse_db_id("007") == 7
    assert parse_db_id(MAX_DB_ID) == MAX_DB_ID == 2**63 - 1
    for bad in (0, -1, "0", "-5", "+5", "1_000", "1.5", "", " ", "abc", MAX_DB_ID + 1, str(2**63), "١٢٣", True):
        assert parse_db_id(bad) is None, bad


@given(st.text())
def test_any_text_is_an_id_in_range_or_nothing(raw):
    value = parse_db_id(raw)
    assert value is None or (0 < value <= MAX_DB_ID and str(value) == raw.strip().lstrip("0"))


@pytest.mark.parametrize("prefix", ["acct_", "wh_", "ofapi_media_"])
def test_random_ids_are_their_prefix_and_32_lowercase_hex(prefix):
    made = new_random_id(prefix)
    assert is_random_id(made, prefix) and len(made) == len(prefix) + 32 and made != new_random_id(prefix)
    for bad in (made.upper(), made + "\n", made[:-1], made + "0", "x" + made, prefix + "\x00" * 32,
                prefix + "٠" * 32, "other_" + made[len(prefix):]):
        assert not is_random_id(bad, prefix), bad
