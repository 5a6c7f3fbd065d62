"""The warehouse to-do list over GraphQL: the warehouseTasks query, recordInspection and putaway
over HTTP, and the warehouseTasks subscription over a real WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from server.db import Database
from server.receiving.putaway import putaway
from server.receiving.task_rules import PutawayRequest
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.receiving_setup import Received, approved_order, receive, receiving_world
from tests.world import World

__all__ = ["live_server"]

YEAR = datetime.now(UTC).year
TASK = """id kind status sku lot quantity doneQuantity remainingQuantity documentNumber
  receiptLineNo createdAt completedAt location { code } suggestedLocation { code }
  product { sku }
  inspections { result acceptedQuantity rejectedQuantity notes inspector
                rejectedLocation { code } }"""
TASKS = f"""query($kinds: [WarehouseTaskKind!], $status: WarehouseTaskStatus, $first: Int!,
                  $after: String) {{
  warehouseTasks(warehouseCode: "WH1", kinds: $kinds, status: $status, first: $first,
                 after: $after) {{
    edges {{ cursor node {{ {TASK} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
OPEN_TASKS = """{ warehouseTasks(warehouseCode: "WH1") { nodes { kind sku } } }"""
INSPECT = f"""mutation($input: RecordInspectionInput!) {{ recordInspection(input: $input) {{
  task {{ {TASK} }} userErrors {{ code field message }} }} }}"""
PUTAWAY = """mutation($input: PutawayInput!) { putaway(input: $input) {
  movement { documentNumber entries { fromLocationCode toLocationCode fromBucket toBucket lot
              quantity documentType }
              stockLevel { available pendingQc bins { locationCode lot quantity } } }
  tasks { id status doneQuantity } userErrors { code field message } } }"""
FEED = """subscription($after: String) { warehouseTasks(warehouseCode: "WH1", after: $after) {
  cursor kind task { id kind status sku quantity doneQuantity remainingQuantity
                     location { code } suggestedLocation { code } } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


@pytest.fixture
async def tokens(db: Database, world: World) -> dict[str, str]:
    return {name: await token_for(db, world[name])
            for name in ("warehouse", "qc", "sales", "purchaser", "s1")}


@pytest.fixture
async def received(db: Database, world: World) -> Received:
    """Line 1: 10 of P1 (straight to available), line 2: 8 of P2 (waits for QC)."""
    order = await approved_order(db, world, {"P1": 20, "P2": 20})
    return await receive(db, world, order.number, [("P1", 10, "L1"), ("P2", 8, "Q1")])


def ok(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][field]
    assert payload.get("userErrors", []) == [], payload
    return payload


async def test_the_to_do_list_shows_open_tasks_oldest_first_by_kind_and_page(
    api: Api, tokens: dict[str, str], received: Received
) -> None:
    body = await api(TASKS, {"first": 10}, token=tokens["warehouse"])
    nodes = [edge["node"] for edge in body["data"]["warehouseTasks"]["edges"]]
    assert [(n["kind"], n["sku"], n["status"]) for n in nodes] == [
        ("PUTAWAY", "P1", "OPEN"), ("QC", "P2", "OPEN")]
    putaway_task, qc_task = nodes
    assert putaway_task == {
        "id": str(received.task_of(1).id), "kind": "PUTAWAY", "status": "OPEN", "sku": "P1",
        "lot": "L1", "quantity": "10.0000", "doneQuantity": "0.0000",
        "remainingQuantity": "10.0000", "documentNumber": received.number, "receiptLineNo": 1,
        "createdAt": putaway_task["createdAt"], "completedAt": None,
        "location": {"code": "WH1-RCV"}, "suggestedLocation": {"code": "WH1-A-01"},
        "product": {"sku": "P1"}, "inspections": [],
    }
    assert (qc_task["receiptLineNo"], qc_task["suggestedLocation"]) == (2, None)

    only_qc = await api(TASKS, {"first": 10, "kinds": ["QC"]}, token=tokens["qc"])
    assert [e["node"]["sku"] for e in only_qc["data"]["warehouseTasks"]["edges"]] == ["P2"]
    done = await api(TASKS, {"first": 10, "status": "DONE"}, token=tokens["warehouse"])
    assert done["data"]["warehouseTasks"]["edges"] == []
    page = (await api(TASKS, {"first": 1}, token=tokens["warehouse"]))["data"]["warehouseTasks"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api(TASKS, {"first": 1, "after": page["pageInfo"]["endCursor"]},
                     token=tokens["warehouse"])
    assert [e["node"]["sku"] for e in rest["data"]["warehouseTasks"]["edges"]] == ["P2"]


@pytest.mark.parametrize(("who", "code"), [("sales", None), ("purchaser", None),
                                           ("s1", "FORBIDDEN"), (None, "UNAUTHENTICATED")])
async def test_staff_read_the_to_do_list_and_suppliers_do_not(
    api: Api, tokens: dict[str, str], received: Received, who: str | None, code: str | None
) -> None:
    body = await api(OPEN_TASKS, token=tokens[who] if who else None)
    if code is None:
        assert [n["sku"] for n in body["data"]["warehouseTasks"]["nodes"]] == ["P1", "P2"]
    else:
        assert body["errors"][0]["extensions"]["code"] == code


async def test_inspect_then_put_away_what_passed(
    api: Api, tokens: dict[str, str], received: Received
) -> None:
    qc_id = str(received.task_of(2).id)
    decision = {"taskId": qc_id, "result": "CONCESSION", "acceptedQuantity": "6",
                "rejectedQuantity": "2", "notes": "dented cases", "idempotencyKey": "qc-1"}
    task = ok(await api(INSPECT, {"input": decision}, token=tokens["qc"]),
              "recordInspection")["task"]
    assert (task["status"], task["doneQuantity"], task["remainingQuantity"]) == (
        "DONE", "8.0000", "0.0000")
    assert task["completedAt"] is not None
    assert task["inspections"] == [{
        "result": "CONCESSION", "acceptedQuantity": "6.0000", "rejectedQuantity": "2.0000",
        "notes": "dented cases", "inspector": "qc", "rejectedLocation": {"code": "WH1-REJ"}}]
    again = ok(await api(INSPECT, {"input": decision}, token=tokens["qc"]), "recordInspection")
    assert again["task"] == task, "a replay answers the first result"

    body = await api(TASKS, {"first": 10, "kinds": ["PUTAWAY"]}, token=tokens["warehouse"])
    p2_putaway = next(e["node"] for e in body["data"]["warehouseTasks"]["edges"]
                  if e["node"]["sku"] == "P2")
    assert (p2_putaway["quantity"], p2_putaway["lot"], p2_putaway["location"]) == (
        "6.0000", "Q1", {"code": "WH1-RCV"})
    target = p2_putaway["suggestedLocation"]["code"]
    assert target == "WH1-A-02", "WH1-A-01 is already suggested for P1"

    moved = ok(await api(PUTAWAY, {"input": {
        "sku": "P2", "fromLocationCode": "WH1-RCV", "toLocationBarcode": target,
        "quantity": "6", "lot": "Q1", "idempotencyKey": "pa-1"}}, token=tokens["warehouse"]),
        "putaway")
    assert moved["movement"]["documentNumber"] == f"PA-{YEAR}-000001"
    assert moved["movement"]["entries"] == [{
        "fromLocationCode": "WH1-RCV", "toLocationCode": "WH1-A-02", "fromBucket": "AVAILABLE",
        "toBucket": "AVAILABLE", "lot": "Q1", "quantity": "6.0000", "documentType": "PA"}]
    assert moved["movement"]["stockLevel"]["bins"] == [
        {"locationCode": "WH1-A-02", "lot": "Q1", "quantity": "6.0000"},
        {"locationCode": "WH1-REJ", "lot": "Q1", "quantity": "2.0000"}]
    assert moved["tasks"] == [{"id": p2_putaway["id"], "status": "DONE",
                               "doneQuantity": "6.0000"}]


@pytest.mark.parametrize(("who", "decision", "code"), [
    ("warehouse", {"result": "PASS", "acceptedQuantity": "1"}, "FORBIDDEN"),
    ("qc", {"result": "PASS", "acceptedQuantity": "9"}, "OVER_INSPECTION"),
    ("qc", {"result": "FAIL", "acceptedQuantity": "1", "rejectedQuantity": "1"}, "INVALID_INPUT"),
    ("qc", {"result": "PASS", "acceptedQuantity": "1", "taskId": "abc"}, "NOT_FOUND"),
])
async def test_refused_inspections_answer_user_errors(
    api: Api, tokens: dict[str, str], received: Received, who: str, decision: dict[str, Any],
    code: str,
) -> None:
    decision = {"taskId": str(received.task_of(2).id), "idempotencyKey": "k", **decision}
    body = await api(INSPECT, {"input": decision}, token=tokens[who])
    payload = body["data"]["recordInspection"]
    assert payload["task"] is None
    assert [e["code"] for e in payload["userErrors"]] == [code]


@pytest.mark.parametrize(("change", "code"), [
    ({"toLocationBarcode": "WH1-RCV"}, "INVALID_LOCATION"),
    ({"quantity": "11"}, "INSUFFICIENT_STOCK"),
    ({"toLocationBarcode": "NO-BIN"}, "NOT_FOUND"),
])
async def test_refused_putaways_answer_user_errors(
    api: Api, tokens: dict[str, str], received: Received, change: dict[str, Any], code: str
) -> None:
    request = {"sku": "P1", "fromLocationCode": "WH1-RCV", "toLocationBarcode": "WH1-A-01",
               "quantity": "5", "lot": "L1", "idempotencyKey": "pa-x", **change}
    body = await api(PUTAWAY, {"input": request}, token=tokens["warehouse"])
    payload = body["data"]["putaway"]
    assert (payload["movement"], payload["tasks"]) == (None, [])
    assert [e["code"] for e in payload["userErrors"]] == [code]


async def test_the_subscription_pushes_tasks_as_they_appear_and_finish(
    db: Database, world: World, live_server: LiveServer, tokens: dict[str, str]
) -> None:
    order = await approved_order(db, world, {"P1": 20})
    async with subscribed(live_server, tokens["warehouse"], document=FEED,
                          field="warehouseTasks") as feed:
        received = await receive(db, world, order.number, [("P1", 10, "L1")])
        [created] = await feed.take(1)
        assert created["kind"] == "TASK_CREATED"
        assert created["task"] == {
            "id": str(received.task_of(1).id), "kind": "PUTAWAY", "status": "OPEN",
            "sku": "P1", "quantity": "10.0000", "doneQuantity": "0.0000",
            "remainingQuantity": "10.0000", "location": {"code": "WH1-RCV"},
            "suggestedLocation": {"code": "WH1-A-01"}}
        # An event shows its task as it stands when pushed: take each before the next putaway.
        pushed = []
        for quantity, key in (("4", "pa-1"), ("6", "pa-2")):
            await putaway(db, world["warehouse"], PutawayRequest(
                sku="P1", from_location_code="WH1-RCV", to_location_barcode="WH1-A-01",
                quantity=Decimal(quantity), idempotency_key=key, lot="L1"))
            pushed += await feed.take(1)
        updated, done = pushed
        assert (updated["kind"], updated["task"]["doneQuantity"]) == ("TASK_UPDATED", "4.0000")
        assert (done["kind"], done["task"]["status"], done["task"]["remainingQuantity"]) == (
            "TASK_DONE", "DONE", "0.0000")
        assert await feed.quiet()
    async with subscribed(live_server, tokens["qc"], document=FEED, field="warehouseTasks",
                          after=created["cursor"]) as resumed:
        replayed = await resumed.take(2)
        assert [(e["kind"], e["task"]["status"]) for e in replayed] == [
            ("TASK_UPDATED", "DONE"), ("TASK_DONE", "DONE")], "each task as it stands now"
        assert await resumed.quiet()

