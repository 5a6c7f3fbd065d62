"""Opening stock file rows, judged without a database: each row is the ``adjustStock`` request
that would count its quantity into its bin, checked by the same inventory rules, plus what an
opening balance needs: a quantity above zero and the unit cost it is valued at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from server.imports.fields import row_errors
from server.imports.report import RowError
from server.imports.table import (
    Column,
    Parsed,
    Record,
    converted,
    decimal_value,
    each_row,
    mark_duplicates,
    records,
)
from server.inventory.rules import AdjustmentRequest, adjustment_problems, lot_of

OPENING_REASON = "opening stock import"
# The adjustment rules ask every request for a key; an import's rows post together once and a
# pair that already has stock is refused, so the rows share this one.
IMPORT_KEY = "opening-stock-import"
COLUMNS = (
    Column("warehouse", "仓库编码", "WH1", required=True),
    Column("location", "库位编码", "WH1-A-01", required=True),
    Column("sku", "商品编码", "P-1001", required=True),
    Column("lot", "批次", "L2026-01"),
    Column("quantity", "数量", "120", required=True),
    Column("unit_cost", "单位成本", "180.00", required=True),
)
FIELD_COLUMNS = {"quantity": "quantity", "unitCost": "unit_cost", "lot": "lot"}


def opening_of(record: Record) -> tuple[AdjustmentRequest, list[RowError]]:
    """The adjustment a row asks for and everything wrong with it."""
    errors: list[RowError] = []
    quantity = converted(record, "quantity", decimal_value, errors, None)
    unit_cost = converted(record, "unit_cost", decimal_value, errors, None)
    if quantity is not None and quantity < 0:
        errors.append(RowError(record.row, "quantity", "opening stock must be above 0 "
                                                       f"(got {quantity})"))
    # A negative quantity is judged as its size: the rules' word on it would be about taking
    # stock out, which an opening balance never does.
    request = AdjustmentRequest(
        warehouse_code=record["warehouse"], sku=record["sku"], location_code=record["location"],
        quantity=abs(quantity) if quantity is not None else Decimal(1), reason=OPENING_REASON,
        idempotency_key=IMPORT_KEY, lot=record["lot"] or None, unit_cost=unit_cost,
    )
    errors.extend(row_errors(record.row, adjustment_problems(request), FIELD_COLUMNS))
    return request, errors


def stock_key(request: AdjustmentRequest) -> tuple[str, str, str, str]:
    return request.warehouse_code, request.location_code, request.sku, lot_of(request.lot)


def parse_opening_stock(
    header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
) -> Parsed[AdjustmentRequest]:
    parsed = each_row(records(header, rows, COLUMNS), opening_of)
    mark_duplicates(parsed, stock_key, "sku", lambda request: (
        f"{request.sku} in bin {request.location_code} of {request.warehouse_code}, lot "
        f"{lot_of(request.lot) or '(none)'}"))
    return parsed
