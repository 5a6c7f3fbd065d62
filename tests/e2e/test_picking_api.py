"""Picking and shipping over GraphQL: releasePicking, PICK tasks on warehouseTasks (query and
subscription), confirmPick with scan errors, a short pick re-picked elsewhere, confirmShipment
with COGS, the pickList / pickLists / shipment queries, and who may do what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from server.db import Database
from server.sales.picking import release_picking
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.picking_setup import picking_world, put_stock, sales_order
from tests.world import World

__all__ = ["live_server"]

YEAR = datetime.now(UTC).year
PICK_LIST = """number warehouseCode warehouse { code } state version orderNumbers
  lines { lineNo orderNumber orderLineNo sku product { sku } location { code } lot quantity
          picked short remaining shortReason status taskId }"""
ERRORS = "userErrors { code field message }"
RELEASE = f"""mutation($input: ReleasePickingInput!) {{ releasePicking(input: $input) {{
  pickList {{ {PICK_LIST} }} {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: ConfirmPickInput!) {{ confirmPick(input: $input) {{
  pickList {{ {PICK_LIST} }} {ERRORS} }} }}"""
SHIPMENT = """number pickListNumber warehouse { code } carrier trackingNumber shippedAt shippedBy
  lines { orderNumber orderLineNo sku product { sku } lot quantity unitPrice unitCost }"""
SHIP = f"""mutation($input: ConfirmShipmentInput!) {{ confirmShipment(input: $input) {{
  shipment {{ {SHIPMENT} }} {ERRORS} }} }}"""
READ = f"""query($number: String!, $shipment: String!) {{
  pickList(number: $number) {{ {PICK_LIST} }}
  shipment(number: $shipment) {{ {SHIPMENT} }}
  pickLists(warehouseCode: "WH1", states: [SHIPPED]) {{ nodes {{ number state }} }} }}"""
PICK_TASKS = """{ warehouseTasks(warehouseCode: "WH1", kinds: [PICK]) {
  nodes { id kind status sku quantity documentNumber location { code } } } }"""
FEED = """subscription { warehouseTasks(warehouseCode: "WH1") {
  kind task { kind status sku quantity documentNumber location { code } } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "130")
    return world


@pytest.fixture
async def tokens(db: Database, world: World) -> dict[str, str]:
    return {name: await token_for(db, world[name])
            for name in ("warehouse", "sales", "qc", "s1")}


def ok(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][field]
    assert payload["userErrors"] == [], payload
    return payload


def confirm(pick_list: str, line_no: int, bin_code: str, quantity: str, **more: Any
            ) -> dict[str, Any]:
    return {"input": {"pickListNumber": pick_list, "lineNo": line_no, "binBarcode": bin_code,
                      "quantity": quantity, "idempotencyKey": uuid.uuid4().hex, **more}}


def release_input(*numbers: str) -> dict[str, Any]:
    return {"input": {"salesOrderNumbers": list(numbers), "idempotencyKey": uuid.uuid4().hex}}


async def test_release_pick_short_repick_and_ship_over_graphql(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    number = await sales_order(db, world, {"P1": 3})
    released = ok(await api(RELEASE, release_input(number), token=tokens["sales"]),
                  "releasePicking")["pickList"]
    pick_list = released["number"]
    assert pick_list == f"PK-{YEAR}-000001"
    assert (released["state"], released["version"], released["orderNumbers"],
            released["warehouse"]) == ("OPEN", 1, [number], {"code": "WH1"})
    [line] = released["lines"]
    assert {k: line[k] for k in ("lineNo", "orderNumber", "orderLineNo", "sku", "location",
                                 "quantity", "remaining", "status")} == {
        "lineNo": 1, "orderNumber": number, "orderLineNo": 1, "sku": "P1",
        "location": {"code": "WH1-A-01"}, "quantity": "3.0000", "remaining": "3.0000",
        "status": "OPEN"}
    tasks = (await api(PICK_TASKS, token=tokens["warehouse"]))["data"]["warehouseTasks"]["nodes"]
    assert tasks == [{"id": line["taskId"], "kind": "PICK", "status": "OPEN", "sku": "P1",
                      "quantity": "3.0000", "documentNumber": pick_list,
                      "location": {"code": "WH1-A-01"}}]

    wrong = await api(CONFIRM, confirm(pick_list, 1, "WH1-A-02", "1", sku="P1"),
                      token=tokens["warehouse"])
    assert wrong["data"]["confirmPick"]["pickList"] is None
    assert [(e["code"], e["field"]) for e in wrong["data"]["confirmPick"]["userErrors"]] == [
        ("WRONG_BIN", "binBarcode")]
    short = ok(await api(CONFIRM, confirm(
        pick_list, 1, "WH1-A-01", "1", productBarcode="6901234567892", shortQuantity="2",
        shortReason="damaged", basedOnVersion=1), token=tokens["warehouse"]),
        "confirmPick")["pickList"]
    assert short["version"] == 2 and short["state"] == "OPEN"
    assert [(x["lineNo"], x["location"]["code"], x["picked"], x["short"], x["status"])
            for x in short["lines"]] == [(1, "WH1-A-01", "1.0000", "2.0000", "PICKED"),
                                         (2, "WH1-A-02", "0.0000", "0.0000", "OPEN")]
    picked = ok(await api(CONFIRM, confirm(pick_list, 2, "WH1-A-02", "2", sku="P1",
                                           basedOnVersion=2), token=tokens["warehouse"]),
                "confirmPick")["pickList"]
    assert picked["state"] == "PICKED"

    shipped = ok(await api(SHIP, {"input": {
        "pickListNumber": pick_list, "carrier": "SF Express", "trackingNumber": "SF1",
        "idempotencyKey": uuid.uuid4().hex, "basedOnVersion": 3}}, token=tokens["warehouse"]),
        "confirmShipment")["shipment"]
    # 3 at 100 and 10 at 130: 123.0769 a unit, before and after the short-pick write-off.
    assert (shipped["pickListNumber"], shipped["shippedBy"], shipped["carrier"]) == (
        pick_list, "warehouse", "SF Express")
    assert shipped["lines"] == [{
        "orderNumber": number, "orderLineNo": 1, "sku": "P1", "product": {"sku": "P1"},
        "lot": "", "quantity": "3.0000", "unitPrice": "300.0000", "unitCost": "123.0769"}]
    read = await api(READ, {"number": pick_list, "shipment": shipped["number"]},
                     token=tokens["sales"])
    assert "errors" not in read, read
    assert read["data"]["pickList"]["state"] == "SHIPPED"
    assert read["data"]["shipment"]["number"] == f"SH-{YEAR}-000001"
    assert read["data"]["pickLists"]["nodes"] == [{"number": pick_list, "state": "SHIPPED"}]


async def test_roles_and_unknown_documents(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    number = await sales_order(db, world, {"P1": 1})
    for user in ("qc", "s1"):
        body = await api(RELEASE, release_input(number), token=tokens[user])
        assert [e["code"] for e in body["data"]["releasePicking"]["userErrors"]] == ["FORBIDDEN"]
    released = ok(await api(RELEASE, release_input(number), token=tokens["warehouse"]),
                  "releasePicking")["pickList"]
    body = await api(CONFIRM, confirm(released["number"], 1, "WH1-A-01", "1", sku="P1"),
                     token=tokens["sales"])
    assert [e["code"] for e in body["data"]["confirmPick"]["userErrors"]] == ["FORBIDDEN"]
    body = await api(READ, {"number": "PK-1999-000001", "shipment": "SH-1999-000001"},
                     token=tokens["warehouse"])
    assert (body["data"]["pickList"], body["data"]["shipment"]) == (None, None)
    body = await api(READ, {"number": released["number"], "shipment": "x"}, token=tokens["s1"])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api(RELEASE, release_input(number), token=None)
    assert [e["code"] for e in body["data"]["releasePicking"]["userErrors"]] == [
        "UNAUTHENTICATED"]


async def test_pick_tasks_reach_the_live_to_do_list(
    db: Database, world: World, live_server: LiveServer, tokens: dict[str, str]
) -> None:
    number = await sales_order(db, world, {"P1": 2})
    async with subscribed(live_server, tokens["warehouse"], document=FEED,
                          field="warehouseTasks") as feed:
        view = await release_picking(db, world["warehouse"], [number], uuid.uuid4().hex)
        [created] = await feed.take(1)
        assert created == {"kind": "TASK_CREATED", "task": {
            "kind": "PICK", "status": "OPEN", "sku": "P1", "quantity": "2.0000",
            "documentNumber": view.pick_list.number, "location": {"code": "WH1-A-01"}}}
