"""Replenishment suggestions over GraphQL: a backordered sales order shows up as a suggestion with
its explanation in the same request cycle, converts into a draft purchase order that goes into
approval; dismissals, refusals, and the suggestionsChanged subscription live and replayed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.integration.test_suggestion_decisions import suggest
from tests.sales_setup import put_stock, sales_world
from tests.world import World

__all__ = ["live_server"]
SUGGESTION = """id sku productName warehouseCode quantity supplierCode supplierName unitPrice
  currency orderDate needDate urgent status computedAt purchaseOrderNumber dismissReason
  explanation { terms { term value note } rules { rule target before after }
                ruleFailures { rule message } notes forecastWeeks { week quantity source } }"""
LIST = f"""query($warehouse: String, $status: ReplenishmentSuggestionStatus! = OPEN) {{
  replenishmentSuggestions(warehouseCode: $warehouse, status: $status) {{
    edges {{ cursor node {{ {SUGGESTION} }} }} pageInfo {{ hasNextPage }} }} }}"""
CONVERT = """mutation($input: ConvertSuggestionsInput!) { convertSuggestions(input: $input) {
  purchaseOrders { number state supplier { code } warehouse { code } totalAmount
                   lines { lineNo quantity unitPrice product { sku } } }
  conversions { suggestionId purchaseOrderNumber }
  userErrors { code field message } } }"""
DISMISS = f"""mutation($input: DismissSuggestionInput!) {{ dismissSuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} userErrors {{ code field message }} }} }}"""
RECOMPUTE = """mutation { recomputeSuggestions { pairs openSuggestions urgent seconds
  userErrors { code message } } }"""
SALES_ORDER = """mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
  salesOrder { number lines { backordered } } userErrors { code message } } }"""
SUBMIT = """mutation($number: String!) { submitPurchaseOrder(input: {number: $number}) {
  purchaseOrder { number state } userErrors { code message } } }"""
TASKS = "{ approvalTasks { status documentType documentNumber stepName } }"
CHANGED = """subscription($warehouse: String, $after: String) {
  suggestionsChanged(warehouseCode: $warehouse, after: $after) {
    cursor warehouseCode skus opened updated closed full } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 6, lot="L1")
    return world


@pytest.fixture
async def tokens(db: Database, world: World) -> dict[str, str]:
    return {name: await token_for(db, world[name])
            for name in ("sales", "purchaser", "manager", "warehouse", "s1")}


def data(answer: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in answer, answer
    body: dict[str, Any] = answer["data"]
    return body


async def test_a_backorder_becomes_a_suggestion_then_a_draft_order_in_approval(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    created = data(await api(SALES_ORDER, {"input": {
        "customerCode": "C1", "warehouseCode": "WH1", "shortagePolicy": "BACKORDER",
        "lines": [{"sku": "P1", "quantity": "8"}]}}, token=tokens["sales"]))["createSalesOrder"]
    assert created["salesOrder"]["lines"] == [{"backordered": "2.0000"}]

    listed = data(await api(LIST, {"warehouse": "WH1"}, token=tokens["purchaser"]))
    [suggestion] = [edge["node"] for edge in listed["replenishmentSuggestions"]["edges"]]
    assert (suggestion["sku"], suggestion["warehouseCode"], suggestion["supplierCode"],
            suggestion["status"], suggestion["purchaseOrderNumber"]) == (
        "P1", "WH1", "S1", "OPEN", None)
    assert Decimal(suggestion["quantity"]) >= 2
    terms = {term["term"]: term["value"] for term in suggestion["explanation"]["terms"]}
    assert Decimal(terms["backordered"]) == 2

    converted = data(await api(CONVERT, {"input": {"ids": [suggestion["id"]]}},
                               token=tokens["purchaser"]))["convertSuggestions"]
    assert converted["userErrors"] == []
    [order] = converted["purchaseOrders"]
    assert (order["state"], order["supplier"], order["warehouse"],
            [(line["product"]["sku"], line["quantity"]) for line in order["lines"]]) == (
        "DRAFT", {"code": "S1"}, {"code": "WH1"}, [("P1", suggestion["quantity"])])
    assert converted["conversions"] == [{"suggestionId": suggestion["id"],
                                         "purchaseOrderNumber": order["number"]}]
    linked = data(await api(LIST, {"warehouse": "WH1", "status": "CONVERTED"},
                            token=tokens["purchaser"]))["replenishmentSuggestions"]["edges"]
    assert [(e["node"]["id"], e["node"]["purchaseOrderNumber"]) for e in linked] == [
        (suggestion["id"], order["number"])]
    # A full run after converting opens nothing new: the draft order counts as supply.
    data(await api(RECOMPUTE, token=tokens["purchaser"]))
    still_open = data(await api(LIST, {"warehouse": "WH1"}, token=tokens["purchaser"]))
    assert still_open["replenishmentSuggestions"]["edges"] == []

    again = data(await api(CONVERT, {"input": {"ids": [suggestion["id"]]}},
                           token=tokens["purchaser"]))["convertSuggestions"]
    assert (again["purchaseOrders"], [(e["code"], e["field"]) for e in again["userErrors"]]) == (
        [], [("SUGGESTION_NOT_OPEN", "ids[0]")])
    assert order["number"] in again["userErrors"][0]["message"]

    submitted = data(await api(SUBMIT, {"number": order["number"]},
                               token=tokens["purchaser"]))["submitPurchaseOrder"]
    assert submitted["purchaseOrder"] == {"number": order["number"], "state": "PENDING_APPROVAL"}
    tasks = data(await api(TASKS, token=tokens["manager"]))["approvalTasks"]
    assert [(t["status"], t["documentType"], t["documentNumber"]) for t in tasks] == [
        ("PENDING", "PURCHASE_ORDER", order["number"])]


async def test_dismiss_recompute_and_refusals(
    api: Api, db: Database, world: World, tokens: dict[str, str]
) -> None:
    p3 = await suggest(db, "P3", "S2", "5", price="40")
    bad = data(await api(DISMISS, {"input": {"id": str(p3), "reason": " "}},
                         token=tokens["purchaser"]))["dismissSuggestion"]
    assert (bad["suggestion"], [e["field"] for e in bad["userErrors"]]) == (None, ["reason"])
    dismissed = data(await api(DISMISS, {"input": {"id": str(p3), "reason": "seasonal"}},
                               token=tokens["purchaser"]))["dismissSuggestion"]
    assert (dismissed["suggestion"]["status"], dismissed["suggestion"]["dismissReason"],
            dismissed["suggestion"]["explanation"]["terms"]) == (
        "DISMISSED", "seasonal", [{"term": "backordered", "value": "5", "note": ""}])
    refused = data(await api(CONVERT, {"input": {"ids": [str(p3), "x"]}},
                             token=tokens["purchaser"]))["convertSuggestions"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", "ids")]
    forbidden = data(await api(CONVERT, {"input": {"ids": [str(p3)]}},
                               token=tokens["warehouse"]))["convertSuggestions"]
    assert [e["code"] for e in forbidden["userErrors"]] == ["FORBIDDEN"]
    unknown = await api(LIST, {"warehouse": "NOPE"}, token=tokens["purchaser"])
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    supplier = await api(LIST, {}, token=tokens["s1"])
    assert supplier["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    planned = data(await api(RECOMPUTE, token=tokens["purchaser"]))["recomputeSuggestions"]
    assert planned["userErrors"] == [] and planned["pairs"] >= 1
    refused_run = data(await api(RECOMPUTE, token=tokens["warehouse"]))["recomputeSuggestions"]
    assert ([e["code"] for e in refused_run["userErrors"]], refused_run["pairs"]) == (
        ["FORBIDDEN"], None)


async def test_suggestions_changed_is_pushed_live_and_replayed(
    api: Api, db: Database, world: World, live_server: LiveServer, tokens: dict[str, str]
) -> None:
    p1 = await suggest(db, "P1", "S1", "4")
    p3 = await suggest(db, "P3", "S2", "5", price="40")
    async with subscribed(live_server, tokens["purchaser"], document=CHANGED,
                          field="suggestionsChanged", warehouse="WH1") as stream:
        await api(DISMISS, {"input": {"id": str(p3), "reason": "enough"}},
                  token=tokens["purchaser"])
        [dismissed] = await stream.take(1)
        assert {k: v for k, v in dismissed.items() if k != "cursor"} == {
            "warehouseCode": "WH1", "skus": ["P3"], "opened": 0, "updated": 0, "closed": 1,
            "full": False}
        await api(CONVERT, {"input": {"ids": [str(p1)]}}, token=tokens["purchaser"])
        [converted] = await stream.take(1)
        assert (converted["skus"], converted["closed"]) == (["P1"], 1)
    async with subscribed(live_server, tokens["purchaser"], document=CHANGED,
                          field="suggestionsChanged", after=dismissed["cursor"]) as replay:
        assert [c["cursor"] for c in await replay.take(1)] == [converted["cursor"]]
        assert await replay.quiet()
