from __future__ import annotations

from decimal import Decimal

import pytest

from server.errors import InvalidInput
from server.expressions import compile_condition

FACTS = {"amount": Decimal("60000.00"), "supplier": "S1", "lines": [{"amount": Decimal("10")}]}


def test_condition_over_decimal_facts() -> None:
    condition = compile_condition("amount >= 50000", FACTS, "condition")
    assert condition.holds(FACTS) is True
    assert condition.holds({**FACTS, "amount": Decimal("49999.99")}) is False


def test_comprehension_over_lines() -> None:
    condition = compile_condition("lines.exists(l, l.amount > 5.0)", FACTS, "condition")
    assert condition.holds(FACTS) is True


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        compile_condition("amount >= ", FACTS, "steps[0].condition")
    problem = caught.value.problems[0]
    assert problem.field == "steps[0].condition"
    assert "line 1, column 11" in problem.message


def test_unknown_name_is_refused_at_save() -> None:
    with pytest.raises(InvalidInput, match="amont"):
        compile_condition("amont > 5", FACTS, "condition")


def test_non_boolean_result_is_refused_at_save() -> None:
    with pytest.raises(InvalidInput, match="not true or false"):
        compile_condition("amount + 1.0", FACTS, "condition")
