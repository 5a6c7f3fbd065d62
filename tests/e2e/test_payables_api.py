"""Payables over GraphQL: record a supplier invoice, read it back with its match, approve it,
set the finance policy; errors come back as userErrors."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.receiving_setup import approved_order, receive, receiving_world

RECORD = """
mutation Record($input: RecordSupplierInvoiceInput!) {
  recordSupplierInvoice(input: $input) {
    supplierInvoice { id state subtotal total supplierCode
      lines { lineNo poNumber poLineNo sku result quantity acceptedQuantity orderPrice
              priceVariance quantityVariance amount } }
    userErrors { code field message }
  }
}"""

APPROVE = """
mutation Approve($id: ID!) {
  approveSupplierInvoice(input: {id: $id}) {
    supplierInvoice { id state decidedAt } userErrors { code field }
  }
}"""

LIST = """
query List($state: SupplierInvoiceState) {
  supplierInvoices(supplierCode: "S1", state: $state) {
    nodes { invoiceNumber state lines { result } } pageInfo { hasNextPage }
  }
}"""

POLICY = """
mutation Policy($input: SetFinancePolicyInput!) {
  setFinancePolicy(input: $input) {
    financePolicy { priceTolerancePct approvalThreshold paymentTermsDays }
    userErrors { code field }
  }
}"""


def record_input(number: str, po: str, quantity: str, price: str) -> dict[str, Any]:
    return {"input": {"supplierCode": "S1", "invoiceNumber": number, "invoiceDate": "2026-11-20",
                      "tax": "13.00",
                      "lines": [{"poNumber": po, "lineNo": 1, "quantity": quantity,
                                 "unitPrice": price}]}}


@pytest.mark.usefixtures("api")
async def test_record_read_and_approve(api: Api, db: Database) -> None:
    world = await receiving_world(db)
    order = await approved_order(db, world, {"P1": 10})
    await receive(db, world, order.number, [("P1", 6, "L1")])
    await receive(db, world, order.number, [("P1", 4, "L2")])
    finance = await token_for(db, world["finance"])
    manager = await token_for(db, world["manager"])

    body = await api(RECORD, record_input("F-100", order.number, "12", "101"), token=finance)
    payload = body["data"]["recordSupplierInvoice"]
    assert payload["userErrors"] == []
    held = payload["supplierInvoice"]
    assert (held["state"], held["subtotal"], held["total"]) == ("VARIANCE", "1212.00", "1225.00")
    [line] = held["lines"]
    assert (line["poNumber"], line["poLineNo"], line["sku"], line["result"]) == (
        order.number, 1, "P1", "QUANTITY_VARIANCE")
    # 2 beyond the 10 accepted × 101 = 202; (101 − 100) × 12 = 12
    assert (line["quantityVariance"], line["priceVariance"]) == ("202.00", "12.00")

    duplicate = await api(RECORD, record_input("F-100", order.number, "1", "100"), token=finance)
    assert duplicate["data"]["recordSupplierInvoice"]["userErrors"][0]["code"] == \
        "DUPLICATE_INVOICE"
    refused = await api(APPROVE, {"id": held["id"]}, token=finance)
    assert refused["data"]["approveSupplierInvoice"]["userErrors"][0]["code"] == "NOT_MATCHED"

    policy = await api(POLICY, {"input": {"priceTolerancePct": "1", "approvalThreshold": "0"}},
                       token=manager)
    assert policy["data"]["setFinancePolicy"]["userErrors"][0]["code"] == "FORBIDDEN"
    policy = await api(POLICY, {"input": {"priceTolerancePct": "1"}}, token=finance)
    assert policy["data"]["setFinancePolicy"]["financePolicy"]["paymentTermsDays"] == 30

    listed = await api(LIST, {"state": "VARIANCE"}, token=manager)
    assert listed["data"]["supplierInvoices"]["nodes"] == [
        {"invoiceNumber": "F-100", "state": "VARIANCE", "lines": [{"result": "QUANTITY_VARIANCE"}]}]
    assert (await api(LIST, {"state": "MATCHED"}, token=manager))[
        "data"]["supplierInvoices"]["nodes"] == []
    forbidden = await api(LIST, {}, token=await token_for(db, world["sales"]))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    second = await approved_order(db, world, {"P1": 5})
    await receive(db, world, second.number, [("P1", 5, "L3")])
    body = await api(RECORD, record_input("F-101", second.number, "5", "100.5"), token=finance)
    matched = body["data"]["recordSupplierInvoice"]["supplierInvoice"]
    assert matched["state"] == "MATCHED", "within the 1 % price tolerance set above"
    approved = await api(APPROVE, {"id": matched["id"]}, token=finance)
    assert approved["data"]["approveSupplierInvoice"]["supplierInvoice"]["state"] == "APPROVED"
