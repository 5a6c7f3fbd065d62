"""``native_condition``: the common forms of CEL conditions give CEL's own result in Python, or
say they cannot tell (where CEL raises, or mixes types), and every other form is left to CEL."""

from __future__ import annotations

from typing import Any

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.expression_forms import native_condition
from server.expressions import to_cel
from server.planning.rules import SEED_GROWTH_CONDITION

COMMON = [
    SEED_GROWTH_CONDITION,
    "days_of_cover < 7.0",
    "days_of_cover < 7",
    "month == 12",
    "month != 12.0",
    "month == 12.0",
    "size(sales) >= 5 && sales[4] > 10.0 && std_dev < average",
    "sales[4] > 10.0 && size(sales) >= 5",
    "growth[size(growth) - 1] > 0.2 && growth[size(growth) - 2] + 0.5 >= 0.7",
    "sales[0] + 1 > 2.0",
    "size(growth) + 9223372036854775800 > 0",
    "sales[size(sales) - 1 - 1] <= average",
    "sales[1] == sales[2]",
    "average >= 9007199254740993",
    "sales[size(growth) - 1] > 1.0",
    "growth[size(growth) - 0] >= 0.0",
    "sales[size(sales) - 7] == 0.0 && 2 < size(sales)",
]
NOT_COMMON = [
    "true", "month == 12 || month == 1", "!(month == 12)", "(month == 12)",
    "category == 'tea'", "'tea' in tags", "days_of_cover < -1.0", "size(sales)",
    "month", "double(month) > 1.0", "days_of_cover < 1e3", "sales.size() > 1",
    "month == 12 &&", "&& month == 12", "month < 1 < 2", "true && month == 12",
]

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.2, 0.2000001, 7.0, 10.0, 9007199254740992.0]))
facts_strategy = st.fixed_dictionaries({
    "sales": st.lists(floats, max_size=7).map(tuple),
    "growth": st.lists(floats, max_size=7).map(tuple),
    "average": floats,
    "std_dev": floats,
    "days_of_cover": floats,
    "month": st.integers(min_value=1, max_value=12),
})


def cel_result(source: str, facts: dict[str, Any]) -> bool | str:
    try:
        return bool(cel.compile(source).execute(cel.Context(variables=to_cel(facts))))
    except Exception as error:  # any CEL error counts as "raises"
        return f"raises {type(error).__name__}"


@pytest.mark.parametrize("source", COMMON)
@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy)
def test_a_common_form_gives_cels_result_or_leaves_it_to_cel(
    source: str, facts: dict[str, Any]
) -> None:
    native = native_condition(source)
    assert native is not None
    verdict, expected = native(facts), cel_result(source, facts)
    if verdict is not None:  # None: the caller asks CEL
        assert verdict is expected


def test_the_seed_rule_decides_every_history_length_without_cel() -> None:
    native = native_condition(SEED_GROWTH_CONDITION)
    assert native is not None
    assert native({"growth": ()}) is False
    assert native({"growth": (0.3, 0.3)}) is False
    assert native({"growth": (0.0, 0.3, 0.3, 0.3)}) is True
    assert native({"growth": (0.3, 0.2, 0.3)}) is False


def test_an_index_beyond_the_list_is_left_to_cel_unless_another_side_is_false() -> None:
    native = native_condition("sales[4] > 10.0 && std_dev < average")
    assert native is not None
    assert native({"sales": (1.0,), "std_dev": 1.0, "average": 2.0}) is None
    assert native({"sales": (1.0,), "std_dev": 3.0, "average": 2.0}) is False


@pytest.mark.parametrize("source", NOT_COMMON)
def test_other_forms_have_no_native_form(source: str) -> None:
    assert native_condition(source) is None


def test_lists_compared_whole_are_left_to_cel() -> None:
    native = native_condition("growth == growth")
    assert native is not None
    assert native({"growth": (1.0,)}) is None
