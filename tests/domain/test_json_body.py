"""Decoding clients' JSON: any depth past the limit is the same 422, however deep, and nothing recurses."""

from __future__ import annotations

import pytest

from massdm.domain import json_body
from massdm.domain.idempotency import json_body_hash
from massdm.errors import ValidationFailed


def _nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.mark.parametrize("raw", [_nested(64), _nested(64).encode(), '{"a": ' + _nested(63) + "}",
                                 "[" + ",".join("[]" for _ in range(500)) + "]"])
def test_up_to_the_limit_decodes(raw):
    assert json_body.decode(raw) is not None


@pytest.mark.parametrize("levels", [65, 100, 1_200, 100_000])
@pytest.mark.parametrize("shape", ["array", "object", "mixed"])
def test_past_the_limit_is_one_422_on_body_at_any_depth(levels, shape):
    raw = {
        "array": _nested(levels),
        "object": '{"a":' * levels + "1" + "}" * levels,
        "mixed": '{"text": ' + '[{"b":' * (levels // 2) + "1" + "}]" * (levels // 2) + "}",
    }[shape]
    with pytest.raises(ValidationFailed) as refused:
        json_body.decode(raw.encode())
    assert refused.value.errors == {"body": [
        "The JSON body is nested too deeply: at most 64 levels of arrays and objects are accepted."]}


def test_a_field_holding_json_is_named():
    with pytest.raises(ValidationFailed) as refused:
        json_body.decode(_nested(5_000), field="userLists")
    assert list(refused.value.errors) == ["userLists"]
    assert "The JSON in the userLists field is nested too deeply" in refused.value.errors["userLists"][0]


@pytest.mark.parametrize("raw", [b"{bad", b"", b"\xff\xfe", b"[" * 10, b"9" * 5000])
def test_what_is_not_json_is_a_value_error(raw):
    with pytest.raises(ValueError):
        json_body.decode(raw)


def test_too_deep_walks_without_recursion():
    deep: list = []
    for _ in range(200_000):  # far past any recursion limit
        deep = [deep]
    assert json_body.too_deep(deep) is True
    assert json_body.too_deep({"a": [{"b": [1, 2, {"c": None}]}], "d": "x" * 10}) is False
    assert json_body.too_deep("[[[[[[") is False and json_body.too_deep(None) is False


def test_the_idempotency_hash_is_by_meaning_and_leaves_hostile_depth_to_the_bytes():
    assert json_body_hash(b'{"a": 1, "b": [1, 2]}') == json_body_hash(b'{"b":[1,2],"a":1}')
    assert json_body_hash(_nested(1_200).encode()) is None  # hashed byte for byte by the caller
    assert json_body_hash(b"{not json") is None
