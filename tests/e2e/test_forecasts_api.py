from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.world import World, build_world

SET = """mutation($entries: [ForecastEntryInput!]!) {
  setForecasts(input: {entries: $entries}) { written userErrors { code field message } } }"""
READ = """query($skus: [String!], $from: String, $to: String) {
  forecasts(warehouseCode: "WH1", skus: $skus, fromWeek: $from, toWeek: $to) {
    sku warehouseCode week weekStart quantity updatedAt updatedBy } }"""


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


def entry(sku: str, week: str, quantity: str) -> dict[str, Any]:
    return {"sku": sku, "warehouseCode": "WH1", "week": week, "quantity": quantity}


async def test_set_replace_and_read_a_range(api: Api, db: Database, world: World) -> None:
    sales = await token_for(db, world["sales"])
    first = await api(SET, {"entries": [entry("P1", "2026-W48", "10"),
                                        entry("P1", "2026-W49", "11"),
                                        entry("P2", "2026-W49", "2.5")]}, token=sales)
    assert first["data"]["setForecasts"] == {"written": 3, "userErrors": []}
    second = await api(SET, {"entries": [entry("P1", "2026-W49", "14.25")]}, token=sales)
    assert second["data"]["setForecasts"] == {"written": 1, "userErrors": []}

    reader = await token_for(db, world["warehouse"])
    body = await api(READ, {"skus": ["P1", "P2"], "from": "2026-W49", "to": "2026-W52"},
                     token=reader)
    rows = body["data"]["forecasts"]
    assert [(r["sku"], r["week"], r["weekStart"], r["quantity"], r["updatedBy"])
            for r in rows] == [
        ("P1", "2026-W49", "2026-11-30", "14.2500", "sales"),
        ("P2", "2026-W49", "2026-11-30", "2.5000", "sales"),
    ]
    assert all(r["warehouseCode"] == "WH1" and r["updatedAt"] for r in rows)
    everything = await api(READ, {}, token=reader)
    assert len(everything["data"]["forecasts"]) == 3


async def test_bad_entries_come_back_as_user_errors_and_nothing_is_written(
    api: Api, db: Database, world: World
) -> None:
    sales = await token_for(db, world["sales"])
    body = await api(SET, {"entries": [entry("P1", "2026-W48", "1"), entry("NOPE", "2026-W48", "1"),
                                       entry("P2", "2026-W60", "1"), entry("P3", "2026-W48", "-2"),
                                       entry("P1", "2026-W48", "3")]}, token=sales)
    payload = body["data"]["setForecasts"]
    assert payload["written"] == 0
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", "entries[1].sku"), ("INVALID_INPUT", "entries[2].week"),
        ("INVALID_INPUT", "entries[3].quantity"), ("DUPLICATE", "entries[4].week")]
    read = await api(READ, {}, token=sales)
    assert read["data"]["forecasts"] == []


async def test_suppliers_may_neither_set_nor_read(api: Api, db: Database, world: World) -> None:
    supplier = await token_for(db, world["s1"])
    body = await api(SET, {"entries": [entry("P1", "2026-W48", "1")]}, token=supplier)
    assert body["data"]["setForecasts"]["userErrors"][0]["code"] == "FORBIDDEN"
    read = await api(READ, {}, token=supplier)
    assert read["data"] is None
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api(SET, {"entries": [entry("P1", "2026-W48", "1")]})
    assert anonymous["data"]["setForecasts"]["userErrors"][0]["code"] == "UNAUTHENTICATED"


async def test_a_malformed_range_is_a_coded_error(api: Api, db: Database, world: World) -> None:
    token = await token_for(db, world["purchaser"])
    body = await api(READ, {"from": "2026-48"}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "fromWeek"}
