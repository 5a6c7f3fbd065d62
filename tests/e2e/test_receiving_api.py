"""receivingDocument, receiveGoods, receipt and receipts over GraphQL."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.receiving_setup import approved_order, receiving_world
from tests.world import World

DOCUMENT = """query($code: String!) { receivingDocument(code: $code) {
  scanned orderNumber noticeNumber version state warehouseCode supplierCode
  lines { lineNo sku qcRequired ordered shipped received remaining maxReceivable
          barcodes { barcode packQuantity } } } }"""
RECEIVE = """mutation($input: ReceiveGoodsInput!) { receiveGoods(input: $input) {
  receipt { number orderNumber warehouse { code } location { code } receivedBy
            lines { lineNo orderLineNo product { sku } quantity unitCost lot expiry bucket
                    barcode onTime } }
  current { version lines { lineNo received maxReceivable } }
  userErrors { code field message } } }"""
RECEIPTS = """query($order: String) { receipts(orderNumber: $order) {
  edges { node { number lines { quantity } } } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


def receive_input(document: str, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"input": {"document": document, "warehouseCode": "WH1", "lines": lines,
                      "idempotencyKey": str(uuid.uuid4()), **extra}}


async def test_scan_the_order_then_post_a_receipt(api: Api, db: Database, world: World) -> None:
    order = await approved_order(db, world, {"P1": 24, "P2": 5})
    token = await token_for(db, world["warehouse"])
    document = (await api(DOCUMENT, {"code": order.number}, token=token))["data"]
    expected = document["receivingDocument"]
    assert expected["state"] == "SENT" and expected["supplierCode"] == "S1"
    assert [(line["sku"], line["qcRequired"], Decimal(line["maxReceivable"]))
            for line in expected["lines"]] == [("P1", False, Decimal("25.2")),
                                               ("P2", True, Decimal("5.25"))]

    gs1 = "]C1010690123456789210LOT-7\x1d17271231"
    answer = await api(RECEIVE, receive_input(order.number, [
        {"barcode": gs1, "quantity": "12"}, {"sku": "P2", "quantity": "5"}],
        basedOnVersion=expected["version"]), token=token)
    payload = answer["data"]["receiveGoods"]
    assert payload["userErrors"] == [] and payload["current"] is None
    receipt = payload["receipt"]
    assert receipt["warehouse"]["code"] == "WH1" and receipt["location"]["code"] == "WH1-RCV"
    assert receipt["receivedBy"] == "warehouse"
    assert [(line["product"]["sku"], Decimal(line["quantity"]), line["lot"], line["expiry"],
             line["bucket"], Decimal(line["unitCost"])) for line in receipt["lines"]] == [
        ("P1", 12, "LOT-7", "2027-12-31", "AVAILABLE", 100),
        ("P2", 5, "", None, "PENDING_QC", 250),
    ]
    listed = (await api(RECEIPTS, {"order": order.number}, token=token))["data"]["receipts"]
    assert [edge["node"]["number"] for edge in listed["edges"]] == [receipt["number"]]


async def test_over_receipt_answers_a_user_error_with_the_current_document(
    api: Api, db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 10})
    token = await token_for(db, world["warehouse"])
    answer = await api(RECEIVE, receive_input(order.number, [{"sku": "P1", "quantity": "11"}]),
                       token=token)
    payload = answer["data"]["receiveGoods"]
    assert payload["receipt"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("OVER_RECEIPT", "lines[0].quantity")]
    [line] = payload["current"]["lines"]
    assert (Decimal(line["received"]), Decimal(line["maxReceivable"])) == (0, Decimal("10.5"))


async def test_anonymous_and_supplier_users_cannot_receive(
    api: Api, db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 10})
    variables = receive_input(order.number, [{"sku": "P1", "quantity": "1"}])
    anonymous = (await api(RECEIVE, variables))["data"]["receiveGoods"]
    assert anonymous["userErrors"][0]["code"] == "UNAUTHENTICATED"
    supplier = await api(RECEIVE, variables, token=await token_for(db, world["s1"]))
    assert supplier["data"]["receiveGoods"]["userErrors"][0]["code"] == "FORBIDDEN"
    hidden = await api(DOCUMENT, {"code": order.number}, token=await token_for(db, world["s1"]))
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


SHOWN = """receipt { number warehouse { code name } location { code }
                     lines { product { sku name unitOfMeasure tags } } }"""
RECEIVE_SHOWING = ("mutation($input: ReceiveGoodsInput!) { receiveGoods(input: $input) { "
                   + SHOWN + " userErrors { code } } }")
RECEIVE_NUMBER = """mutation($input: ReceiveGoodsInput!) { receiveGoods(input: $input) {
  receipt { number } userErrors { code } } }"""
RECEIPT_SHOWN = ("query($number: String!) { "
                 + SHOWN.replace("receipt {", "receipt(number: $number) {", 1) + " }")
# The tables the answer shows rows of; the app's background readers never read them.
SHOWN_TABLES = ("FROM product", "FROM warehouse", "FROM location")


async def test_the_answer_shows_the_rows_the_posting_read_without_reading_them_again(
    api: Api, db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 24})
    token = await token_for(db, world["warehouse"])
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if any(table in statement for table in SHOWN_TABLES):
            counted.append(statement)

    engine = api.database.engine.sync_engine
    await api(RECEIVE_NUMBER, receive_input(order.number, [{"sku": "P1", "quantity": "1"}]),
              token=token)  # the order's first receipt differs from the rest in its SQL
    sent: dict[str, int] = {}
    answers = {}
    for name, mutation in (("number", RECEIVE_NUMBER), ("shown", RECEIVE_SHOWING)):
        event.listen(engine, "before_cursor_execute", count)
        try:
            answers[name] = (await api(mutation, receive_input(
                order.number, [{"sku": "P1", "quantity": "1"}]), token=token))["data"]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        sent[name], counted[:] = len(counted), []
    assert sent["shown"] == sent["number"]
    shown = answers["shown"]["receiveGoods"]
    assert shown["userErrors"] == []
    fresh = await api(RECEIPT_SHOWN, {"number": shown["receipt"]["number"]}, token=token)
    assert fresh["data"]["receipt"] == shown["receipt"]
    assert shown["receipt"]["lines"][0]["product"]["sku"] == "P1"
