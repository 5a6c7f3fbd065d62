"""What the server says about a document to receive against, and the GraphQL that asks it.

``receivingDocument`` answers with the expected lines (and their barcodes); ``receiveGoods``
answers with the receipt and the document as it stands afterwards. Both are kept in the offline
queue as the server sent them and read back into these dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pda_client.gs1 import Gs1Read

GTIN_LENGTHS = (8, 12, 13, 14)

DOCUMENT_FIELDS = """
fragment ReceivingDocumentFields on ReceivingDocument {
  scanned orderNumber noticeNumber sscc version state warehouseCode supplierCode
  lines {
    lineNo sku qcRequired ordered shipped received remaining maxReceivable lot expiry sscc
    product { name }
    barcodes { barcode packQuantity }
  }
}
"""

RECEIVING_DOCUMENT = """
query ReceivingDocument($code: String!) {
  receivingDocument(code: $code) { ...ReceivingDocumentFields }
}
""" + DOCUMENT_FIELDS

RECEIVE_GOODS = """
mutation ReceiveGoods($input: ReceiveGoodsInput!) {
  receiveGoods(input: $input) {
    receipt {
      number orderNumber noticeNumber receivedAt
      lines { lineNo orderLineNo quantity lot expiry bucket product { sku } }
    }
    current { ...ReceivingDocumentFields }
    userErrors { code field message }
  }
}
""" + DOCUMENT_FIELDS


def gtin_key(code: str) -> str:
    """GTIN-8/12/13 and GTIN-14 spellings of one product compare equal (padded to 14)."""
    return code.zfill(14) if code.isdigit() and len(code) in GTIN_LENGTHS else code


def read_keys(read: Gs1Read) -> list[str]:
    """The ``gtin_key`` forms a scan may match a product barcode by: its GTIN, plain text, raw."""
    return [gtin_key(code) for code in (read.gtin, read.plain, read.raw) if code]


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class PackBarcode:
    barcode: str
    pack_quantity: Decimal


def pack_barcodes(data: list[dict[str, Any]] | None) -> tuple[PackBarcode, ...]:
    """A product's ``barcodes { barcode packQuantity }`` as the server sent them."""
    return tuple(PackBarcode(b["barcode"], Decimal(b["packQuantity"])) for b in data or ())


@dataclass(frozen=True, slots=True)
class ExpectedLine:
    line_no: int
    sku: str
    name: str
    qc_required: bool
    ordered: Decimal
    shipped: Decimal
    received: Decimal
    remaining: Decimal
    max_receivable: Decimal
    lot: str | None
    expiry: date | None
    sscc: str | None
    barcodes: tuple[PackBarcode, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExpectedLine:
        return cls(
            line_no=int(data["lineNo"]), sku=data["sku"],
            name=(data.get("product") or {}).get("name", ""),
            qc_required=bool(data["qcRequired"]), ordered=Decimal(data["ordered"]),
            shipped=Decimal(data["shipped"]), received=Decimal(data["received"]),
            remaining=Decimal(data["remaining"]),
            max_receivable=Decimal(data["maxReceivable"]), lot=data.get("lot"),
            expiry=parse_date(data.get("expiry")), sscc=data.get("sscc"),
            barcodes=pack_barcodes(data.get("barcodes")),
        )


@dataclass(frozen=True, slots=True)
class ReceivingDocument:
    scanned: str
    order_number: str
    notice_number: str | None
    sscc: str | None
    version: int
    state: str
    warehouse_code: str
    supplier_code: str
    lines: tuple[ExpectedLine, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReceivingDocument:
        return cls(
            scanned=data["scanned"], order_number=data["orderNumber"],
            notice_number=data.get("noticeNumber"), sscc=data.get("sscc"),
            version=int(data["version"]), state=data["state"],
            warehouse_code=data["warehouseCode"], supplier_code=data["supplierCode"],
            lines=tuple(ExpectedLine.from_json(line) for line in data["lines"]),
        )

    @property
    def number(self) -> str:
        """What receiveGoods is told it receives against: the pallet, else the ASN, else the PO."""
        return self.sscc or self.notice_number or self.order_number


TRANSFER_PREFIX = "TR-"
TRANSFER_DOCUMENT = """
query TransferToReceive($number: String!) {
  transfer(number: $number) {
    number state version toWarehouseCode
    lines { lineNo sku quantity shipped received }
  }
}
"""
# One aliased field per product: the server caps a query's aliases, so a long transfer asks in
# chunks of this many.
PRODUCTS_PER_QUERY = 25
PRODUCT_FIELDS = "{ name qcRequired barcodes { barcode packQuantity } }"

RECEIVE_TRANSFER = """
mutation ReceiveTransfer($input: ReceiveTransferInput!) {
  receiveTransfer(input: $input) {
    transfer { number state version }
    userErrors { code field message }
  }
}
"""


def is_transfer_number(code: str) -> bool:
    return code.startswith(TRANSFER_PREFIX)


def products_query(skus: list[str]) -> str:
    fields = " ".join(f"p{index}: product(sku: {json.dumps(sku)}) {PRODUCT_FIELDS}"
                      for index, sku in enumerate(skus))
    return f"query ProductsToReceive {{ {fields} }}"


def transfer_document(scanned: str, transfer: dict[str, Any],
                      products: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A transfer in transit as the receiving session counts against it: one line per transfer
    line, expecting what was shipped and not yet received (never more)."""
    lines = []
    for line in transfer["lines"]:
        product = products.get(line["sku"]) or {}
        open_quantity = str(Decimal(line["shipped"]) - Decimal(line["received"]))
        lines.append({
            "lineNo": line["lineNo"], "sku": line["sku"],
            "qcRequired": bool(product.get("qcRequired")), "ordered": line["quantity"],
            "shipped": line["shipped"], "received": line["received"],
            "remaining": open_quantity, "maxReceivable": open_quantity, "lot": None,
            "expiry": None, "sscc": None, "product": {"name": product.get("name", "")},
            "barcodes": product.get("barcodes") or []})
    return {"scanned": scanned, "orderNumber": transfer["number"], "noticeNumber": None,
            "sscc": None, "version": transfer["version"], "state": transfer["state"],
            "warehouseCode": transfer["toWarehouseCode"], "supplierCode": "", "lines": lines}

SHIP_TRANSFER = """
mutation ShipTransfer($input: ShipTransferInput!) {
  shipTransfer(input: $input) {
    transfer { number state version }
    userErrors { code field message }
  }
}
"""
