"""The purchasing flow as its users drive it: over HTTP and WebSocket against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database, utcnow
from server.purchasing.orders import DOCUMENT_TYPE
from tests.e2e.conftest import token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.world import World, build_world

__all__ = ["live_server"]

APPROVAL_TASKS = """subscription { approvalTasks { kind taskId documentNumber stepName status
  facts } }"""
PO_EVENTS = """subscription($numbers: [String!]) { purchaseOrderEvents(numbers: $numbers)
  { kind number state version } }"""
STOCK = """subscription { stockChanged(warehouseCode: "WH1", skus: ["P1"])
  { documentType deltas { bucket quantity } levels { onOrder inTransit } } }"""
CREATE = """mutation($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input) {
  purchaseOrder { number state version totalAmount lines { lineNo unitPrice } }
  userErrors { code field message } } }"""
SUBMIT = """mutation($number: String!) { submitPurchaseOrder(input: {number: $number}) {
  purchaseOrder { state } userErrors { code message } } }"""
DECIDE = """mutation($id: ID!) { decideApproval(input: {taskId: $id, approve: true}) {
  requestStatus userErrors { code message } } }"""
ORDER = """query($number: String!) { purchaseOrder(number: $number) { number state
  supplier { code } lines { lineNo quantity confirmedDate shippedQuantity }
  approvalTrail { stepName approver status } } }"""
CONFIRM = """mutation($input: ConfirmPurchaseOrderInput!) { confirmPurchaseOrder(input: $input) {
  purchaseOrder { state } userErrors { code message } } }"""
SHIP = """mutation($input: CreateShipmentNoticeInput!) { createShipmentNotice(input: $input) {
  shipmentNotice { number lines { lineNo quantity lot } } userErrors { code message } } }"""
LEVELS = """query { stockLevels(warehouseCode: "WH1", skus: ["P1"]) { sku onOrder inTransit } }"""


class Http:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"Authorization": f"Bearer {token}"})
        body: dict[str, Any] = response.json()
        return body

    async def __call__(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        body = await self.raw(query, token, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[Http]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live_server.port}",
                                 timeout=30) as http:
        yield Http(http)


@pytest.fixture
async def world(db: Database) -> World:
    world = await build_world(db)
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,)),
        StepSpec("finance", Mode.ALL, "amount >= 50000", (Role.FINANCE_DIRECTOR,)),
    ])
    return world


async def test_60000_order_from_approval_to_in_transit(
    db: Database, world: World, live_server: LiveServer, api: Http
) -> None:
    tokens = {name: await token_for(db, world[name])
              for name in ("purchaser", "manager", "finance", "s1", "warehouse")}
    created = (await api(CREATE, tokens["purchaser"], input={
        "supplierCode": "S1", "warehouseCode": "WH1", "lines": [{"sku": "P1", "quantity": "600"}],
    }))["createPurchaseOrder"]
    assert created["userErrors"] == []
    order = created["purchaseOrder"]
    assert (order["state"], order["totalAmount"], order["lines"][0]["unitPrice"]) == (
        "DRAFT", "60000.0000", "100.0000")
    number = order["number"]

    async with (
        subscribed(live_server, tokens["manager"], document=APPROVAL_TASKS,
                   field="approvalTasks") as manager_tasks,
        subscribed(live_server, tokens["finance"], document=APPROVAL_TASKS,
                   field="approvalTasks") as finance_tasks,
        subscribed(live_server, tokens["s1"], document=PO_EVENTS, field="purchaseOrderEvents",
                   numbers=[number]) as supplier_feed,
        subscribed(live_server, tokens["warehouse"], document=STOCK,
                   field="stockChanged") as stock,
    ):
        submitted = await api(SUBMIT, tokens["purchaser"], number=number)
        assert submitted["submitPurchaseOrder"]["purchaseOrder"]["state"] == "PENDING_APPROVAL"
        [manager_task] = await manager_tasks.take(1)
        assert (manager_task["kind"], manager_task["stepName"]) == ("APPROVAL_TASK_CREATED",
                                                                     "manager")
        assert manager_task["facts"]["amount"] == 60000.0
        decided = await api(DECIDE, tokens["manager"], id=manager_task["taskId"])
        assert decided["decideApproval"]["requestStatus"] == "pending"
        finance_task = (await finance_tasks.take(1))[0]
        assert finance_task["stepName"] == "finance"
        decided = await api(DECIDE, tokens["finance"], id=finance_task["taskId"])
        assert decided["decideApproval"]["requestStatus"] == "approved"

        seen = await api(ORDER, tokens["s1"], number=number)
        assert seen["purchaseOrder"]["state"] == "SENT"
        assert seen["purchaseOrder"]["approvalTrail"] == []
        delivery = (utcnow().date() + timedelta(days=7)).isoformat()
        confirmed = await api(CONFIRM, tokens["s1"], input={
            "number": number, "lines": [{"lineNo": 1, "quantity": "600",
                                         "deliveryDate": delivery}]})
        assert confirmed["confirmPurchaseOrder"]["purchaseOrder"]["state"] == "CONFIRMED"
        shipped = await api(SHIP, tokens["s1"], input={
            "purchaseOrderNumber": number, "carrier": "SF", "trackingNumber": "SF123",
            "lines": [{"lineNo": 1, "quantity": "300", "lot": "L-1",
                       "sscc": "006141411234567890"}]})
        assert shipped["createShipmentNotice"]["userErrors"] == []

        kinds = [event["kind"] for event in await supplier_feed.take(3)]
        assert kinds == ["PO_SENT", "PO_CONFIRMED", "PO_SHIPPED"]
        changes = await stock.take(2)
        assert [c["levels"] for c in changes] == [
            {"onOrder": "600.0000", "inTransit": "0.0000"},
            {"onOrder": "300.0000", "inTransit": "300.0000"},
        ]
        assert [c["documentType"] for c in changes] == ["PO", "ASN"]

    levels = await api(LEVELS, tokens["purchaser"])
    assert levels["stockLevels"] == [{"sku": "P1", "onOrder": "300.0000",
                                      "inTransit": "300.0000"}]
    trail = (await api(ORDER, tokens["purchaser"], number=number))["purchaseOrder"]
    assert [(t["stepName"], t["approver"], t["status"]) for t in trail["approvalTrail"]] == [
        ("manager", "manager", "APPROVED"), ("manager", "manager2", "WITHDRAWN"),
        ("manager", "manager3", "WITHDRAWN"), ("finance", "finance", "APPROVED")]


async def test_another_supplier_sees_and_changes_nothing(
    db: Database, world: World, live_server: LiveServer, api: Http
) -> None:
    purchaser = await token_for(db, world["purchaser"])
    manager = await token_for(db, world["manager"])
    other = await token_for(db, world["s2"])
    created = await api(CREATE, purchaser, input={
        "supplierCode": "S1", "warehouseCode": "WH1", "lines": [{"sku": "P1", "quantity": "5"}]})
    number = created["createPurchaseOrder"]["purchaseOrder"]["number"]
    await api(SUBMIT, purchaser, number=number)
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await api(DECIDE, manager, id=str(task.id))

    assert (await api(ORDER, other, number=number))["purchaseOrder"] is None
    listed = await api("query { purchaseOrders { edges { node { number } } } }", other)
    assert listed["purchaseOrders"]["edges"] == []
    today = utcnow().date().isoformat()
    for mutation, variables, field in [
        (CONFIRM, {"input": {"number": number, "lines": [
            {"lineNo": 1, "quantity": "5", "deliveryDate": today}]}}, "confirmPurchaseOrder"),
        (SHIP, {"input": {"purchaseOrderNumber": number,
                          "lines": [{"lineNo": 1, "quantity": "1"}]}}, "createShipmentNotice"),
        ("""mutation($number: String!) { declinePurchaseOrder(input: {number: $number,
            reason: "x"}) { userErrors { code } } }""", {"number": number},
         "declinePurchaseOrder"),
        (SUBMIT, {"number": number}, "submitPurchaseOrder"),
        ("""mutation($number: String!) { cancelPurchaseOrder(input: {number: $number,
            reason: "x"}) { userErrors { code } } }""", {"number": number},
         "cancelPurchaseOrder"),
        ("""mutation($number: String!) { updatePurchaseOrder(input: {number: $number,
            notes: "x"}) { userErrors { code } } }""", {"number": number},
         "updatePurchaseOrder"),
    ]:
        errors = (await api(mutation, other, **variables))[field]["userErrors"]
        assert errors and errors[0]["code"] in {"NOT_FOUND", "FORBIDDEN"}, (field, errors)
    forbidden = [
        (CREATE, {"input": {"supplierCode": "S1", "warehouseCode": "WH1",
                            "lines": [{"sku": "P1", "quantity": "1"}]}}, "createPurchaseOrder"),
        (DECIDE, {"id": str(task.id)}, "decideApproval"),
        ("""mutation { setApprovalPolicy(input: {documentType: "PURCHASE_ORDER", steps: [
            {name: "x", mode: ANY, roles: [PURCHASER]}]}) { userErrors { code } } }""", {},
         "setApprovalPolicy"),
    ]
    for mutation, variables, field in forbidden:
        errors = (await api(mutation, other, **variables))[field]["userErrors"]
        assert errors and errors[0]["code"] in {"NOT_FOUND", "FORBIDDEN"}, (field, errors)
    for query in ("{ approvalPolicies { version } }", "{ approvalTasks { id } }"):
        refused = await api.raw(query, other)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", query

    async with subscribed(live_server, other, document=PO_EVENTS, field="purchaseOrderEvents",
                          numbers=[number]) as snooping:
        confirmed = await api(CONFIRM, await token_for(db, world["s1"]), input={
            "number": number, "lines": [{"lineNo": 1, "quantity": "5", "deliveryDate": today}]})
        assert confirmed["confirmPurchaseOrder"]["userErrors"] == []
        assert await snooping.quiet(), "supplier B saw an event of supplier A's order"
    state = (await api(ORDER, purchaser, number=number))["purchaseOrder"]
    assert state["state"] == "CONFIRMED" and state["lines"][0]["shippedQuantity"] == "0.0000"


async def test_100_concurrent_orders_get_distinct_numbers(
    db: Database, world: World, api: Http, postgres_only: None
) -> None:
    purchaser = await token_for(db, world["purchaser"])
    answers = await asyncio.gather(*(api(CREATE, purchaser, input={
        "supplierCode": "S1", "warehouseCode": "WH1",
        "lines": [{"sku": "P1", "quantity": str(Decimal(i + 1))}]}) for i in range(100)))
    numbers = {a["createPurchaseOrder"]["purchaseOrder"]["number"] for a in answers}
    assert len(numbers) == 100
