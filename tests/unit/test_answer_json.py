"""GraphQL answers are written by orjson, and json's way where orjson refuses the value."""

from __future__ import annotations

import json

import pytest

from server.app import answer_json


@pytest.mark.parametrize("data", [
    {"data": {"rows": [{"sku": "P1", "name": "螺丝 M3", "onHand": "6.0000", "dead": False,
                        "turnover": None, "count": 3}]}},
    {"errors": [{"message": "x", "path": ["a", 0], "extensions": {"code": "INVALID_INPUT"}}]},
    {"data": {"note": "\ud800"}},  # a lone surrogate: orjson refuses it
    {"data": {"big": 2 ** 70}},  # over 64 bits: orjson refuses it
])
def test_writes_compact_json_that_reads_back_the_same(data: object) -> None:
    text = answer_json(data).decode()
    assert json.loads(text) == data
    assert ", " not in text and ": " not in text
