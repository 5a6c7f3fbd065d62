"""The sales history CSV rules, without a database: columns, weeks, quantities, duplicates,
row numbers as a spreadsheet shows them, and skus / warehouses the catalog lacks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from server.imports.report import RowError
from server.sales.history_import import (
    HistoryRow,
    ImportSummary,
    ParsedFile,
    Reference,
    parse_file,
    parse_quantity,
    parse_week,
    reference_errors,
    summary_of,
)

D = Decimal


def parsed(text: str, *, bom: bool = False) -> ParsedFile:
    return parse_file(("\ufeff" if bom else "").encode() + text.encode())


def problems(result: ParsedFile) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.code) for error in result.errors]


@pytest.mark.parametrize(("text", "monday"), [
    ("2025-W07", date(2025, 2, 10)),
    (" 2025-W07 ", date(2025, 2, 10)),
    ("2025-02-10", date(2025, 2, 10)),
    ("2025-02-16", date(2025, 2, 10)),
    ("2024-12-31", date(2024, 12, 30)),
    ("2020-W53", date(2020, 12, 28)),
])
def test_a_week_is_an_iso_week_or_any_date_in_it(text: str, monday: date) -> None:
    assert parse_week(text) == monday


@pytest.mark.parametrize("text", ["2025-W54", "2025-7", "2025-02-30", "10/02/2025",
                                  "2025-W07-1", "20250210", "week 7"])
def test_bad_weeks_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        parse_week(text)


@pytest.mark.parametrize(("text", "quantity"), [
    ("0", D(0)), ("12", D(12)), (" 3.5 ", D("3.5")), ("1.2345", D("1.2345")), ("1e3", D(1000)),
])
def test_quantities(text: str, quantity: Decimal) -> None:
    assert parse_quantity(text) == quantity


@pytest.mark.parametrize(("text", "reason"), [
    ("-1", "is negative"), ("1.23456", "more than 4 decimals"), ("abc", "not a number"),
    ("NaN", "not a number"), ("Infinity", "not a number"), ("1e20", "too large"),
])
def test_bad_quantities(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_quantity(text)


def test_a_good_file_with_a_bom_and_columns_in_any_order() -> None:
    result = parsed("SKU,Week,warehouse,quantity,region\r\n"
                    "P1,2025-W07,WH1,10,East\r\n"
                    "\r\n"
                    "P1,2025-02-12,WH1,2.5,\r\n"
                    "P2,2025-W09,WH2,0,North\r\n", bom=True)
    assert result.errors == []
    assert result.rows == [
        HistoryRow(2, "P1", "WH1", date(2025, 2, 10), "East", D(10)),
        HistoryRow(4, "P1", "WH1", date(2025, 2, 10), "", D("2.5")),
        HistoryRow(5, "P2", "WH2", date(2025, 2, 24), "North", D(0)),
    ]
    assert summary_of(result.rows) == ImportSummary(rows=3, products=2, warehouses=2,
                                                    first_week="2025-W07", last_week="2025-W09")


def test_the_region_column_may_be_left_out() -> None:
    result = parsed("week,sku,warehouse,quantity\n2025-W07,P1,WH1,4\n")
    assert result.errors == []
    assert result.rows == [HistoryRow(2, "P1", "WH1", date(2025, 2, 10), "", D(4))]


def test_every_bad_row_is_reported_with_its_row_and_column() -> None:
    result = parsed("week,sku,warehouse,region,quantity\n"
                    "2025-W07,P1,WH1,East,1\n"      # row 2: good
                    "2025-W99,P1,WH1,East,1\n"      # row 3: bad week
                    "2025-W08,P1,WH1,East,-2\n"     # row 4: negative
                    "2025-W08,,WH1,East,1\n"        # row 5: no sku
                    "2025-02-12,P1,WH1,East,3\n"    # row 6: same key as row 2
                    "2025-W08,P1,WH1,East\n"        # row 7: too few values
                    "2025-W08,P2,WH1,East,1,9\n"    # row 8: too many values
                    f"2025-W08,P3,WH1,{'x' * 101},1\n")  # row 9: region too long
    assert problems(result) == [
        (3, "week", "INVALID_INPUT"), (4, "quantity", "INVALID_INPUT"),
        (5, "sku", "INVALID_INPUT"), (6, "week", "DUPLICATE"),
        (7, "quantity", "INVALID_INPUT"), (8, "", "INVALID_INPUT"),
        (9, "region", "INVALID_INPUT")]
    assert "repeats row 2" in result.errors[3].reason
    assert [row.row for row in result.rows] == [2]
    assert [ref.row for ref in result.references] == [2, 3, 4, 6, 7, 8, 9]


def test_a_header_without_a_required_column_or_with_an_unknown_one_stops_at_row_1() -> None:
    result = parsed("week,sku,qty,sku\n2025-W07,P1,1,P1\n")
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (1, "qty", "unknown column 'qty': the columns are week, sku, warehouse, region, "
                   "quantity"),
        (1, "sku", "column sku appears twice"),
        (1, "warehouse", "missing column warehouse"),
        (1, "quantity", "missing column quantity")]
    assert result.rows == [] and result.references == []


@pytest.mark.parametrize(("data", "row", "reason"), [
    (b"", 1, "the file is empty"),
    (b"week,sku,warehouse,quantity\n\n", 2, "no data rows"),
    (b"week,sku,warehouse,quantity\n2025-W07,P\xe9,WH1,1\n", 2, "not UTF-8"),
])
def test_files_with_nothing_to_import(data: bytes, row: int, reason: str) -> None:
    [error] = parse_file(data).errors
    assert error.row == row and reason in error.reason


def test_unknown_skus_and_warehouses_are_reported_per_row() -> None:
    references = [Reference(2, "P1", "WH1"), Reference(3, "NOPE", "WH1"),
                  Reference(4, "P1", "WH9"), Reference(5, "X", "Y")]
    assert reference_errors(references, {"P1"}, {"WH1"}) == [
        RowError(3, "sku", "no product 'NOPE'", "NOT_FOUND"),
        RowError(4, "warehouse", "no warehouse 'WH9'", "NOT_FOUND"),
        RowError(5, "sku", "no product 'X'", "NOT_FOUND"),
        RowError(5, "warehouse", "no warehouse 'Y'", "NOT_FOUND")]


def test_a_quoted_value_may_hold_commas() -> None:
    result = parsed('week,sku,warehouse,region,quantity\n2025-W07,P1,WH1,"East, coast",1\n')
    assert result.errors == []
    assert result.rows[0].region == "East, coast"
