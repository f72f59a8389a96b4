"""Account id formats: what massdm makes is recognised, nothing else could name an account."""

from __future__ import annotations

import pytest

from massdm.domain.api_keys import is_account_id, new_account_id


def test_every_new_account_id_is_recognised():
    assert all(is_account_id(new_account_id()) for _ in range(100))


@pytest.mark.parametrize("text", ["", "acct_", "acct_\x00", "acct_" + "0" * 31 + "\x00", "acct_" + "A" * 32,
                                  "acct_" + "0" * 33, "acct_" + "g" * 32, "ACCT_" + "0" * 32, " acct_" + "0" * 32,
                                  "acct_" + "0" * 32 + "\n", "acct_" + "٠" * 32, "a" * 5000])
def test_anything_else_cannot_name_an_account(text):
    assert is_account_id(text) is False
