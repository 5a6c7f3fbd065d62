"""Import files judged without a database: reading .xlsx and CSV, matching the header, and each
kind's rows checked by the same catalog and inventory rules as the mutations."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from server.catalog.models import LocationType
from server.catalog.rules import ean13_check_digit, ean13_problem
from server.imports.kinds import ImportKind, TemplateFormat, template
from server.imports.master_rows import (
    parse_customers,
    parse_locations,
    parse_supplier_items,
    parse_suppliers,
)
from server.imports.product_rows import parse_products
from server.imports.report import FileRejected, RowError
from server.imports.stock_rows import parse_opening_stock
from server.imports.table import cell_text, read_sheet, settle

GOOD_EAN = "6923450657713"
OTHER_EAN = "6901234567892"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def errors_of(parsed: object) -> list[tuple[int, str]]:
    return sorted((error.row, error.column) for error in parsed.errors)  # type: ignore[attr-defined]


def test_the_ean13_rule_completes_and_checks_the_last_digit() -> None:
    assert ean13_check_digit(GOOD_EAN[:12]) == GOOD_EAN[-1]
    assert ean13_problem(GOOD_EAN, "barcode") is None
    wrong = ean13_problem(GOOD_EAN[:12] + "4", "barcode")
    assert wrong is not None and "expected 3" in wrong.message
    # Other lengths are not EAN-13s: in-house codes and GTIN-14 case codes pass this rule.
    assert ean13_problem("ABC-123", "barcode") is None
    assert ean13_problem("16923450657710", "barcode") is None


def test_a_good_products_file_gives_the_drafts_the_mutation_would_get() -> None:
    parsed = parse_products(*read_sheet(csv_bytes(
        "SKU,Name,Unit of measure,qc_required,list_price,tags,barcode,case_barcode,case_quantity",
        f"A1,Drill,box,yes,\"1,299.50\",seasonal; promo,{GOOD_EAN},16923450657710,12",
        "A2,Saw,,,,,,,")))
    assert parsed.errors == []
    (first_row, first), (second_row, second) = parsed.rows
    assert (first_row, second_row) == (2, 3)
    assert first.draft.unit_of_measure == "box" and first.draft.qc_required is True
    assert first.draft.list_price == Decimal("1299.50")
    assert first.draft.tags == ("seasonal", "promo")
    assert [(b.barcode, b.pack_quantity) for b in first.draft.barcodes] == [
        (GOOD_EAN, Decimal(1)), ("16923450657710", Decimal(12))]
    assert second.draft.unit_of_measure == "pcs" and second.draft.barcodes == ()


def test_chinese_column_labels_name_the_same_columns() -> None:
    parsed = parse_products(*read_sheet(csv_bytes("商品编码,名称,条码", f"A1,电钻,{GOOD_EAN}")))
    assert parsed.errors == []
    assert parsed.rows[0][1].draft.name == "电钻"


def test_every_bad_cell_is_reported_with_row_and_column() -> None:
    parsed = parse_products(*read_sheet(csv_bytes(
        "sku,name,list_price,safety_stock,barcode,case_barcode,case_quantity,qc_required",
        f"bad sku,Drill,x,-1,{GOOD_EAN[:12]}4,,,maybe",
        "A2,,1.23456,,,CASE-1,,",
        f"A3,Saw,,,,,{12},")))
    assert errors_of(parsed) == [
        (2, "barcode"), (2, "list_price"), (2, "qc_required"), (2, "safety_stock"), (2, "sku"),
        (3, "case_quantity"), (3, "list_price"), (3, "name"),
        (4, "case_barcode")]


def test_a_sku_or_barcode_given_twice_is_reported_on_its_later_row() -> None:
    parsed = parse_products(*read_sheet(csv_bytes(
        "sku,name,barcode,case_barcode,case_quantity",
        f"A1,Drill,{GOOD_EAN},,", f"A2,Saw,,{GOOD_EAN},6", "A1,Drill again,,,")))
    assert sorted(parsed.errors, key=lambda error: error.row) == [
        RowError(3, "case_barcode", f"barcode {GOOD_EAN} is also on row 2 (sku A1)", "DUPLICATE"),
        RowError(4, "sku", "repeats row 2 (sku A1)", "DUPLICATE")]


def test_a_bad_header_rejects_the_file_at_once() -> None:
    with pytest.raises(FileRejected) as rejected:
        parse_products(*read_sheet(csv_bytes("sku,colour,sku", "A1,red,A1")))
    assert [(error.row, error.column) for error in rejected.value.errors] == [
        (1, "colour"), (1, "sku"), (1, "name")]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "the file is empty"),
    (b"sku,name\n\n,\n", "no data rows"),
    (b"sku,name\nA1,\xff\n", "neither an .xlsx workbook nor UTF-8"),
    (b"PK\x03\x04 not really a zip", "the workbook cannot be read"),
])
def test_an_unreadable_or_empty_file_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        parse_products(*read_sheet(data))
    assert reason in rejected.value.errors[0].reason


def test_xlsx_numbers_read_as_the_text_typed() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["sku", "name", "barcode", "list_price", "safety_stock"])
    sheet.append([1001, "Drill", int(GOOD_EAN), 12.5, 3.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_products(*read_sheet(buffer.getvalue()))
    assert parsed.errors == []
    draft = parsed.rows[0][1].draft
    assert (draft.sku, draft.barcodes[0].barcode) == ("1001", GOOD_EAN)
    assert (draft.list_price, draft.safety_stock) == (Decimal("12.5"), Decimal(3))
    assert cell_text(None) == "" and cell_text(True) == "true"


def test_skipping_keeps_the_good_rows_and_reports_the_others() -> None:
    parsed = parse_suppliers(*read_sheet(csv_bytes(
        "code,name,contact_email,over_receipt_tolerance_pct",
        "S1,One,a@b.example,5", "S2,Two,not-an-email,", "S3,Three,,-2")))
    with pytest.raises(FileRejected):
        settle(parsed, skip_bad_rows=False)
    kept, skipped = settle(parsed, skip_bad_rows=True)
    assert [draft.code for draft in kept] == ["S1"]
    assert [(error.row, error.column) for error in skipped] == [
        (3, "contact_email"), (4, "over_receipt_tolerance_pct")]


def test_supplier_item_rows_take_defaults_and_one_preferred_per_sku() -> None:
    parsed = parse_supplier_items(*read_sheet(csv_bytes(
        "supplier,sku,price,currency,moq,pack_multiple,lead_time_days,preferred",
        "S1,P1,10,,,,,yes", "S2,P1,9,usd,0,,2.5,yes", "S1,P1,11,,,,,", "S3,P2,,,,,4000,")))
    assert errors_of(parsed) == [
        (3, "currency"), (3, "lead_time_days"), (3, "moq"), (3, "preferred"),
        (4, "sku"), (5, "lead_time_days"), (5, "price")]
    terms = parsed.rows[0][1].terms
    assert (terms.currency, terms.moq, terms.pack_multiple, terms.lead_time_days) == (
        "CNY", Decimal(1), Decimal(1), 7)


def test_customer_and_location_rows() -> None:
    customers = parse_customers(*read_sheet(csv_bytes(
        "code,name,region,salesperson", "C1,Shop,East,sales", "C 2,Shop,,")))
    assert errors_of(customers) == [(3, "code")]
    assert customers.rows[0][1].salesperson == "sales"
    locations = parse_locations(*read_sheet(csv_bytes(
        "code,warehouse,type", "B1,WH1,质检", "B2,WH1,", "B3,WH1,roof")))
    assert errors_of(locations) == [(4, "type")]
    assert [draft.type for _, draft in locations.rows[:2]] == [LocationType.QC,
                                                                LocationType.STORAGE]


def test_opening_stock_rows_are_judged_as_adjustments() -> None:
    parsed = parse_opening_stock(*read_sheet(csv_bytes(
        "warehouse,location,sku,lot,quantity,unit_cost",
        "WH1,A-01,P1,L1,10,2.5", "WH1,A-01,P1,,0,1", "WH1,A-01,P1,L1,5,1",
        "WH1,A-01,P2,,-3,1", "WH1,A-01,P3,,1.00001,-1", "WH1,A-01,P4,,1,")))
    assert errors_of(parsed) == [
        (3, "quantity"), (4, "sku"), (5, "quantity"), (6, "quantity"), (6, "unit_cost"),
        (7, "unit_cost")]
    assert parsed.rows[0][1].lot == "L1" and parsed.rows[0][1].unit_cost == Decimal("2.5")


@pytest.mark.parametrize("kind", list(ImportKind))
@pytest.mark.parametrize("file_format", list(TemplateFormat))
def test_every_template_passes_its_own_row_checks(
    kind: ImportKind, file_format: TemplateFormat
) -> None:
    data, name, _ = template(kind, file_format)
    assert name == f"{kind.value}-template.{file_format.value}"
    parse = {ImportKind.PRODUCTS: parse_products, ImportKind.SUPPLIERS: parse_suppliers,
             ImportKind.SUPPLIER_ITEMS: parse_supplier_items,
             ImportKind.CUSTOMERS: parse_customers, ImportKind.LOCATIONS: parse_locations,
             ImportKind.OPENING_STOCK: parse_opening_stock}[kind]
    parsed = parse(*read_sheet(data))
    assert parsed.errors == [] and len(parsed.rows) == 1
    if file_format is TemplateFormat.XLSX:
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        assert sheet.cell(row=1, column=1).font.bold
