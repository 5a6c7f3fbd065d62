"""Issue #6 end to end on a real uvicorn: a sales rep's single-page app follows stockChanged and
salesAlerts while an order is refused, another backordered; a receipt fills the backorder; the
PDA picks (one short, re-picked from another bin), the order ships, and stock and COGS on the
ledger come out right. The PDA client is synchronous, so it runs in a worker thread."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pda_client import PdaClient
from server.db import Database, utcnow
from server.inventory.models import StockLedger
from server.receiving import receipts
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine
from tests.e2e.conftest import token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.sales_setup import purchase, put_stock, sales_world
from tests.world import PASSWORD, World

__all__ = ["live_server"]  # the fixture, imported for this module's tests

D = Decimal
P1_EAN = "6901234567892"
ORDER = """mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
  salesOrder { number state lines { reserved backordered picked shipped } }
  shortages { sku requested available expectedDate expectedQuantity }
  userErrors { code field message } } }"""
ORDER_STATE = """query($number: String!) { salesOrder(number: $number) {
  state lines { reserved backordered picked shipped } } }"""
RELEASE = """mutation($input: ReleasePickingInput!) { releasePicking(input: $input) {
  pickList { number lines { location { code } quantity } } userErrors { code message } } }"""
LEVELS = """{ stockLevels(warehouseCode: "WH1", skus: ["P1"]) {
  available reserved picked backordered onHand averageCost } }"""
ALERTS = """subscription { salesAlerts { kind orderNumber sku quantity salesperson message } }"""


@pytest.fixture
async def world(db: Database) -> World:
    return await sales_world(db)


class Spa:
    """The sales rep's app: plain GraphQL over HTTP with the rep's token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query,
                                                          "variables": variables})
        body = response.json()
        assert "errors" not in body, body
        return dict(body["data"])


def order_input(quantity: int, policy: str) -> dict[str, Any]:
    return {"customerCode": "C1", "warehouseCode": "WH1", "shortagePolicy": policy,
            "lines": [{"sku": "P1", "quantity": str(quantity)}]}


async def take_until(stream: Any, wanted: set[str], field: str = "kind") -> list[dict[str, Any]]:
    """Items of a live stream until one of each wanted value of ``field`` arrived."""
    seen: list[dict[str, Any]] = []
    while not wanted <= {item[field] for item in seen}:
        seen += await stream.take(1)
    return seen


async def test_refused_backordered_filled_picked_short_and_shipped(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    token = await token_for(db, world["sales"])
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live_server.port}",
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        await sell_pick_and_ship(live_server, db, world, tmp_path, Spa(http), token)


async def sell_pick_and_ship(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path, rep: Spa, token: str
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 3, lot="L1", unit_cost="10")
    await put_stock(db, world, "P1", "WH1-A-02", 10, lot="L2", unit_cost="10")
    due = utcnow().date() + timedelta(days=5)
    po = await purchase(db, world, "P1", 5, requested=due)
    alerts_cm = subscribed(live_server, token, document=ALERTS, field="salesAlerts")
    stock_cm = subscribed(live_server, token, warehouseCode="WH1", skus=["P1"])
    async with alerts_cm as alerts, stock_cm as stock:
        refused = (await rep(ORDER, input=order_input(20, "REJECT")))["createSalesOrder"]
        assert refused["salesOrder"] is None
        [error] = refused["userErrors"]
        assert (error["code"], error["field"]) == ("INSUFFICIENT_STOCK", "lines[0].quantity")
        [short] = refused["shortages"]
        assert (D(short["requested"]), D(short["available"]), D(short["expectedQuantity"]),
                short["expectedDate"]) == (20, 13, 5, due.isoformat())

        backordered = (await rep(ORDER, input=order_input(16, "BACKORDER")))["createSalesOrder"]
        number = backordered["salesOrder"]["number"]
        [line] = backordered["salesOrder"]["lines"]
        assert (D(line["reserved"]), D(line["backordered"])) == (13, 3)
        shortage = await take_until(alerts, {"SHORTAGE"})
        assert shortage[-1]["orderNumber"] == number and D(shortage[-1]["quantity"]) == 3
        reserved = await take_until(stock, {number}, field="documentNumber")
        assert D(reserved[-1]["levels"]["reserved"]) == 13

        await receipts.receive_goods(db, world["warehouse"], ReceiptRequest(
            po.number, "WH1", uuid.uuid4().hex, [ReceiveLine(D(5), sku="P1")]))
        ready = await take_until(alerts, {"BACKORDER_READY"})
        assert ready[-1]["orderNumber"] == number and ready[-1]["salesperson"] == "sales"
    state = (await rep(ORDER_STATE, number=number))["salesOrder"]
    assert [(D(x["reserved"]), D(x["backordered"])) for x in state["lines"]] == [(16, 0)]

    release = (await rep(RELEASE, input={"salesOrderNumbers": [number],
                                         "idempotencyKey": uuid.uuid4().hex}))
    pick_list = release["releasePicking"]["pickList"]
    assert [(x["location"]["code"], D(x["quantity"])) for x in pick_list["lines"]] == [
        ("WH1-A-01", 3), ("WH1-A-02", 10), ("WH1-RCV", 3)]

    def pick_and_ship() -> tuple[list[tuple[str, Decimal]], str | None]:
        with PdaClient(f"http://127.0.0.1:{live_server.port}/graphql",
                       queue_path=tmp_path / "pda.sqlite3", sleep=lambda _: None) as pda:
            pda.login("warehouse", PASSWORD)
            session = pda.next_pick_task("WH1")
            assert session is not None and session.number == pick_list["number"]
            assert "WRONG_BIN" in session.scan("WH1-A-02").warning_codes
            picked: list[tuple[str, Decimal]] = []
            while (current := session.current()) is not None:
                session.scan(current.bin)
                session.scan(P1_EAN)
                if current.bin == "WH1-A-01":  # one of the three is not there
                    session.scan(P1_EAN)
                    session.short(1, "box missing from the shelf")
                else:
                    session.set_quantity(current.remaining)
                assert session.confirm().status == "sent"
                picked.append((current.bin, session.lines()[-1].line.quantity))
            shipped = pda.confirm_shipment(session.number, "SF Express", "SF100200300")
            assert shipped.status == "sent", shipped
            return picked, shipped.shipment_number

    _, shipment = await asyncio.to_thread(pick_and_ship)
    assert shipment
    final = (await rep(ORDER_STATE, number=number))["salesOrder"]
    assert final["state"] == "SHIPPED"
    assert [D(x["shipped"]) for x in final["lines"]] == [16]
    [levels] = (await rep(LEVELS))["stockLevels"]
    # 13 counted in at 10, 5 received at 100: average 35; one unit written off, 16 shipped.
    assert (D(levels["available"]), D(levels["reserved"]), D(levels["picked"]),
            D(levels["onHand"]), D(levels["averageCost"])) == (1, 0, 0, 1, 35)
    async with db.reader() as session:
        rows = list(await session.scalars(select(StockLedger).where(
            StockLedger.document_number == shipment)))
    assert sum(r.quantity for r in rows) == 16
    assert {r.unit_cost for r in rows} == {D(35)}
    assert sum(r.value or 0 for r in rows) == D(560), "COGS = 16 × the average 35"
