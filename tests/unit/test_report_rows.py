"""The margin and inventory reports' GraphQL rows are their domain rows as they are (no copy per
row), so each pair must keep exactly the same fields."""

from __future__ import annotations

from dataclasses import fields

import pytest
from strawberry.types.base import get_object_definition

from schema.finance.reports import InventoryReportRow, MarginReportRow
from server.finance.inventory_report import InventoryRow
from server.finance.margin import MarginRow


@pytest.mark.parametrize(("graphql_row", "domain_row"), [
    (MarginReportRow, MarginRow), (InventoryReportRow, InventoryRow)])
def test_domain_rows_have_the_graphql_rows_fields(graphql_row: type, domain_row: type) -> None:
    definition = get_object_definition(graphql_row, strict=True)
    assert [field.python_name for field in definition.fields] == [
        field.name for field in fields(domain_row)]
    assert all(field.base_resolver is None for field in definition.fields)
