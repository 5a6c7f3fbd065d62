"""Suppliers, supplier items, customers and locations file rows, judged without a database by
the catalog rules their mutations use. What a row names elsewhere (a supplier, a sku, a
warehouse, a salesperson) is checked by the importer against the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from server.catalog.drafts import CustomerDraft, SupplierDraft, SupplierItemTerms
from server.catalog.models import LocationType
from server.catalog.rules import (
    code_problem,
    customer_draft_problems,
    supplier_draft_problems,
    supplier_item_problems,
)
from server.catalog.service import LocationDraft
from server.catalog.supplier_items import DEFAULT_CURRENCY, DEFAULT_LEAD_TIME_DAYS
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
    int_value,
    mark_duplicates,
    records,
)

SUPPLIER_COLUMNS = (
    Column("code", "供应商编码", "S-100", required=True),
    Column("name", "名称", "Hangzhou Tools Co.", required=True),
    Column("contact_name", "联系人", "Wang Li"),
    Column("contact_phone", "联系电话", "+86 571 8888 0000"),
    Column("contact_email", "邮箱", "sales@hz-tools.example"),
    Column("over_receipt_tolerance_pct", "超收容差", "5"),
)
SUPPLIER_ITEM_COLUMNS = (
    Column("supplier", "供应商编码", "S-100", required=True),
    Column("sku", "商品编码", "P-1001", required=True),
    Column("price", "单价", "215.50", required=True),
    Column("currency", "币种", DEFAULT_CURRENCY),
    Column("moq", "最小起订量", "50"),
    Column("pack_multiple", "包装倍数", "10"),
    Column("lead_time_days", "交期天数", "14"),
    Column("preferred", "首选", "yes"),
)
CUSTOMER_COLUMNS = (
    Column("code", "客户编码", "C-2001", required=True),
    Column("name", "名称", "Suzhou Hardware Store", required=True),
    Column("region", "区域", "East"),
    Column("salesperson", "销售员", "zhang.wei"),
)
LOCATION_COLUMNS = (
    Column("code", "库位编码", "WH1-B-01", required=True),
    Column("warehouse", "仓库编码", "WH1", required=True),
    Column("type", "类型", LocationType.STORAGE.value),
)
LOCATION_TYPE_WORDS = {
    **{kind.value: kind for kind in LocationType},
    "收货": LocationType.RECEIVING, "质检": LocationType.QC, "存储": LocationType.STORAGE,
    "暂存": LocationType.STAGING, "不合格": LocationType.REJECTED,
}


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A supplier item row: every term given (an empty cell takes the default)."""

    terms: SupplierItemTerms

    @property
    def key(self) -> tuple[str, str]:
        return self.terms.supplier_code, self.terms.sku


def supplier_of(record: Record) -> tuple[SupplierDraft, list[RowError]]:
    errors: list[RowError] = []
    draft = SupplierDraft(
        code=record["code"], name=record["name"], contact_name=record["contact_name"],
        contact_phone=record["contact_phone"], contact_email=record["contact_email"],
        over_receipt_tolerance_pct=converted(record, "over_receipt_tolerance_pct",
                                             decimal_value, errors, decimal_value("0")),
    )
    errors.extend(row_errors(record.row, supplier_draft_problems(draft), {
        "code": "code", "name": "name", "contactName": "contact_name",
        "contactPhone": "contact_phone", "contactEmail": "contact_email",
        "overReceiptTolerancePct": "over_receipt_tolerance_pct"}))
    return draft, errors


def item_of(record: Record) -> tuple[ItemRow, list[RowError]]:
    errors: list[RowError] = []
    one = decimal_value("1")
    terms = SupplierItemTerms(
        supplier_code=record["supplier"], sku=record["sku"],
        price=converted(record, "price", decimal_value, errors, None),
        currency=record["currency"] or DEFAULT_CURRENCY,
        moq=converted(record, "moq", decimal_value, errors, one),
        pack_multiple=converted(record, "pack_multiple", decimal_value, errors, one),
        lead_time_days=converted(record, "lead_time_days", int_value, errors,
                                 DEFAULT_LEAD_TIME_DAYS),
        preferred=converted(record, "preferred", bool_value, errors, False),
        active=True,
    )
    errors.extend(row_errors(record.row, supplier_item_problems(terms), {
        "price": "price", "currency": "currency", "moq": "moq", "packMultiple": "pack_multiple",
        "leadTimeDays": "lead_time_days", "preferred": "preferred"}))
    return ItemRow(terms), errors


def customer_of(record: Record) -> tuple[CustomerDraft, list[RowError]]:
    draft = CustomerDraft(code=record["code"], name=record["name"], region=record["region"],
                          salesperson=record["salesperson"] or None)
    return draft, row_errors(record.row, customer_draft_problems(draft),
                             {"code": "code", "name": "name", "region": "region"})


def location_of(record: Record) -> tuple[LocationDraft, list[RowError]]:
    errors: list[RowError] = []
    word = record["type"].strip().lower() or LocationType.STORAGE.value
    kind = LOCATION_TYPE_WORDS.get(word)
    if kind is None:
        errors.append(RowError(record.row, "type", f"{record['type']!r} is not a location type: "
                               f"{', '.join(t.value for t in LocationType)}"))
    draft = LocationDraft(code=record["code"], warehouse_code=record["warehouse"],
                          type=kind or LocationType.STORAGE)
    problem = code_problem(draft.code, "code")
    errors.extend(row_errors(record.row, [problem] if problem else [], {"code": "code"}))
    return draft, errors


def parse_suppliers(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
                    ) -> Parsed[SupplierDraft]:
    parsed = each_row(records(header, rows, SUPPLIER_COLUMNS), supplier_of)
    mark_duplicates(parsed, lambda draft: draft.code, "code", lambda draft: f"code {draft.code}")
    return parsed


def parse_supplier_items(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
                         ) -> Parsed[ItemRow]:
    parsed = each_row(records(header, rows, SUPPLIER_ITEM_COLUMNS), item_of)
    mark_duplicates(parsed, lambda item: item.key, "sku",
                    lambda item: f"supplier {item.terms.supplier_code}, sku {item.terms.sku}")
    mark_duplicates(_preferred_only(parsed), lambda item: item.terms.sku, "preferred",
                    lambda item: f"only one supplier of sku {item.terms.sku} can be preferred")
    return parsed


def _preferred_only(parsed: Parsed[ItemRow]) -> Parsed[ItemRow]:
    """A view of the preferred rows whose duplicates are reported into ``parsed``."""
    view: Parsed[ItemRow] = Parsed(rows=[(row, item) for row, item in parsed.rows
                                         if item.terms.preferred], errors=parsed.errors)
    return view


def parse_customers(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
                    ) -> Parsed[CustomerDraft]:
    parsed = each_row(records(header, rows, CUSTOMER_COLUMNS), customer_of)
    mark_duplicates(parsed, lambda draft: draft.code, "code", lambda draft: f"code {draft.code}")
    return parsed


def parse_locations(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
                    ) -> Parsed[LocationDraft]:
    parsed = each_row(records(header, rows, LOCATION_COLUMNS), location_of)
    mark_duplicates(parsed, lambda draft: draft.code, "code", lambda draft: f"code {draft.code}")
    return parsed
