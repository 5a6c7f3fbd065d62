"""Receivables over GraphQL: the invoice a shipment raised, read in a list and by number,
recordPayment with its userErrors, receivablesAgeing, and who may see what."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.integration.test_receivables import ship
from tests.picking_setup import picking_world, put_stock
from tests.world import World

ERRORS = "userErrors { code field message }"
INVOICE = """number shipmentNumber customerCode salespersonUsername region subtotal tax total
  paidAmount openAmount state lines { lineNo sku quantity unitPrice amount }
  allocations { paymentNumber invoiceNumber amount }"""
LIST = """query($customer: String) { customerInvoices(customerCode: $customer) {
  nodes { number state openAmount } } }"""
READ = f"""query($number: String!) {{ customerInvoice(number: $number) {{ {INVOICE} }} }}"""
PAY = f"""mutation($input: RecordPaymentInput!) {{ recordPayment(input: $input) {{
  payment {{ number customerCode amount unallocated allocations {{ invoiceNumber amount }} }}
  {ERRORS} }} }}"""
AGEING = """query($asOf: Date) { receivablesAgeing(asOf: $asOf, groupBy: SALESPERSON) {
  code current days1To30 days31To60 days61To90 over90Days total } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "50")
    return world


def pay(amount: str, *allocations: tuple[str, str]) -> dict[str, Any]:
    return {"input": {"customerCode": "C1", "amount": amount, "receivedOn": "2026-06-01",
                      "reference": "bank", "allocations": [
                          {"invoiceNumber": number, "amount": value}
                          for number, value in allocations]}}


async def test_invoices_payments_and_ageing_over_graphql(
    api: Api, db: Database, world: World
) -> None:
    shipment = await ship(db, world, {"P1": 2}, "500")
    finance, sales, warehouse = [await token_for(db, world[name])
                                 for name in ("finance", "sales", "warehouse")]
    listed = await api(LIST, {"customer": "C1"}, token=finance)
    [node] = listed["data"]["customerInvoices"]["nodes"]
    assert (node["state"], node["openAmount"]) == ("OPEN", "1130.00")
    number = node["number"]
    refused = await api(PAY, pay("100", (number, "1130.01")), token=finance)
    assert refused["data"]["recordPayment"]["payment"] is None
    assert [(e["code"], e["field"]) for e in refused["data"]["recordPayment"]["userErrors"]] == [
        ("OVER_ALLOCATED", "allocations[0].amount"), ("OVER_ALLOCATED", "allocations")]
    forbidden = await api(PAY, pay("100", (number, "100")), token=sales)
    assert forbidden["data"]["recordPayment"]["userErrors"][0]["code"] == "FORBIDDEN"
    paid = await api(PAY, pay("200", (number, "130")), token=finance)
    assert paid["data"]["recordPayment"]["userErrors"] == []
    payment = paid["data"]["recordPayment"]["payment"]
    assert (payment["customerCode"], payment["amount"], payment["unallocated"]) == (
        "C1", "200.00", "70.00")
    read = (await api(READ, {"number": number}, token=sales))["data"]["customerInvoice"]
    assert (read["shipmentNumber"], read["salespersonUsername"], read["region"]) == (
        shipment, "sales", "East")
    assert (read["subtotal"], read["tax"], read["total"], read["paidAmount"], read["state"]) == (
        "1000.00", "130.00", "1130.00", "130.00", "PARTIALLY_PAID")
    assert [(line["sku"], line["quantity"], line["amount"]) for line in read["lines"]] == [
        ("P1", "2.0000", "1000.00")]
    assert [(a["paymentNumber"], a["amount"]) for a in read["allocations"]] == [
        (payment["number"], "130.00")]
    ageing = await api(AGEING, {"asOf": "2099-12-31"}, token=finance)
    assert ageing["data"]["receivablesAgeing"] == [
        {"code": "sales", "current": "0.00", "days1To30": "0.00", "days31To60": "0.00",
         "days61To90": "0.00", "over90Days": "1000.00", "total": "1000.00"}]
    hidden = await api(READ, {"number": number}, token=warehouse)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
