"""The request-edge guards without a server: the bounded Decimal scalar and the finder of NULs
and lone surrogates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from graphql import parse
from strawberry.exceptions import StrawberryInputCoercionError

from schema.scalars import parse_decimal
from schema.text_guard import has_unstorable_literal, unstorable_paths


@pytest.mark.parametrize(("sent", "read"), [
    ("12.5", Decimal("12.5")), ("-3", Decimal(-3)), (".5", Decimal("0.5")), ("+7", Decimal(7)),
    ("1e3", Decimal(1000)), (" 4 ", Decimal(4)), (2, Decimal(2)), (0.25, Decimal("0.25")),
    ("99999999999.9999", Decimal("99999999999.9999")), ("0e999999999", Decimal(0)),
])
def test_plain_finite_numbers_are_read_exactly(sent: object, read: Decimal) -> None:
    assert parse_decimal(sent) == read


@pytest.mark.parametrize(("sent", "reason"), [
    ("NaN", "finite"), ("-sNaN", "finite"), ("Infinity", "finite"), (float("inf"), "finite"),
    (float("nan"), "finite"), ("1e400", "range"), ("100000000000", "range"), ("-1e11", "range"),
    ("1" * 5000, "range"), ("1_000", "Expected a number"), ("0x10", "Expected a number"),
    ("", "Expected a number"), ("1,5", "Expected a number"), (True, "Send a number"),
    ([1], "Send a number"), ("1e999999999999999999999", "Not a number"),
])
def test_non_finite_absurd_and_odd_numbers_are_refused(sent: object, reason: str) -> None:
    with pytest.raises(StrawberryInputCoercionError, match=reason):
        parse_decimal(sent)


def test_unstorable_paths_name_every_string_holding_a_nul_or_a_lone_surrogate() -> None:
    variables = {"input": {"sku": "P1", "lines": [{"lot": "a\x00"}, {"lot": "b"}],
                           "tags": ["x", "\x00", "\udfff", "仓库"], "k\x00": 1, "n": 5,
                           "note": "x\ud800y"}}
    assert list(unstorable_paths(variables, "")) == [
        "input.lines[0].lot", "input.tags[1]", "input.tags[2]", "input.k\x00", "input.note"]
    assert list(unstorable_paths({"input": {"sku": "P1", "n": None}}, "")) == []


def test_unstorable_literals_are_found_in_the_document() -> None:
    assert has_unstorable_literal(parse('{ product(sku: "P\\u0000") { sku } }'))
    assert not has_unstorable_literal(parse('{ product(sku: "P1") { sku } }'))
    assert not has_unstorable_literal(parse('{ product(sku: "P\\ud83d\\ude00") { sku } }'))
