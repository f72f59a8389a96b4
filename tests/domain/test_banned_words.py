"""Screening text for banned words: three tiers, whole words, any case."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.banned_words import BLOCKED_BY, TIERS, BannedWords

SHIPPED = BannedWords.load()
SMALL = BannedWords({"strict_ban": ("minor", "under age"), "risky": ("paypal", "c++"), "replace_soften": ("teen",)})
ALL_SHIPPED = [(tier, word) for tier in TIERS for word in SHIPPED.words[tier]]


def test_each_tier_blocks_itself_and_the_milder_ones():
    assert BLOCKED_BY == {
        "strict_ban": ("strict_ban", "risky", "replace_soften"),
        "risky": ("risky", "replace_soften"),
        "replace_soften": ("replace_soften",),
    }


@pytest.mark.parametrize("block", TIERS)
@pytest.mark.parametrize(("tier", "word"), [("strict_ban", "minor"), ("risky", "paypal"), ("replace_soften", "teen")])
def test_a_block_finds_exactly_the_words_of_the_tiers_it_blocks(block, tier, word):
    found = SMALL.find(f"Hello {word}, see you", block)
    assert found == ([word] if tier in BLOCKED_BY[block] else [])


def test_risky_lets_strict_ban_only_words_through():
    assert SMALL.find("a minor thing", "risky") == []
    assert SMALL.find("a minor thing", "replace_soften") == []
    assert SMALL.find("a minor thing", "strict_ban") == ["minor"]


@pytest.mark.parametrize(
    "text",
    ["PayPal me", "PAYPAL", "pay with paypal.", "(paypal)", "paypal's fine", "#paypal", "paypal\nnow", "«PayPal»"],
)
def test_whole_words_in_any_case_are_found(text):
    assert SMALL.find(text, "risky") == ["paypal"]


@pytest.mark.parametrize("text", ["paypals", "mypaypal", "paypal_me", "paypal2", "pay pal", "p-a-y-p-a-l", "minority",
                                  "teenage", "canteen", "undera ge"])
def test_words_inside_other_words_are_not_found(text):
    assert SMALL.find(text, "strict_ban") == []


def test_phrases_and_symbols_match_as_written():
    assert SMALL.find("Not Under Age, ok", "strict_ban") == ["under age"]
    assert SMALL.find("under-age", "strict_ban") == []
    assert SMALL.find("I code in C++ daily", "risky") == ["c++"]
    assert SMALL.find("abc++", "risky") == []


def test_every_word_found_is_listed_once_in_tier_order():
    text = "teen, PayPal, minor; paypal again and a MINOR"
    assert SMALL.find(text, "strict_ban") == ["minor", "paypal", "teen"]
    assert SMALL.find(text, "risky") == ["paypal", "teen"]
    assert SMALL.find(text, "replace_soften") == ["teen"]
    assert SMALL.find("", "strict_ban") == []


def test_the_shipped_lists_have_all_three_tiers_in_lower_case():
    for tier in TIERS:
        assert SHIPPED.words[tier], tier
        assert all(w == w.lower() and w == w.strip() and w for w in SHIPPED.words[tier])
    assert {"schoolgirl", "paypal", "hypnosis"} <= {w for ws in SHIPPED.words.values() for w in ws}


@pytest.mark.parametrize(("tier", "word"), ALL_SHIPPED)
def test_every_shipped_word_is_found_by_strict_ban_in_any_case(tier, word):
    for text in (f"{word}", f"well {word.upper()}!", f"({word.title()})"):
        assert word in SHIPPED.find(text, "strict_ban"), text
    for block in TIERS:
        blocked = any(word in SHIPPED.words[t] for t in BLOCKED_BY[block])
        assert (word in SHIPPED.find(f"say {word} now", block)) == blocked, (block, tier)


@given(st.sampled_from(ALL_SHIPPED), st.sampled_from(["x", "Z", "9", "_"]), st.sampled_from(["s", "Q", "0", "_"]))
def test_a_shipped_word_glued_to_other_letters_is_not_that_word(pair, before, after):
    _, word = pair
    assert word not in SHIPPED.find(f"{before}{word}{after}", "strict_ban")


@given(st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ,.!"), max_size=60))
def test_find_reports_only_words_that_occur(text):
    for word in SHIPPED.find(text, "strict_ban"):
        assert word in text.lower()
    assert SHIPPED.find(text, "replace_soften") == [w for w in SHIPPED.find(text, "strict_ban")
                                                    if w in SHIPPED.words["replace_soften"]]


def test_load_reads_a_replacement_file_lower_casing_it(tmp_path):
    path = tmp_path / "words.json"
    path.write_text(json.dumps({"_about": "x", "strict_ban": ["Forbidden"], "risky": ["Gamble", 42]}), "utf-8")
    words = BannedWords.load(path)
    assert words.words == {"strict_ban": ("forbidden",), "risky": ("gamble", "42"), "replace_soften": ()}
    assert words.find("FORBIDDEN to gamble 42 times", "strict_ban") == ["forbidden", "gamble", "42"]
    assert words.find("FORBIDDEN to gamble", "replace_soften") == []
