"""The margin report's GraphQL rows are its domain rows as they are (no copy per row), so the two
must keep exactly the same fields."""

from __future__ import annotations

from dataclasses import fields

from strawberry.types.base import get_object_definition

from schema.finance.reports import MarginReportRow
from server.finance.margin import MarginRow


def test_margin_rows_have_the_graphql_rows_fields() -> None:
    definition = get_object_definition(MarginReportRow, strict=True)
    assert [field.python_name for field in definition.fields] == [
        field.name for field in fields(MarginRow)]
    assert all(field.base_resolver is None for field in definition.fields)
