"""Stocktakes over GraphQL: two devices count in parallel over HTTP while stock moves, a blind
count hides expected quantities from counters, a variance over the threshold waits for the
finance director's approval and posts when approved; the count tasks and status events arrive
over a real WebSocket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from server.db import Database
from server.stocktake.service import StartRequest, record_count, start_stocktake
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.ledger_invariants import assert_ledger_consistent
from tests.stocktake_setup import adjust, count, require_finance_approval, stocked_world
from tests.world import World

__all__ = ["live_server"]

STOCKTAKE = """number status blind requestedVarianceValue varianceValue warehouse { code }
  tasks { locationCode status round }
  lines { locationCode sku lot frozen moved expected counted variance varianceValue }"""
START = f"""mutation($input: StartStocktakeInput!) {{ startStocktake(input: $input) {{
  stocktake {{ {STOCKTAKE} }} userErrors {{ code field message }} }} }}"""
COUNT = """mutation($input: RecordCountInput!) { recordCount(input: $input) {
  count { locationCode sku lot quantity deviceId round } stocktake { status }
  userErrors { code field message } } }"""
POST = f"""mutation($input: PostStocktakeInput!) {{ postStocktake(input: $input) {{
  stocktake {{ {STOCKTAKE} }} userErrors {{ code field message }} }} }}"""
RECOUNT = """mutation($input: RequestRecountInput!) { requestRecount(input: $input) {
  stocktake { tasks { locationCode status round } } userErrors { code field message } } }"""
QUERY = f"""query($number: String!) {{ stocktake(number: $number) {{ {STOCKTAKE} }} }}"""
TRAIL = """query($number: String!) { stocktake(number: $number) {
  approvalTrail { stepName status approver } } }"""
LIST = """{ stocktakes(warehouseCode: "WH1") { nodes { number status } } }"""
APPROVAL_TASKS = """{ approvalTasks { id documentType documentNumber facts } }"""
DECIDE = """mutation($input: DecideApprovalInput!) { decideApproval(input: $input) {
  requestStatus userErrors { code message } } }"""
TASK_FEED = """subscription { stocktakeTasks(warehouseCode: "WH1") {
  cursor kind task { stocktakeNumber locationCode status round } } }"""
STATUS_FEED = """subscription { stocktakeEvents(warehouseCode: "WH1") {
  cursor kind stocktake { number status } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    return await stocked_world(db)


@pytest.fixture
async def tokens(db: Database, world: World) -> dict[str, str]:
    return {name: await token_for(db, world[name]) for name in ("warehouse", "finance", "sales")}


def _count(number: str, location: str, quantity: str, device: str, **item: str) -> dict[str, Any]:
    return {"input": {"stocktakeNumber": number, "locationCode": location, "quantity": quantity,
                      "deviceId": device, "idempotencyKey": str(uuid.uuid4()),
                      **(item or {"sku": "P1"})}}


async def test_two_devices_count_and_the_variance_posts_after_approval(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    await require_finance_approval(db, world)
    keeper = tokens["warehouse"]
    started = await api(START, {"input": {"warehouseCode": "WH1",
                                          "locationCodes": ["WH1-A-01", "WH1-A-02"]}},
                        token=keeper)
    stocktake = started["data"]["startStocktake"]["stocktake"]
    number = stocktake["number"]
    assert stocktake["status"] == "OPEN"
    assert [t["status"] for t in stocktake["tasks"]] == ["OPEN", "OPEN"]
    await adjust(db, world, "P1", "WH1-A-02", 2, "100")  # arrives while the count runs
    one, two = await asyncio.gather(
        api(COUNT, _count(number, "WH1-A-01", "9", "pda-1"), token=keeper),
        api(COUNT, _count(number, "WH1-A-02", "7", "pda-2", barcode="6901234567892"),
            token=keeper),
    )
    assert one["data"]["recordCount"]["count"] == {
        "locationCode": "WH1-A-01", "sku": "P1", "lot": "", "quantity": "9.0000",
        "deviceId": "pda-1", "round": 1}
    assert two["data"]["recordCount"]["stocktake"] == {"status": "COUNTING"}
    await api(COUNT, _count(number, "WH1-A-01", "4", "pda-1", sku="P3", lot="L1"), token=keeper)
    view = (await api(QUERY, {"number": number}, token=keeper))["data"]["stocktake"]
    assert view["lines"] == [
        {"locationCode": "WH1-A-01", "sku": "P1", "lot": "", "frozen": "10.0000",
         "moved": "0", "expected": "10.0000", "counted": "9.0000", "variance": "-1.0000",
         "varianceValue": "-100.0000"},
        {"locationCode": "WH1-A-01", "sku": "P3", "lot": "L1", "frozen": "4.0000",
         "moved": "0", "expected": "4.0000", "counted": "4.0000", "variance": "0.0000",
         "varianceValue": "0.0000"},
        {"locationCode": "WH1-A-02", "sku": "P1", "lot": "", "frozen": "5.0000",
         "moved": "2.0000", "expected": "7.0000", "counted": "7.0000", "variance": "0.0000",
         "varianceValue": "0.0000"}]
    recount = await api(RECOUNT, {"input": {"stocktakeNumber": number,
                                            "locationCodes": ["WH1-A-01"]}}, token=keeper)
    assert recount["data"]["requestRecount"]["stocktake"]["tasks"][0] == {
        "locationCode": "WH1-A-01", "status": "OPEN", "round": 2}
    refused = await api(COUNT, _count(number, "WH1-A-01", "-2", "pda-1"), token=keeper)
    assert refused["data"]["recordCount"]["userErrors"][0]["code"] == "INVALID_INPUT"
    await api(COUNT, _count(number, "WH1-A-01", "22", "pda-2"), token=keeper)
    await api(COUNT, _count(number, "WH1-A-01", "4", "pda-2", sku="P3", lot="L1"), token=keeper)
    posted = await api(POST, {"input": {"number": number, "idempotencyKey": "post-1"}},
                       token=keeper)
    pending = posted["data"]["postStocktake"]["stocktake"]
    assert (pending["status"], pending["requestedVarianceValue"]) == (
        "PENDING_APPROVAL", "1200.0000")
    [task] = (await api(APPROVAL_TASKS, token=tokens["finance"]))["data"]["approvalTasks"]
    assert (task["documentType"], task["documentNumber"]) == ("STOCKTAKE", number)
    assert task["facts"]["absVarianceValue"] == 1200
    decided = await api(DECIDE, {"input": {"taskId": task["id"], "approve": True}},
                        token=tokens["finance"])
    assert decided["data"]["decideApproval"]["requestStatus"] == "approved"
    done = (await api(QUERY, {"number": number}, token=keeper))["data"]["stocktake"]
    assert done["status"] == "POSTED" and done["varianceValue"] == "1200.0000"
    trail = (await api(TRAIL, {"number": number}, token=keeper))["data"]["stocktake"]
    assert trail["approvalTrail"] == [{"stepName": "finance", "status": "APPROVED",
                                       "approver": "finance"}]
    listed = (await api(LIST, token=keeper))["data"]["stocktakes"]["nodes"]
    assert listed == [{"number": number, "status": "POSTED"}]
    await assert_ledger_consistent(db)


async def test_a_blind_count_hides_expected_quantities_from_counters(
    api: Api, tokens: dict[str, str]
) -> None:
    started = await api(START, {"input": {"warehouseCode": "WH1", "locationCodes": ["WH1-A-02"],
                                          "blind": True}}, token=tokens["warehouse"])
    number = started["data"]["startStocktake"]["stocktake"]["number"]
    await api(COUNT, _count(number, "WH1-A-02", "3", "pda-1"), token=tokens["warehouse"])
    [counter] = (await api(QUERY, {"number": number}, token=tokens["warehouse"])
                 )["data"]["stocktake"]["lines"]
    assert (counter["expected"], counter["frozen"], counter["variance"], counter["counted"]) == (
        None, None, None, "3.0000")
    supervisor = (await api(QUERY, {"number": number}, token=tokens["finance"])
                  )["data"]["stocktake"]
    assert supervisor["lines"][0]["expected"] == "5.0000"
    assert supervisor["varianceValue"] == "-200.0000"
    refused = await api(START, {"input": {"warehouseCode": "WH1"}}, token=tokens["sales"])
    assert refused["data"]["startStocktake"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_count_tasks_and_status_changes_are_pushed_live(
    live_server: LiveServer, db: Database, world: World, tokens: dict[str, str]
) -> None:
    keeper = world["warehouse"]
    async with subscribed(live_server, tokens["warehouse"], document=TASK_FEED,
                          field="stocktakeTasks") as tasks, \
            subscribed(live_server, tokens["warehouse"], document=STATUS_FEED,
                       field="stocktakeEvents") as statuses:
        stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"]))
        [created] = await tasks.take(1)
        [started] = await statuses.take(1)
        await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 5))
        [done] = await tasks.take(1)
        [counting] = await statuses.take(1)
    assert (created["kind"], created["task"]["locationCode"], created["task"]["status"]) == (
        "TASK_CREATED", "WH1-A-02", "OPEN")
    assert (done["kind"], done["task"]["status"], done["task"]["round"]) == (
        "TASK_DONE", "COUNTED", 1)
    assert (started["kind"], started["stocktake"]["number"]) == (
        "STOCKTAKE_STARTED", stocktake.number)
    assert (counting["kind"], counting["stocktake"]["status"]) == (
        "STOCKTAKE_COUNTING", "COUNTING")
