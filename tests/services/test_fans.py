"""The CSV import's service side: the whole file is checked before anything is written, then handed out
in batches for the command to commit one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from massdm.services import fans as fan_service

HEADER = "id,username,name,subscribed_at,expires_at,auto_renew,following,muted,tagged,friend\n"


def _csv(tmp_path, text: str):
    path = tmp_path / "fans.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_counted_and_read_in_batches(tmp_path):
    rows = "".join(f"{i},fan{i},,2026-01-0{1 + i % 9}T00:00:00Z,,yes,no,0,1,false\n" for i in range(1, 8))
    path = _csv(tmp_path, HEADER + rows)
    assert fan_service.check_csv(path) == 7
    batches = list(fan_service.csv_batches(path, size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    first = batches[0][0]
    assert (first.id, first.username, first.name) == (1, "fan1", "fan1")  # no name: the username
    assert first.subscribed_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert (first.auto_renew, first.following, first.muted, first.tagged, first.friend) == (
        True, False, False, True, False)


def test_other_spellings_of_the_columns_and_missing_optional_ones(tmp_path):
    path = _csv(tmp_path, "fanId,username,subscribedAt\n 42 ,alice,2026-02-03 04:05:06\n")
    assert fan_service.check_csv(path) == 1
    [[record]] = list(fan_service.csv_batches(path))
    assert record.id == 42 and record.provided == frozenset({"id", "username", "subscribed_at"})


def test_bad_rows_are_reported_by_line_and_nothing_is_handed_out(tmp_path):
    path = _csv(tmp_path, HEADER + "1,ok,,2026-01-01T00:00:00Z,,,,,,\n"
                "0,zero,,2026-01-01T00:00:00Z,,,,,,\n"
                "2,,,2026-01-01T00:00:00Z,,,,,,\n"
                "3,late,,yesterday,,,,,,\n")
    with pytest.raises(fan_service.CsvImportError) as refused:
        fan_service.check_csv(path)
    assert [p.split(":")[0] for p in refused.value.problems] == ["line 3", "line 4", "line 5"]
    assert "positive integer id" in refused.value.problems[0] and "subscribed_at" in refused.value.problems[2]


def test_many_bad_rows_are_summarised_and_a_missing_column_is_named(tmp_path):
    many = _csv(tmp_path, HEADER + "x,u,,2026-01-01T00:00:00Z,,,,,,\n" * 30)
    with pytest.raises(fan_service.CsvImportError) as refused:
        fan_service.check_csv(many)
    assert len(refused.value.problems) == 21 and refused.value.problems[-1] == "... and 10 more"
    with pytest.raises(fan_service.CsvImportError, match="missing required column.*subscribed_at"):
        fan_service.check_csv(_csv(tmp_path, "id,username\n1,alice\n"))


def test_spend_and_online_columns_are_read_in_usd_and_checked(tmp_path):
    path = _csv(tmp_path, "id,username,subscribed_at,tips,subscribesSumm,online\n"
                "1,alice,2026-01-01T00:00:00Z,12.50,9.99,yes\n"
                "2,bob,2026-01-01T00:00:00Z,,0,0\n")
    [[alice, bob]] = list(fan_service.csv_batches(path))
    assert (alice.tips_cents, alice.subscriptions_cents, alice.online) == (1250, 999, True)
    assert (bob.tips_cents, bob.subscriptions_cents, bob.online) == (0, 0, False)
    assert {"tips_cents", "subscriptions_cents", "online"} <= alice.provided
    bad = _csv(tmp_path, "id,username,subscribed_at,tips_summ,subscriptions,is_online\n"
               "1,a,2026-01-01T00:00:00Z,-1,0,no\n"
               "2,b,2026-01-01T00:00:00Z,1.234,0,no\n"
               "3,c,2026-01-01T00:00:00Z,lots,0,no\n"
               "4,d,2026-01-01T00:00:00Z,1,NaN,no\n"
               "5,e,2026-01-01T00:00:00Z,1,2,sometimes\n")
    with pytest.raises(fan_service.CsvImportError) as refused:
        fan_service.check_csv(bad)
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "tips" in problems[0] and "two decimal places" in problems[1] and "not an amount" in problems[2]
    assert "subscriptions" in problems[3] and "online" in problems[4]


def test_a_last_seen_column_is_read_as_an_instant_empty_is_not_known_and_a_bad_one_is_named(tmp_path):
    path = _csv(tmp_path, "id,username,subscribed_at,lastSeen\n"
                "1,alice,2026-01-01T00:00:00Z,2026-03-04T05:06:07Z\n"
                "2,bob,2026-01-01T00:00:00Z,\n")
    [[alice, bob]] = list(fan_service.csv_batches(path))
    assert alice.last_seen_at == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC) and bob.last_seen_at is None
    assert "last_seen_at" in alice.provided  # the column is there: an empty cell clears what was known
    bad = _csv(tmp_path, "id,username,subscribed_at,last_seen\n1,a,2026-01-01T00:00:00Z,last tuesday\n")
    with pytest.raises(fan_service.CsvImportError) as refused:
        fan_service.check_csv(bad)
    assert refused.value.problems[0].startswith("line 2") and "last_seen" in refused.value.problems[0]
