"""Products file rows, judged without a database: each row becomes the ``ProductDraft`` the
``createProduct`` mutation would get and is checked by the same catalog rules; a sku or a
barcode given twice in the file is reported on its later row.

A row carries up to two barcodes: ``barcode`` counts one unit a scan, ``case_barcode`` counts
``case_quantity`` units (a case of 12).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.catalog.drafts import BarcodeDraft, ProductDraft
from server.catalog.rules import product_draft_problems
from server.imports.fields import row_errors
from server.imports.report import RowError
from server.imports.table import (
    Column,
    Parsed,
    Record,
    bool_value,
    converted,
    decimal_value,
    each_row,
    list_value,
    mark_duplicates,
    records,
)

COLUMNS = (
    Column("sku", "商品编码", "P-1001", required=True),
    Column("name", "名称", "Cordless drill 18V", required=True),
    Column("category", "类别", "tools"),
    Column("unit_of_measure", "单位", "pcs"),
    Column("qc_required", "需质检", "no"),
    Column("make_to_order", "按单采购", "no"),
    Column("safety_stock", "安全库存", "10"),
    Column("list_price", "标价", "399.00"),
    Column("tags", "标签", "seasonal; promo"),
    Column("barcode", "条码", "6923450657713"),
    Column("case_barcode", "箱条码", "16923450657710"),
    Column("case_quantity", "每箱数量", "12"),
)
FIELD_COLUMNS = {
    "sku": "sku", "name": "name", "category": "category", "unitOfMeasure": "unit_of_measure",
    "safetyStock": "safety_stock", "listPrice": "list_price", "tags": "tags",
}


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A row's product and the column each of its barcodes came from."""

    draft: ProductDraft
    barcode_columns: tuple[str, ...]

    def barcode_cells(self) -> list[tuple[str, str]]:
        """(barcode, column) for each barcode of the row."""
        return [(barcode.barcode, column)
                for barcode, column in zip(self.draft.barcodes, self.barcode_columns, strict=True)]


def product_of(record: Record) -> tuple[ProductRow, list[RowError]]:
    """The product a row describes and everything wrong with it."""
    errors: list[RowError] = []
    barcodes, barcode_columns = _barcodes(record, errors)
    draft = ProductDraft(
        sku=record["sku"], name=record["name"], category=record["category"],
        unit_of_measure=record["unit_of_measure"] or "pcs",
        qc_required=converted(record, "qc_required", bool_value, errors, False),
        make_to_order=converted(record, "make_to_order", bool_value, errors, False),
        safety_stock=converted(record, "safety_stock", decimal_value, errors, Decimal(0)),
        list_price=converted(record, "list_price", decimal_value, errors, Decimal(0)),
        tags=list_value(record["tags"]),
        barcodes=tuple(barcodes),
    )
    errors.extend(row_errors(record.row, product_draft_problems(draft),
                             {**FIELD_COLUMNS, **barcode_columns}))
    return ProductRow(draft, tuple(column for field, column in barcode_columns.items()
                                   if field.endswith(".barcode"))), errors


def _barcodes(
    record: Record, errors: list[RowError]
) -> tuple[list[BarcodeDraft], dict[str, str]]:
    """The row's barcodes, and which column each one's rule fields point at."""
    drafts: list[BarcodeDraft] = []
    columns: dict[str, str] = {}
    if record["barcode"]:
        columns[f"barcodes[{len(drafts)}].barcode"] = "barcode"
        drafts.append(BarcodeDraft(record["barcode"]))
    case_quantity = converted(record, "case_quantity", decimal_value, errors, None)
    if record["case_barcode"]:
        if case_quantity is None and not record["case_quantity"]:
            errors.append(RowError(record.row, "case_quantity",
                                   "a case barcode needs the units in the case"))
        index = len(drafts)
        columns[f"barcodes[{index}].barcode"] = "case_barcode"
        columns[f"barcodes[{index}].packQuantity"] = "case_quantity"
        drafts.append(BarcodeDraft(record["case_barcode"], case_quantity or Decimal(1)))
    elif record["case_quantity"]:
        errors.append(RowError(record.row, "case_barcode",
                               "case_quantity is given without a case barcode"))
    return drafts, columns


def parse_products(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
                   ) -> Parsed[ProductRow]:
    parsed = each_row(records(header, rows, COLUMNS), product_of)
    mark_duplicates(parsed, lambda row: row.draft.sku, "sku", lambda row: f"sku {row.draft.sku}")
    parsed.errors.extend(_shared_barcodes(parsed))
    return parsed


def _shared_barcodes(parsed: Parsed[ProductRow]) -> list[RowError]:
    """A barcode names one product: a later cell giving it again is wrong, whichever column."""
    first: dict[str, tuple[int, str]] = {}
    errors = []
    for row_number, row in parsed.rows:
        for barcode, column in row.barcode_cells():
            earlier = first.setdefault(barcode, (row_number, row.draft.sku))
            if earlier[0] != row_number:
                errors.append(RowError(row_number, column, f"barcode {barcode} is also on row "
                                       f"{earlier[0]} (sku {earlier[1]})", "DUPLICATE"))
    return errors
