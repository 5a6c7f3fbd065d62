"""Purchase returns as their users drive them, over HTTP and WebSocket against a real server:
the purchaser returns QC-rejected goods, a manager approves, the warehouse ships, the supplier
follows it live, sees the return and its credit on the portal; other suppliers see nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database
from server.purchasing.returns import DOCUMENT_TYPE
from tests.e2e.conftest import token_for
from tests.e2e.test_purchasing_api import DECIDE, Http
from tests.e2e.test_subscriptions import LiveServer, Subscription, live_server, subscribed
from tests.ledger_invariants import assert_ledger_consistent
from tests.receiving_setup import receiving_world
from tests.return_setup import goods_to_return
from tests.world import World

__all__ = ["live_server"]

CREATE = """mutation($input: CreatePurchaseReturnInput!) { createPurchaseReturn(input: $input) {
  purchaseReturn { number state totalAmount lines { lineNo quantity fromBucket poNumber poLineNo
    location { code } product { sku } } }
  userErrors { code field message } } }"""
SHIP = """mutation($input: ShipPurchaseReturnInput!) { shipPurchaseReturn(input: $input) {
  purchaseReturn { number state lines { unitCost }
    debitNote { number amount appliedAmount openAmount } }
  userErrors { code field message } } }"""
RETURN = """query($number: String!) { purchaseReturn(number: $number) { number state
  supplier { code } lines { unitCost } debitNote { number amount }
  approvalTrail { stepName status } } }"""
RETURNS = """query { purchaseReturns { edges { node { number state } } } }"""
ACCOUNT = """query($code: String!) { supplierAccount(supplierCode: $code) {
  invoiced credited owed openCredit } }"""
EVENTS = """subscription($code: String) { purchaseReturnEvents(supplierCode: $code) {
  kind number state debitNote } }"""
TASKS = """subscription { approvalTasks { kind taskId documentType documentNumber } }"""


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[Http]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live_server.port}",
                                 timeout=30) as http:
        yield Http(http)


@pytest.fixture
async def world(db: Database) -> World:
    world = await receiving_world(db)
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, "amount > 500.0", (Role.PURCHASE_MANAGER,))])
    return world


async def first_return_task(feed: Subscription) -> dict[str, Any]:
    """The first new PURCHASE_RETURN task pushed; the order's own approval tasks, decided while
    the goods were set up, may still arrive first."""
    for _ in range(10):
        [task] = await feed.take(1)
        if (task["kind"], task["documentType"]) == ("APPROVAL_TASK_CREATED", DOCUMENT_TYPE):
            return task
    raise AssertionError("no PURCHASE_RETURN approval task was pushed")


def return_input(quantity: str, po_number: str) -> dict[str, Any]:
    return {"supplierCode": "S1", "warehouseCode": "WH1", "lines": [
        {"sku": "P2", "quantity": quantity, "lot": "L1", "fromBucket": "REJECTED",
         "reason": "cracked housings", "poNumber": po_number}]}


async def test_rejected_goods_go_back_and_the_supplier_follows_it_on_the_portal(
    db: Database, world: World, api: Http, live_server: LiveServer
) -> None:
    goods = await goods_to_return(db, world)
    tokens = {name: await token_for(db, world[name])
              for name in ("purchaser", "manager", "warehouse", "s1", "s2", "finance")}

    refused = await api(CREATE, tokens["purchaser"], input=return_input("5", goods.order_number))
    assert [e["code"] for e in refused["createPurchaseReturn"]["userErrors"]] == [
        "OVER_RETURN", "INSUFFICIENT_STOCK"]
    assert refused["createPurchaseReturn"]["purchaseReturn"] is None

    async with (
        subscribed(live_server, tokens["manager"], document=TASKS,
                   field="approvalTasks") as manager_tasks,
        subscribed(live_server, tokens["s1"], document=EVENTS, field="purchaseReturnEvents",
                   code=None) as supplier_feed,
        subscribed(live_server, tokens["s2"], document=EVENTS, field="purchaseReturnEvents",
                   code=None) as other_feed,
    ):
        created = await api(CREATE, tokens["purchaser"],
                            input=return_input("4", goods.order_number))
        payload = created["createPurchaseReturn"]
        assert payload["userErrors"] == []
        pending = payload["purchaseReturn"]
        assert (pending["state"], Decimal(pending["totalAmount"])) == (
            "PENDING_APPROVAL", Decimal(1000))
        [returned] = pending["lines"]
        assert Decimal(returned.pop("quantity")) == Decimal(4)
        assert pending["lines"] == [{
            "lineNo": 1, "fromBucket": "REJECTED",
            "poNumber": goods.order_number, "poLineNo": 2, "location": {"code": "WH1-REJ"},
            "product": {"sku": "P2"}}]
        number = pending["number"]
        assert (await api(RETURN, tokens["s1"], number=number))["purchaseReturn"] is None

        task = await first_return_task(manager_tasks)
        assert task["documentNumber"] == number
        decided = await api(DECIDE, tokens["manager"], id=task["taskId"])
        assert decided["decideApproval"]["requestStatus"] == "approved"

        ship_input = {"number": number, "idempotencyKey": uuid.uuid4().hex}
        shipped = (await api(SHIP, tokens["warehouse"], input=ship_input))["shipPurchaseReturn"]
        assert shipped["userErrors"] == []
        done = shipped["purchaseReturn"]
        assert (done["state"], done["lines"]) == ("SHIPPED", [{"unitCost": "250.0000"}])
        note = done["debitNote"]
        assert (note["amount"], note["appliedAmount"], note["openAmount"]) == (
            "1000.0000", "0.0000", "1000.0000")
        replay = (await api(SHIP, tokens["warehouse"], input=ship_input))["shipPurchaseReturn"]
        assert replay["purchaseReturn"]["debitNote"]["number"] == note["number"]

        events = await supplier_feed.take(2)
        assert [(e["kind"], e["state"]) for e in events] == [
            ("PR_APPROVED", "approved"), ("PR_SHIPPED", "shipped")]
        assert events[1]["debitNote"] == note["number"]
        assert await other_feed.quiet(), "supplier S2 saw an event of S1's return"

    seen = (await api(RETURN, tokens["s1"], number=number))["purchaseReturn"]
    assert (seen["state"], seen["supplier"], seen["debitNote"]["number"]) == (
        "SHIPPED", {"code": "S1"}, note["number"])
    assert (seen["approvalTrail"], seen["lines"]) == ([], [{"unitCost": None}])  # not our costs
    staff = (await api(RETURN, tokens["purchaser"], number=number))["purchaseReturn"]
    # three purchase managers got the ANY step: the first approval withdrew the others' tasks
    assert sorted(task["status"] for task in staff["approvalTrail"]) == [
        "APPROVED", "WITHDRAWN", "WITHDRAWN"]
    assert staff["lines"] == [{"unitCost": "250.0000"}]
    assert (await api(RETURN, tokens["s2"], number=number))["purchaseReturn"] is None
    assert (await api(RETURNS, tokens["s2"]))["purchaseReturns"]["edges"] == []
    assert [e["node"]["number"] for e in
            (await api(RETURNS, tokens["s1"]))["purchaseReturns"]["edges"]] == [number]
    account = (await api(ACCOUNT, tokens["s1"], code="S1"))["supplierAccount"]
    assert account == {"invoiced": "0.00", "credited": "0.00", "owed": "0.00",
                       "openCredit": "1000.00"}
    snooping = await api.raw(ACCOUNT, tokens["s2"], code="S1")
    assert snooping["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await assert_ledger_consistent(db)
