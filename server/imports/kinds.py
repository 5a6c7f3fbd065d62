"""The kinds of file ``caixiao import`` and ``importData`` take, each with its columns and its
importer, and the templates: the header row and one example row, as .xlsx or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Font

from server.auth import Principal
from server.db import Database
from server.imports import master_rows, product_rows, stock_rows
from server.imports.catalog_import import import_products, import_supplier_items, import_suppliers
from server.imports.master_import import import_customers, import_locations
from server.imports.report import ImportOutcome
from server.imports.stock_import import import_opening_stock
from server.imports.table import Column
from server.imports.writing import Progress

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportKind(StrEnum):
    PRODUCTS = "products"
    SUPPLIERS = "suppliers"
    SUPPLIER_ITEMS = "supplier-items"
    CUSTOMERS = "customers"
    LOCATIONS = "locations"
    OPENING_STOCK = "opening-stock"


class TemplateFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class KindSpec:
    columns: Sequence[Column]
    run: Callable[..., Awaitable[ImportOutcome]]
    summary: str


KINDS: dict[ImportKind, KindSpec] = {
    ImportKind.PRODUCTS: KindSpec(product_rows.COLUMNS, import_products,
                                  "products by sku, with a unit and a case barcode"),
    ImportKind.SUPPLIERS: KindSpec(master_rows.SUPPLIER_COLUMNS, import_suppliers,
                                   "suppliers by code"),
    ImportKind.SUPPLIER_ITEMS: KindSpec(master_rows.SUPPLIER_ITEM_COLUMNS, import_supplier_items,
                                        "supplier prices, MOQ, pack multiple and lead time"),
    ImportKind.CUSTOMERS: KindSpec(master_rows.CUSTOMER_COLUMNS, import_customers,
                                   "customers by code, with their salesperson"),
    ImportKind.LOCATIONS: KindSpec(master_rows.LOCATION_COLUMNS, import_locations,
                                   "warehouse bins by code"),
    ImportKind.OPENING_STOCK: KindSpec(stock_rows.COLUMNS, import_opening_stock,
                                       "opening stock per warehouse, bin and lot, at unit cost"),
}


async def import_file(
    db: Database, principal: Principal, kind: ImportKind, data: bytes, *,
    skip_bad_rows: bool = False, on_progress: Progress | None = None,
) -> ImportOutcome:
    """Import ``data`` (an .xlsx or CSV file) as ``kind``; FileRejected lists its bad rows."""
    return await KINDS[kind].run(db, principal, data, skip_bad_rows=skip_bad_rows,
                                 on_progress=on_progress)


def template(kind: ImportKind, file_format: TemplateFormat) -> tuple[bytes, str, str]:
    """The file's bytes, its name and its content type: the header and one example row."""
    columns = KINDS[kind].columns
    header = [column.name for column in columns]
    example = [column.example for column in columns]
    name = f"{kind.value}-template.{file_format.value}"
    if file_format is TemplateFormat.CSV:
        text = io.StringIO(newline="")
        csv.writer(text, lineterminator="\r\n").writerows([header, example])
        # With the byte order mark, Excel opens the file as UTF-8 (Chinese names stay legible).
        return text.getvalue().encode("utf-8-sig"), name, CSV_TYPE
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind.value
    sheet.append(header)
    # Text cells: a barcode or a code typed as a number would lose leading zeros in Excel.
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=2, column=index).number_format = "@"
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(len(column.name), len(column.example)) + 4
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), name, XLSX_TYPE
