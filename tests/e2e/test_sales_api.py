"""Sales orders over GraphQL: createSalesOrder (REJECT with the numbers, BACKORDER), the order
with its reservations, updateSalesOrder, cancelSalesOrder, salesOrders, makeToOrder, and the
salesAlerts subscription of a sales rep, live and replayed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from server.db import Database, utcnow
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.sales_setup import purchase, put_stock, sales_world
from tests.world import World

__all__ = ["live_server"]
D = Decimal
ORDER = """number customer { code name } warehouse { code } region salesperson state
  shortagePolicy currency totalAmount version notes orderDate createdAt
  lines { lineNo sku product { sku } quantity unitPrice amount requestedDate reserved
          backordered picked shipped expectedUnitCost
          reservations { location { code } lot quantity } }"""
CREATE = f"""mutation($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{
  salesOrder {{ {ORDER} }}
  shortages {{ lineNo sku requested available expectedDate expectedQuantity }}
  userErrors {{ code field message }} }} }}"""
UPDATE = f"""mutation($input: UpdateSalesOrderInput!) {{ updateSalesOrder(input: $input) {{
  salesOrder {{ {ORDER} }} shortages {{ lineNo sku requested available }}
  userErrors {{ code field message }} }} }}"""
CANCEL = f"""mutation($input: CancelSalesOrderInput!) {{ cancelSalesOrder(input: $input) {{
  salesOrder {{ {ORDER} }} userErrors {{ code field message }} }} }}"""
READ = f"""query($number: String!) {{ salesOrder(number: $number) {{ {ORDER} }} }}"""
LIST = """query($states: [SalesOrderState!], $customer: String, $salesperson: String) {
  salesOrders(states: $states, customerCode: $customer, salespersonUsername: $salesperson) {
    edges { node { number state } } } }"""
ALERTS = """subscription($salesperson: String, $region: String, $after: String) {
  salesAlerts(salesperson: $salesperson, region: $region, after: $after) {
    cursor kind orderNumber lineNo sku quantity salesperson region customerCode message
    createdAt } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 6, lot="L1")
    return world


@pytest.fixture
async def tokens(db: Database, world: World) -> dict[str, str]:
    return {name: await token_for(db, world[name])
            for name in ("sales", "sales2", "warehouse", "purchaser")}


def order_input(lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"input": {"customerCode": "C1", "warehouseCode": "WH1", "lines": lines, **extra}}


async def test_reject_answers_the_numbers_and_backorder_saves_the_order(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    expected = utcnow().date() + timedelta(days=8)
    await purchase(db, world, "P1", 10, requested=expected)
    refused = (await api(CREATE, order_input([{"sku": "P1", "quantity": "9"}]),
                         token=tokens["sales"]))["data"]["createSalesOrder"]
    assert refused["salesOrder"] is None
    assert refused["userErrors"] == [{
        "code": "INSUFFICIENT_STOCK", "field": "lines[0].quantity",
        "message": f"line 1: 9 P1 requested, 6 available now; 10 more expected on "
                   f"{expected.isoformat()}"}]
    assert refused["shortages"] == [{"lineNo": 1, "sku": "P1", "requested": "9.0000",
                                     "available": "6.0000", "expectedDate": expected.isoformat(),
                                     "expectedQuantity": "10.0000"}]

    saved = (await api(CREATE, order_input(
        [{"sku": "P1", "quantity": "9", "requestedDate": expected.isoformat()}],
        shortagePolicy="BACKORDER", notes="call first"), token=tokens["sales"]
    ))["data"]["createSalesOrder"]
    assert saved["userErrors"] == []
    assert [(s["lineNo"], s["requested"], s["available"]) for s in saved["shortages"]] == [
        (1, "9.0000", "6.0000")]
    order = saved["salesOrder"]
    assert (order["customer"], order["warehouse"], order["region"], order["salesperson"],
            order["state"], order["shortagePolicy"], order["version"]) == (
        {"code": "C1", "name": "Customer C1"}, {"code": "WH1"}, "East", "sales", "OPEN",
        "BACKORDER", 1)
    [line] = order["lines"]
    assert (line["sku"], line["product"], D(line["quantity"]), D(line["unitPrice"]),
            D(line["amount"]), D(line["reserved"]), D(line["backordered"]), D(line["picked"]),
            D(line["shipped"]), D(line["expectedUnitCost"])) == (
        "P1", {"sku": "P1"}, 9, 300, 2700, 6, 3, 0, 0, 100)
    assert line["reservations"] == [{"location": {"code": "WH1-A-01"}, "lot": "L1",
                                     "quantity": "6.0000"}]
    read = (await api(READ, {"number": order["number"]}, token=tokens["warehouse"]))["data"]
    assert read["salesOrder"] == order


async def test_update_cancel_and_list_orders(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    created = (await api(CREATE, order_input([{"sku": "P1", "quantity": "2"}]),
                         token=tokens["sales"]))["data"]["createSalesOrder"]["salesOrder"]
    number = created["number"]
    stale = (await api(UPDATE, {"input": {"number": number, "basedOnVersion": 9, "notes": "x"}},
                       token=tokens["sales"]))["data"]["updateSalesOrder"]
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    foreign = (await api(UPDATE, {"input": {"number": number, "basedOnVersion": 1,
                                            "notes": "mine now"}},
                         token=tokens["sales2"]))["data"]["updateSalesOrder"]
    assert [e["code"] for e in foreign["userErrors"]] == ["FORBIDDEN"]
    changed = (await api(UPDATE, {"input": {"number": number, "basedOnVersion": 1, "lines": [
        {"lineNo": 1, "sku": "P1", "quantity": "5", "unitPrice": "280"},
        {"sku": "P3", "quantity": "1"}]}}, token=tokens["sales"]))["data"]["updateSalesOrder"]
    assert [e["code"] for e in changed["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert changed["shortages"] == [{"lineNo": 2, "sku": "P3", "requested": "1.0000",
                                     "available": "0.0000"}]
    changed = (await api(UPDATE, {"input": {"number": number, "basedOnVersion": 1, "lines": [
        {"lineNo": 1, "sku": "P1", "quantity": "5", "unitPrice": "280"}]}},
        token=tokens["sales"]))["data"]["updateSalesOrder"]
    order = changed["salesOrder"]
    assert (order["version"], order["totalAmount"], order["lines"][0]["reserved"]) == (
        2, "1400.0000", "5.0000")

    other = (await api(CREATE, order_input([{"sku": "P1", "quantity": "1"}], customerCode="C2"),
                       token=tokens["sales2"]))["data"]["createSalesOrder"]["salesOrder"]
    cancelled = (await api(CANCEL, {"input": {"number": number, "reason": "customer withdrew",
                                              "basedOnVersion": 2}},
                           token=tokens["sales"]))["data"]["cancelSalesOrder"]
    assert cancelled["userErrors"] == []
    assert (cancelled["salesOrder"]["state"], cancelled["salesOrder"]["lines"][0]["reserved"]) \
        == ("CANCELLED", "0.0000")
    listed = (await api(LIST, {"states": ["OPEN"]}, token=tokens["sales"]))["data"]
    assert [e["node"]["number"] for e in listed["salesOrders"]["edges"]] == [other["number"]]
    listed = (await api(LIST, {"salesperson": "sales"}, token=tokens["sales"]))["data"]
    assert [e["node"] for e in listed["salesOrders"]["edges"]] == [
        {"number": number, "state": "CANCELLED"}]
    listed = (await api(LIST, {"customer": "C2"}, token=tokens["sales"]))["data"]
    assert [e["node"]["number"] for e in listed["salesOrders"]["edges"]] == [other["number"]]
    denied = await api(CREATE, order_input([{"sku": "P1", "quantity": "1"}]),
                       token=tokens["warehouse"])
    assert [e["code"] for e in denied["data"]["createSalesOrder"]["userErrors"]] == ["FORBIDDEN"]


async def test_make_to_order_is_a_product_field(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    answer = await api("""mutation { updateProduct(input: {sku: "P3", makeToOrder: true}) {
        product { sku makeToOrder } userErrors { code } } }""", token=tokens["purchaser"])
    assert answer["data"]["updateProduct"]["product"] == {"sku": "P3", "makeToOrder": True}


async def test_a_rep_hears_of_shortages_and_ready_backorders_live_and_on_replay(
    db: Database, world: World, live_server: LiveServer, tokens: dict[str, str], api: Api
) -> None:
    async with subscribed(live_server, tokens["sales"], document=ALERTS,
                          field="salesAlerts") as mine, \
            subscribed(live_server, tokens["sales2"], document=ALERTS, field="salesAlerts",
                       region="East") as east:
        backordered = (await api(CREATE, order_input([{"sku": "P1", "quantity": "8"}],
                                                     shortagePolicy="BACKORDER"),
                                 token=tokens["sales"]))["data"]["createSalesOrder"]
        number = backordered["salesOrder"]["number"]
        await api(CREATE, order_input([{"sku": "P3", "quantity": "1"}], customerCode="C2",
                                      shortagePolicy="BACKORDER"), token=tokens["sales2"])
        [shortage] = await mine.take(1)
        assert (shortage["kind"], shortage["orderNumber"], shortage["lineNo"], shortage["sku"],
                shortage["quantity"], shortage["salesperson"], shortage["region"],
                shortage["customerCode"]) == (
            "SHORTAGE", number, 1, "P1", "2.0000", "sales", "East", "C1")
        await put_stock(db, world, "P1", "WH1-A-02", 5)
        [ready] = await mine.take(1)
        assert (ready["kind"], ready["orderNumber"], ready["quantity"]) == (
            "BACKORDER_READY", number, "2.0000")
        assert [a["kind"] for a in await east.take(2)] == ["SHORTAGE", "BACKORDER_READY"]
        assert await mine.quiet() and await east.quiet()  # sales2's own shortage is North
    async with subscribed(live_server, tokens["sales"], document=ALERTS, field="salesAlerts",
                          after=shortage["cursor"]) as again:
        assert [a["cursor"] for a in await again.take(1)] == [ready["cursor"]]
        assert await again.quiet()
