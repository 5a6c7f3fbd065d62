"""The handheld receives a transfer as it receives a PO: the transfer's open quantities become the
lines to count, and what is counted goes to receiveTransfer under the transfer's number."""

from __future__ import annotations

from decimal import Decimal

from pda_client.documents import ReceivingDocument, products_query, transfer_document
from pda_client.receive import transfer_receipt_input

TRANSFER = {"number": "TR-2026-000001", "state": "PARTIALLY_RECEIVED", "version": 4,
            "toWarehouseCode": "WH2",
            "lines": [{"lineNo": 1, "sku": "P1", "quantity": "8", "shipped": "8",
                       "received": "3"},
                      {"lineNo": 2, "sku": "P2", "quantity": "2", "shipped": "2",
                       "received": "2"}]}
P1 = {"name": "Product P1", "qcRequired": False,
      "barcodes": [{"barcode": "6901234567892", "packQuantity": "1"}]}


def test_a_transfer_expects_what_travelled_and_is_not_received_yet() -> None:
    document = ReceivingDocument.from_json(
        transfer_document("TR-2026-000001", TRANSFER, {"P1": P1}))
    assert (document.number, document.warehouse_code, document.version) == (
        "TR-2026-000001", "WH2", 4)
    assert [(line.sku, line.remaining, line.max_receivable) for line in document.lines] == [
        ("P1", Decimal(5), Decimal(5)), ("P2", Decimal(0), Decimal(0))]
    assert [b.barcode for b in document.lines[0].barcodes] == ["6901234567892"]
    assert document.lines[1].barcodes == ()


def test_what_is_counted_goes_under_the_transfer_number() -> None:
    counted = {"document": "TR-2026-000001", "warehouseCode": "WH2", "basedOnVersion": 4,
               "idempotencyKey": "k1", "lines": [{"barcode": "6901234567892", "quantity": "5"}]}
    assert transfer_receipt_input(counted) == {
        "transferNumber": "TR-2026-000001", "warehouseCode": "WH2", "basedOnVersion": 4,
        "idempotencyKey": "k1", "lines": [{"barcode": "6901234567892", "quantity": "5"}]}


def test_products_are_asked_for_by_alias_with_their_skus_quoted() -> None:
    query = products_query(["P1", 'odd"sku'])
    assert 'p0: product(sku: "P1")' in query and 'p1: product(sku: "odd\\"sku")' in query
