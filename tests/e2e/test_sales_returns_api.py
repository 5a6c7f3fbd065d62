"""Sales returns over GraphQL: createSalesReturn with its userErrors, the return number resolved
as a barcode, receiveSalesReturn by scan, the QC task on the warehouse's list, inspectSalesReturn,
salesReturn / salesReturns, customerCreditNotes and the invoice's credited amount."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.picking_setup import picking_world, put_stock
from tests.returns_setup import ship_order
from tests.world import World

ERRORS = "userErrors { code field message }"
RETURN = """number salesOrderNumber customerCode warehouseCode state reason
  lines { lineNo sku orderLineNo quantity unitPrice unitCost received restocked scrapped }"""
CREATE = f"""mutation($input: CreateSalesReturnInput!) {{ createSalesReturn(input: $input) {{
  salesReturn {{ {RETURN} }} {ERRORS} }} }}"""
RESOLVE = """query($code: String!) { resolveBarcode(code: $code) {
  scan { kind documentNumber } userErrors { code } } }"""
RECEIVE = f"""mutation($input: ReceiveSalesReturnInput!) {{ receiveSalesReturn(input: $input) {{
  receipt {{ number lines {{ lineNo quantity taskId }} }} salesReturn {{ state }} {ERRORS} }} }}"""
INSPECT = f"""mutation($input: InspectSalesReturnInput!) {{ inspectSalesReturn(input: $input) {{
  salesReturn {{ state lines {{ restocked scrapped }} }} {ERRORS} }} }}"""
READ = f"""query($number: String!) {{ salesReturn(number: $number) {{ {RETURN} }} }}"""
LIST = """query($order: String) { salesReturns(salesOrderNumber: $order) {
  nodes { number state } } }"""
CREDITS = """query($number: String) { customerCreditNotes(returnNumber: $number) {
  nodes { number customerCode returnNumber receiptNumber subtotal tax total appliedAmount
          unappliedAmount applications { amount } } } }"""
INVOICES = """{ customerInvoices { nodes { creditedAmount openAmount } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    return world


def create_input(order: str, quantity: str) -> dict[str, Any]:
    return {"input": {"salesOrderNumber": order, "reason": "wrong colour",
                      "idempotencyKey": uuid.uuid4().hex,
                      "lines": [{"sku": "P1", "quantity": quantity}]}}


async def test_a_return_over_graphql_from_announcement_to_credit(
    api: Api, db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 4}, unit_price="300")
    sales, warehouse, qc, finance = [await token_for(db, world[name])
                                     for name in ("sales", "warehouse", "qc", "finance")]
    too_many = (await api(CREATE, create_input(order, "5"), token=sales))["data"]
    assert too_many["createSalesReturn"]["salesReturn"] is None
    assert [(e["code"], e["field"]) for e in too_many["createSalesReturn"]["userErrors"]] == [
        ("OVER_RETURN", "lines[0].quantity")]
    created = (await api(CREATE, create_input(order, "2"), token=sales))["data"]
    rma = created["createSalesReturn"]["salesReturn"]
    assert (rma["salesOrderNumber"], rma["state"], rma["lines"][0]["unitCost"]) == (
        order, "OPEN", "100.0000")
    number = rma["number"]
    scan = (await api(RESOLVE, {"code": number}, token=warehouse))["data"]["resolveBarcode"]
    assert scan["scan"] == {"kind": "SALES_RETURN", "documentNumber": number}

    received = (await api(RECEIVE, {"input": {
        "document": number, "warehouseCode": "WH1", "idempotencyKey": uuid.uuid4().hex,
        "lines": [{"barcode": "6901234567892", "quantity": "2"}]}}, token=warehouse))["data"]
    payload = received["receiveSalesReturn"]
    assert payload["userErrors"] == [] and payload["salesReturn"]["state"] == "RECEIVED"
    [line] = payload["receipt"]["lines"]
    inspected = (await api(INSPECT, {"input": {
        "taskId": line["taskId"], "restockQuantity": "1", "scrapQuantity": "1",
        "idempotencyKey": uuid.uuid4().hex}}, token=qc))["data"]["inspectSalesReturn"]
    assert inspected == {"salesReturn": {"state": "CLOSED", "lines": [
        {"restocked": "1.0000", "scrapped": "1.0000"}]}, "userErrors": []}
    wrong_role = (await api(INSPECT, {"input": {
        "taskId": line["taskId"], "restockQuantity": "1", "idempotencyKey": uuid.uuid4().hex}},
        token=warehouse))["data"]["inspectSalesReturn"]
    assert wrong_role["userErrors"][0]["code"] == "FORBIDDEN"

    read = (await api(READ, {"number": number}, token=warehouse))["data"]["salesReturn"]
    assert [(x["received"], x["restocked"], x["scrapped"]) for x in read["lines"]] == [
        ("2.0000", "1.0000", "1.0000")]
    listed = (await api(LIST, {"order": order}, token=sales))["data"]["salesReturns"]
    assert listed["nodes"] == [{"number": number, "state": "CLOSED"}]
    credits = (await api(CREDITS, {"number": number}, token=finance))["data"]
    [note] = credits["customerCreditNotes"]["nodes"]
    assert (note["customerCode"], note["receiptNumber"], note["subtotal"], note["tax"],
            note["total"], note["appliedAmount"], note["unappliedAmount"]) == (
        "C1", payload["receipt"]["number"], "600.00", "78.00", "678.00", "678.00", "0.00")
    [invoice] = (await api(INVOICES, {}, token=finance))["data"]["customerInvoices"]["nodes"]
    assert invoice == {"creditedAmount": "678.00", "openAmount": "678.00"}
