"""The common forms of CEL conditions, evaluated in plain Python with CEL's result.

A planning run tests a rule's condition on every product; handing each product's facts to CEL
(a 51-value growth list converted value by value) costs far more than the test. Conditions made
of comparisons joined by ``&&`` over numbers, names, ``size(list)``, list indexes and integer
``+``/``-`` (the seed's growth rule, ``days_of_cover < 7.0``, ``month == 12``) are parsed here
once into Python closures. A closure answers True or False only where CEL's answer is certain
by the same arithmetic; wherever CEL would raise (an index out of range, a type CEL does not
mix, an overflow) and no other comparison is false, it answers None and the caller asks CEL,
so the result and its error message are CEL's own. Any other form has no native form at all.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

# A closure over the facts: True, False, or None when only CEL can tell (it would raise).
Native = Callable[[Mapping[str, Any]], Any]
_UNKNOWN: Any = object()
_INT64 = range(-(2**63), 2**63)
_TOKEN = re.compile(
    r"\s*(?:(?P<float>\d+\.\d+)|(?P<int>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|<=|>=|==|!=|<|>|\+|-|\(|\)|\[|\]))")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}
_RESERVED = frozenset({"true", "false", "null", "in", "size"})


class _NotCommon(Exception):
    """The source is not one of the forms evaluated here."""


@lru_cache(maxsize=1024)
def native_condition(source: str) -> Native | None:
    """A Python closure giving ``source``'s CEL result on plain facts, or None when the source
    is not of a common form (the caller then always asks CEL). Remembered per source: every
    live recompute makes an evaluator of the same few rules."""
    try:
        tokens = _tokens(source)
        comparisons = [_comparison(part) for part in _split(tokens, "&&")]
    except _NotCommon:
        return None

    def holds(facts: Mapping[str, Any]) -> Any:
        certain = True
        for comparison in comparisons:
            verdict = comparison(facts)
            if verdict is False:
                return False  # CEL's && is false when any side is, errors or not
            if verdict is _UNKNOWN:
                certain = False
        return True if certain else None

    return holds


def _tokens(source: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None:
            raise _NotCommon
        tokens.append(match.group(match.lastgroup or "op"))
        position = match.end()
    return tokens


def _split(tokens: list[str], separator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    if any(not part for part in parts):
        raise _NotCommon
    return parts


def _comparison(tokens: list[str]) -> Callable[[Mapping[str, Any]], Any]:
    at = [index for index, token in enumerate(tokens) if token in _COMPARE]
    if len(at) != 1:
        raise _NotCommon
    compare = _COMPARE[tokens[at[0]]]
    left, right = _sum(tokens[:at[0]]), _sum(tokens[at[0] + 1:])
    equality = tokens[at[0]] in ("==", "!=")
    if len(tokens) == at[0] + 2 and tokens[-1][0].isdigit():
        return _against_literal(left, compare, right(None), equality=equality)

    def comparison(facts: Mapping[str, Any]) -> Any:
        a, b = _number(left(facts)), _number(right(facts))
        if a is _UNKNOWN or b is _UNKNOWN or a != a or b != b:
            return _UNKNOWN  # CEL raises on NaN: it is not ordered
        if type(a) is not type(b):
            if equality:
                return _UNKNOWN
            # CEL orders an int and a double by the int as a double.
            a, b = float(a), float(b)
        return compare(a, b)

    return comparison


def _against_literal(left: Callable[[Mapping[str, Any]], Any],
                     compare: Callable[[Any, Any], bool], literal: int | float, *,
                     equality: bool) -> Callable[[Mapping[str, Any]], Any]:
    """``_comparison`` of an operand with a number written in the condition (``> 0.2``,
    ``>= 3``), the usual form: the same answers without evaluating the number each time."""
    as_float = float(literal)

    def comparison(facts: Mapping[str, Any]) -> Any:
        a = _number(left(facts))
        if a is _UNKNOWN or a != a:
            return _UNKNOWN  # CEL raises on NaN: it is not ordered
        if type(a) is not type(literal):
            if equality:
                return _UNKNOWN
            # CEL orders an int and a double by the int as a double.
            return compare(float(a), as_float)
        return compare(a, literal)

    return comparison


def _sum(tokens: list[str]) -> Callable[[Mapping[str, Any]], Any]:
    """Operands joined by + and - (left to right, as CEL), outside any brackets."""
    terms: list[tuple[str, list[str]]] = []
    sign, current, depth = "+", [], 0
    for token in tokens:
        depth += (token in "([") - (token in ")]")
        if depth == 0 and token in "+-" and current:
            terms.append((sign, current))
            sign, current = token, []
        else:
            current.append(token)
    terms.append((sign, current))
    operands = [(sign, _operand(part)) for sign, part in terms]
    if len(operands) == 1:
        return operands[0][1]

    def total(facts: Mapping[str, Any]) -> Any:
        value = _number(operands[0][1](facts))
        for sign, operand in operands[1:]:
            other = _number(operand(facts))
            if value is _UNKNOWN or other is _UNKNOWN or type(value) is not type(other):
                return _UNKNOWN  # CEL does not add an int to a double
            value = value + other if sign == "+" else value - other
            if type(value) is int and value not in _INT64:
                return _UNKNOWN  # CEL raises on overflow
        return value

    return total


def _operand(tokens: list[str]) -> Callable[[Mapping[str, Any]], Any]:
    if len(tokens) == 1:
        token = tokens[0]
        if re.fullmatch(r"\d+\.\d+", token):
            number: Any = float(token)
            return lambda _: number
        if token.isdigit():
            if int(token) not in _INT64:
                raise _NotCommon
            integer = int(token)
            return lambda _: integer
        return _name(token)
    if tokens[:2] == ["size", "("] and tokens[-1] == ")" and len(tokens) == 4:
        fetch = _name(tokens[2])

        def size(facts: Mapping[str, Any]) -> Any:
            value = fetch(facts)
            return len(value) if type(value) in (tuple, list) else _UNKNOWN

        return size
    if len(tokens) >= 4 and tokens[1] == "[" and tokens[-1] == "]":
        listed, position = _name(tokens[0]), _sum(tokens[2:-1])
        if (len(tokens) == 9 and tokens[2:5] == ["size", "(", tokens[0]]
                and tokens[5:7] == [")", "-"] and tokens[7].isdigit()):
            return _counted_back(tokens[0], int(tokens[7]))

        def element(facts: Mapping[str, Any]) -> Any:
            values, index = listed(facts), position(facts)
            if type(values) not in (tuple, list) or type(index) is not int:
                return _UNKNOWN
            if not 0 <= index < len(values):
                return _UNKNOWN  # CEL raises: index out of bounds
            return _number(values[index])

        return element
    raise _NotCommon


def _counted_back(name: str, back: int) -> Callable[[Mapping[str, Any]], Any]:
    """``name[size(name) - back]``, how conditions read recent weeks: the general element's
    answers in fewer steps (``size(name) - back`` cannot overflow: both are below 2**63)."""

    def element(facts: Mapping[str, Any]) -> Any:
        values = facts.get(name, _UNKNOWN)
        if type(values) not in (tuple, list):
            return _UNKNOWN
        index = len(values) - back
        if not 0 <= index < len(values):
            return _UNKNOWN  # CEL raises: index out of bounds
        return _number(values[index])

    return element


def _name(token: str) -> Callable[[Mapping[str, Any]], Any]:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token) or token in _RESERVED:
        raise _NotCommon

    def fetch(facts: Mapping[str, Any]) -> Any:
        value = facts.get(token, _UNKNOWN)
        return value if type(value) in (tuple, list) else _number(value)

    return fetch


def _number(value: Any) -> Any:
    """An int or a float as is (not a bool: CEL does not compare those with numbers)."""
    return value if type(value) in (int, float) else _UNKNOWN
