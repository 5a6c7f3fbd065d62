"""Made-up documents of each kind, shaped exactly as ``server.documents.views`` builds the real
ones, for previewing a template before it is saved (and for tests and the benchmark).

Nothing here reads the database: a preview must work on an empty one and must not show real
customers or prices to whoever edits templates.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from server.documents.models import DocumentKind
from server.documents.views_common import (
    ZERO,
    View,
    checked_language,
    money,
    money_text,
    quantity_text,
    view_of,
)
from server.finance.receivables import VAT_RATE

SAMPLE_DATE = "2026-11-25"
SAMPLE_TIME = "2026-11-25 09:30"
SAMPLE_NUMBERS = {
    DocumentKind.PURCHASE_ORDER: "PO-2026-000042", DocumentKind.ASN_LABEL: "ASN-2026-000017",
    DocumentKind.RECEIPT: "GR-2026-000031", DocumentKind.PICK_LIST: "PK-2026-000001",
    DocumentKind.DELIVERY_NOTE: "SH-2026-000008", DocumentKind.SHIPPING_LABEL: "SH-2026-000008",
    DocumentKind.INVOICE: "SH-2026-000008",
}
SAMPLE_ORDER = "SO-2026-000003"
# (sku, name, unit, unit price): a few products of a food distributor, with Chinese names.
PRODUCTS = (
    ("SKU-1001", "有机大米 5kg", "bag", Decimal("58.00")),
    ("SKU-1002", "花生油 1.8L", "bottle", Decimal("36.50")),
    ("SKU-1003", "酱油 500ml", "bottle", Decimal("9.80")),
    ("SKU-1004", "绿茶 250g", "box", Decimal("45.00")),
    ("SKU-1005", "挂面 1kg", "bag", Decimal("12.30")),
)
SUPPLIER = {"code": "HXFOOD", "name": "华鑫食品有限公司", "contact": "王经理",
            "phone": "021-5555-0101", "email": "sales@hxfood.example"}
CUSTOMER = {"code": "C-SH-001", "name": "上海鲜果超市", "region": "华东", "address": ""}
WAREHOUSE = {"code": "SH", "name": "上海仓"}


def _product(index: int) -> dict[str, str]:
    sku, name, unit, _ = PRODUCTS[index % len(PRODUCTS)]
    return {"sku": sku if index < len(PRODUCTS) else f"{sku}-{index}", "name": name, "unit": unit}


def _quantity(index: int) -> Decimal:
    return Decimal(6 + 6 * (index % 4))


def _priced_lines(count: int) -> list[dict[str, Any]]:
    lines = []
    for index in range(count):
        price = PRODUCTS[index % len(PRODUCTS)][3]
        quantity = _quantity(index)
        lines.append({"no": index + 1, **_product(index), "quantity": quantity_text(quantity),
                      "unit_price": money_text(price), "amount": money_text(quantity * price)})
    return lines


def _totals(lines: list[dict[str, Any]], tax_rate: Decimal = ZERO) -> dict[str, str]:
    quantity = sum((Decimal(line["quantity"]) for line in lines), start=ZERO)
    amount = money(sum((Decimal(line.get("amount") or 0) for line in lines), start=ZERO))
    tax = money(amount * tax_rate)
    return {"quantity": quantity_text(quantity), "amount": str(amount),
            "tax": str(tax) if tax_rate else "", "total": str(amount + tax)}


def _purchase_order(language: str, count: int) -> View:
    lines = [{**line, "requested_date": "2026-12-01", "confirmed_date": "2026-12-02"}
             for line in _priced_lines(count)]
    approvals = [{"step": "采购经理审批", "approver": "manager", "decision": "approved",
                  "at": SAMPLE_TIME, "comment": "同意"},
                 {"step": "财务总监审批", "approver": "finance", "decision": "approved",
                  "at": "2026-11-25 11:05", "comment": ""}]
    return view_of(DocumentKind.PURCHASE_ORDER, language,
                   {"number": SAMPLE_NUMBERS[DocumentKind.PURCHASE_ORDER], "date": SAMPLE_DATE,
                    "status": "sent", "notes": "请在工作日送货"},
                   {"supplier": dict(SUPPLIER), "warehouse": dict(WAREHOUSE)}, lines,
                   _totals(lines), {"currency": "CNY", "approvals": approvals})


def _asn_label(language: str, count: int) -> View:
    lines = [{"no": index + 1, **_product(index), "quantity": quantity_text(_quantity(index)),
              "lot": f"L{2611 + index}", "expiry": "2027-05-31",
              "sscc": "069012340000000016" if index == 0 else ""} for index in range(count)]
    return view_of(DocumentKind.ASN_LABEL, language,
                   {"number": SAMPLE_NUMBERS[DocumentKind.ASN_LABEL], "date": SAMPLE_DATE,
                    "status": "", "reference": SAMPLE_NUMBERS[DocumentKind.PURCHASE_ORDER]},
                   {"supplier": dict(SUPPLIER), "warehouse": dict(WAREHOUSE)}, lines,
                   {**_totals(lines), "amount": "", "total": ""},
                   {"carrier": "顺丰速运", "tracking_number": "SF1234567890",
                    "expected_arrival": "2026-11-28", "ssccs": ["069012340000000016"]})


def _receipt(language: str, count: int) -> View:
    lines = []
    for line in _priced_lines(count):
        rejected = Decimal(1) if line["no"] == 1 else ZERO
        lines.append({**line, "order_line_no": line["no"], "lot": f"L{2610 + line['no']}",
                      "expiry": "2027-05-31", "bucket": "quarantine" if rejected else "available",
                      "qc": "partial" if rejected else "", "rejected": quantity_text(rejected),
                      "accepted": quantity_text(Decimal(line["quantity"]) - rejected)})
    inspections = [{"line_no": 1, "result": "partial", "accepted": lines[0]["accepted"],
                    "rejected": "1", "inspector": "qc1", "at": SAMPLE_TIME,
                    "notes": "一袋破损"}] if lines else []
    return view_of(DocumentKind.RECEIPT, language,
                   {"number": SAMPLE_NUMBERS[DocumentKind.RECEIPT], "date": SAMPLE_DATE,
                    "status": "", "reference": SAMPLE_NUMBERS[DocumentKind.PURCHASE_ORDER]},
                   {"supplier": dict(SUPPLIER), "warehouse": dict(WAREHOUSE)}, lines,
                   {**_totals(lines), "tax": ""},
                   {"notice_number": SAMPLE_NUMBERS[DocumentKind.ASN_LABEL],
                    "received_by": "dock1", "received_at": SAMPLE_TIME,
                    "inspections": inspections})


def _pick_list(language: str, count: int) -> View:
    lines = [{"no": index + 1, **_product(index), "quantity": quantity_text(_quantity(index)),
              "bin": f"SH-{chr(ord('A') + index // 40 % 26)}-{index // 4 % 10 + 1:02d}",
              "lot": f"L{2611 + index % 7}", "order_number": SAMPLE_ORDER,
              "customer": CUSTOMER["name"], "picked": "0", "short": "0", "status": "open"}
             for index in range(count)]
    lines.sort(key=lambda line: (line["bin"], line["no"]))
    groups: list[dict[str, Any]] = []
    for line in lines:
        if not groups or groups[-1]["bin"] != line["bin"]:
            groups.append({"bin": line["bin"], "lines": []})
        groups[-1]["lines"].append(line)
    return view_of(DocumentKind.PICK_LIST, language,
                   {"number": SAMPLE_NUMBERS[DocumentKind.PICK_LIST], "date": SAMPLE_DATE,
                    "status": "open", "reference": SAMPLE_ORDER},
                   {"warehouse": dict(WAREHOUSE)}, lines,
                   {**_totals(lines), "amount": "", "total": ""},
                   {"groups": groups, "order_numbers": [SAMPLE_ORDER]})


def _shipment(kind: DocumentKind, language: str, count: int) -> View:
    lines = [{**line, "lot": f"L{2611 + index}", "order_number": SAMPLE_ORDER,
              "order_line_no": line["no"]} for index, line in enumerate(_priced_lines(count))]
    invoice = kind == DocumentKind.INVOICE
    extra: dict[str, Any] = {"carrier": "顺丰速运", "tracking_number": "SF9876543210",
                             "pick_list_number": SAMPLE_NUMBERS[DocumentKind.PICK_LIST],
                             "shipped_by": "warehouse1", "shipped_at": SAMPLE_TIME,
                             "order_number": SAMPLE_ORDER, "order_numbers": [SAMPLE_ORDER]}
    if invoice:
        extra.update(tax_rate=f"{quantity_text(VAT_RATE * 100)}%", currency="CNY")
    return view_of(kind, language,
                   {"number": SAMPLE_NUMBERS[kind], "date": SAMPLE_DATE, "status": "shipped",
                    "reference": SAMPLE_ORDER},
                   {"customer": dict(CUSTOMER), "warehouse": dict(WAREHOUSE)}, lines,
                   _totals(lines, VAT_RATE if invoice else ZERO), extra)


_BUILDERS: dict[DocumentKind, Callable[[str, int], View]] = {
    DocumentKind.PURCHASE_ORDER: _purchase_order,
    DocumentKind.ASN_LABEL: _asn_label,
    DocumentKind.RECEIPT: _receipt,
    DocumentKind.PICK_LIST: _pick_list,
    DocumentKind.DELIVERY_NOTE: lambda language, count: _shipment(
        DocumentKind.DELIVERY_NOTE, language, count),
    DocumentKind.SHIPPING_LABEL: lambda language, count: _shipment(
        DocumentKind.SHIPPING_LABEL, language, count),
    DocumentKind.INVOICE: lambda language, count: _shipment(
        DocumentKind.INVOICE, language, count),
}


def sample_view(kind: DocumentKind, language: str, line_count: int = 3) -> View:
    """A made-up document of ``kind`` with ``line_count`` lines, in the view model's shape."""
    return _BUILDERS[kind](checked_language(language), line_count)
