"""The direct completion of plain leaf objects answers exactly as graphql-core's own execution:
the same data and the same errors, for every shape of selection it takes or leaves."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.leaf_execution import DirectLeafExecutor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Row:
    sku: str
    amount: Decimal
    share: Decimal | None
    colour: Colour
    count: int
    seen: datetime | None = None
    dead: bool = False

    @strawberry.field
    def label(self) -> str:
        return f"{self.sku}:{self.count}"


@dataclass
class LooseRow:
    """A row whose non-null fields can hold what the schema does not allow."""

    sku: Any
    amount: Any
    share: Any
    colour: Any
    count: Any
    seen: Any = None
    dead: Any = False


ROWS = [Row(sku=f"S{index}", amount=Decimal(index) / 4, share=None if index % 2 else Decimal(1),
            colour=Colour.RED if index % 3 else Colour.BLUE, count=index,
            seen=datetime(2026, 1, 1 + index % 28, tzinfo=UTC) if index % 4 else None,
            dead=index % 5 == 0) for index in range(50)]


class Code(enum.StrEnum):
    A = "a"


# Values of another class than the scalar's usual one, each coerced as graphql-core does:
# an int as a String, a float as a Decimal, a date as a DateTime, an int as a Boolean...
LOOSE = [LooseRow(7, 0.5, Decimal("0.10"), Colour.RED, 2, date(2026, 3, 1), 1),
         LooseRow(Code.A, 3, None, Colour.BLUE, 3, None, 0.0)]
BROKEN = [*ROWS[:3], LooseRow("S-none", None, None, Colour.RED, 1), *ROWS[3:6],
          LooseRow("S-count", Decimal(1), None, Colour.BLUE, "not a number"), *ROWS[6:9]]


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row]:
        return ROWS

    @strawberry.field
    def broken(self) -> list[Row]:
        return BROKEN  # type: ignore[return-value]

    @strawberry.field
    def loose(self) -> list[Row]:
        return LOOSE  # type: ignore[return-value]

    @strawberry.field
    def wrong_time(self) -> list[Row]:
        return [ROWS[1], LooseRow("S-time", Decimal(1), None, Colour.RED, 1, "noon")]  # type: ignore[list-item]

    @strawberry.field
    def first(self) -> Row | None:
        return ROWS[0]

    @strawberry.field
    def gaps(self) -> list[Row | None]:
        return [ROWS[0], None, ROWS[1]]

    @strawberry.field
    def broken_gaps(self) -> list[Row | None]:
        return [ROWS[0], None, BROKEN[3]]  # type: ignore[list-item]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    return (strawberry.Schema(query=Query, execution_context_class=DirectLeafExecutor),
            strawberry.Schema(query=Query,
                              execution_context_class=StrawberryGraphQLCoreExecutionContext))


QUERIES = [
    "{ rows { sku amount share colour count } }",
    "{ rows { sku seen dead } loose { sku amount share count seen dead } }",
    "{ wrongTime { sku seen } }",
    "{ rows { __typename sku total: amount amount colour } }",
    "{ rows { sku label count } }",
    "{ rows { sku ... on Row { count share } } }",
    "query ($with: Boolean!) { rows { sku count @include(if: $with) share @skip(if: $with) } }",
    "{ first { sku amount } rows { colour } }",
    "{ broken { sku amount share colour count } }",
    "{ broken { sku colour } }",
    "{ gaps { sku amount } brokenGaps { sku amount } }",
    "{ rows { sku } rows2: rows { count } }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_answers_as_graphql_core(query: str) -> None:
    direct, regular = _schemas()
    for variables in ({"with": True}, {"with": False}):
        ours = direct.execute_sync(query, variable_values=variables)
        theirs = regular.execute_sync(query, variable_values=variables)
        assert ours.data == theirs.data
        assert [(error.message, error.path) for error in ours.errors or []] == \
            [(error.message, error.path) for error in theirs.errors or []]


def test_a_broken_row_is_an_error_at_its_own_path() -> None:
    direct, _ = _schemas()
    result = direct.execute_sync("{ broken { sku amount count } }")
    # a non-null item's error nulls the whole non-null list, and the errors after it are moot
    assert result.data is None
    assert [tuple(error.path or ()) for error in result.errors or []] == [("broken", 3, "amount")]


def test_plain_rows_are_completed_without_resolve_infos() -> None:
    built: list[int] = []

    class Counting(DirectLeafExecutor):
        def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
            built.append(1)
            return super().build_resolve_info(*args, **kwargs)

    schema = strawberry.Schema(query=Query, execution_context_class=Counting)
    result = schema.execute_sync("{ rows { sku amount share colour count } }")
    assert result.errors is None
    assert len(result.data["rows"]) == 50
    assert len(built) == 1  # the root field only, none of the 250 leaves
    assert result.data["rows"][1] == {"sku": "S1", "amount": "0.25", "share": None,
                                      "colour": "RED", "count": 1}
