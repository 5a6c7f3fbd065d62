from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.auth import Role
from server.catalog.models import Supplier
from server.db import Database
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for
from tests.stock_setup import StockWorld, build_stock_world

YEAR = datetime.now(UTC).year
MOVEMENT = """
  movement {
    documentNumber
    entries { sku warehouseCode fromBucket toBucket fromLocationCode toLocationCode lot
              quantity unitCost value documentType reason actor }
    stockLevel { available onHand averageCost value bins { locationCode lot quantity } }
  }
  userErrors { code field message }
"""
ADJUST = f"mutation($input: AdjustStockInput!) {{ adjustStock(input: $input) {{ {MOVEMENT} }} }}"
MOVE = f"mutation($input: MoveStockInput!) {{ moveStock(input: $input) {{ {MOVEMENT} }} }}"
LEVELS = """query($skus: [String!]!) { stockLevels(warehouseCode: "WH1", skus: $skus) {
  sku warehouseCode onOrder inTransit pendingQc available reserved picked rejected backordered
  onHand projected averageCost value version bins { locationCode lot quantity } } }"""
LEDGER = """query($after: String, $type: String, $from: DateTime, $to: DateTime) {
  stockLedger(sku: "SKU-1", warehouseCode: "WH1", first: 2, after: $after,
              documentType: $type, postedFrom: $from, postedTo: $to) {
    edges { cursor node { documentNumber documentType quantity fromBucket toBucket } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def world(db: Database) -> StockWorld:
    return await build_stock_world(db)


@pytest.fixture
async def keeper_token(db: Database, world: StockWorld) -> str:
    return await token_for(db, world.keeper)


def adjust_input(quantity: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"warehouseCode": "WH1", "sku": "SKU-1", "locationCode": "WH1-A",
            "quantity": quantity, "reason": "opening balance", "idempotencyKey": key, **extra}


async def test_adjust_then_replay_then_move_then_read_levels(
    api: Api, keeper_token: str
) -> None:
    first = await api(ADJUST, {"input": adjust_input("10", "k1", unitCost="2.5", lot="L1")},
                      token=keeper_token)
    assert first["data"]["adjustStock"] == {"userErrors": [], "movement": {
        "documentNumber": f"ADJ-{YEAR}-000001",
        "entries": [{
            "sku": "SKU-1", "warehouseCode": "WH1", "fromBucket": None, "toBucket": "AVAILABLE",
            "fromLocationCode": None, "toLocationCode": "WH1-A", "lot": "L1",
            "quantity": "10.0000", "unitCost": "2.5000", "value": "25.0000",
            "documentType": "ADJ", "reason": "opening balance", "actor": "keeper",
        }],
        "stockLevel": {"available": "10.0000", "onHand": "10.0000", "averageCost": "2.5000",
                       "value": "25.0000",
                       "bins": [{"locationCode": "WH1-A", "lot": "L1", "quantity": "10.0000"}]},
    }}
    replay = await api(ADJUST, {"input": adjust_input("10", "k1", unitCost="2.5", lot="L1")},
                       token=keeper_token)
    assert replay["data"]["adjustStock"] == first["data"]["adjustStock"]

    moved = await api(MOVE, {"input": {"sku": "SKU-1", "fromLocationCode": "WH1-A",
                                       "toLocationCode": "WH1-B", "quantity": "4", "lot": "L1",
                                       "idempotencyKey": "m1"}}, token=keeper_token)
    movement = moved["data"]["moveStock"]["movement"]
    assert movement["documentNumber"] == f"MOV-{YEAR}-000001"
    assert movement["entries"][0]["fromBucket"] == movement["entries"][0]["toBucket"]
    assert movement["stockLevel"]["bins"] == [
        {"locationCode": "WH1-A", "lot": "L1", "quantity": "6.0000"},
        {"locationCode": "WH1-B", "lot": "L1", "quantity": "4.0000"},
    ]
    levels = await api(LEVELS, {"skus": ["SKU-2", "SKU-1"]}, token=keeper_token)
    sku2, sku1 = levels["data"]["stockLevels"]
    assert (sku2["sku"], sku2["onHand"], sku2["averageCost"], sku2["bins"]) == (
        "SKU-2", "0.0000", None, []
    )
    assert sku1 == {
        "sku": "SKU-1", "warehouseCode": "WH1", "onOrder": "0.0000", "inTransit": "0.0000",
        "pendingQc": "0.0000", "available": "10.0000", "reserved": "0.0000",
        "picked": "0.0000", "rejected": "0.0000", "backordered": "0.0000",
        "onHand": "10.0000", "projected": "10.0000", "averageCost": "2.5000",
        "value": "25.0000", "version": 2, "bins": movement["stockLevel"]["bins"],
    }


async def test_refusals_come_back_as_user_errors_and_change_nothing(
    api: Api, keeper_token: str
) -> None:
    await api(ADJUST, {"input": adjust_input("3", "a", unitCost="1")}, token=keeper_token)
    short = await api(ADJUST, {"input": adjust_input("-5", "b")}, token=keeper_token)
    assert short["data"]["adjustStock"]["movement"] is None
    [error] = short["data"]["adjustStock"]["userErrors"]
    assert (error["code"], error["field"]) == ("INSUFFICIENT_STOCK", "quantity")
    assert "3 there, 5 asked" in error["message"]
    bad = await api(ADJUST, {"input": adjust_input("0", "c", sku="NOPE", reason=" ")},
                    token=keeper_token)
    assert [(e["code"], e["field"]) for e in bad["data"]["adjustStock"]["userErrors"]] == [
        ("INVALID_INPUT", "quantity"), ("INVALID_INPUT", "reason")
    ]
    unknown = await api(ADJUST, {"input": adjust_input("1", "d", sku="NOPE",
                                                       locationCode="WH2-A")},
                        token=keeper_token)
    assert [(e["code"], e["field"]) for e in unknown["data"]["adjustStock"]["userErrors"]] == [
        ("NOT_FOUND", "sku"), ("INVALID_INPUT", "locationCode")
    ]
    elsewhere = await api(MOVE, {"input": {"sku": "SKU-1", "fromLocationCode": "WH1-A",
                                           "toLocationCode": "WH2-A", "quantity": "1",
                                           "idempotencyKey": "e"}}, token=keeper_token)
    assert [e["field"] for e in elsewhere["data"]["moveStock"]["userErrors"]] == [
        "toLocationCode"
    ]
    ledger = await api(LEDGER, {}, token=keeper_token)
    assert len(ledger["data"]["stockLedger"]["edges"]) == 1


async def test_ledger_pages_newest_first_and_filters_by_document_and_time(
    api: Api, keeper_token: str
) -> None:
    for quantity, key in [("5", "1"), ("-1", "2"), ("-2", "3")]:
        await api(ADJUST, {"input": adjust_input(quantity, key, unitCost=None if
                                                 quantity.startswith("-") else "1")},
                  token=keeper_token)
    await api(MOVE, {"input": {"sku": "SKU-1", "fromLocationCode": "WH1-A",
                               "toLocationCode": "WH1-B", "quantity": "1",
                               "idempotencyKey": "4"}}, token=keeper_token)
    first = (await api(LEDGER, {}, token=keeper_token))["data"]["stockLedger"]
    assert [e["node"]["documentNumber"] for e in first["edges"]] == [
        f"MOV-{YEAR}-000001", f"ADJ-{YEAR}-000003"
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await api(LEDGER, {"after": first["pageInfo"]["endCursor"]},
                        token=keeper_token))["data"]["stockLedger"]
    assert [(e["node"]["documentNumber"], e["node"]["quantity"]) for e in second["edges"]] == [
        (f"ADJ-{YEAR}-000002", "1.0000"), (f"ADJ-{YEAR}-000001", "5.0000")
    ]
    assert second["pageInfo"]["hasNextPage"] is False
    moves_only = (await api(LEDGER, {"type": "MOV"}, token=keeper_token))["data"]["stockLedger"]
    assert [e["node"]["documentType"] for e in moves_only["edges"]] == ["MOV"]
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(),
              "to": (now + timedelta(hours=1)).isoformat()}
    assert len((await api(LEDGER, window, token=keeper_token))["data"]["stockLedger"]
               ["edges"]) == 2
    past = {"to": (now - timedelta(hours=1)).isoformat()}
    assert (await api(LEDGER, past, token=keeper_token))["data"]["stockLedger"]["edges"] == []


async def test_staff_read_stock_suppliers_do_not_and_only_stock_keepers_move_it(
    api: Api, db: Database, world: StockWorld, make_user: UserFactory
) -> None:
    sales = await token_for(db, await make_user(Role.SALES))
    levels = await api(LEVELS, {"skus": ["SKU-1"]}, token=sales)
    assert levels["data"]["stockLevels"][0]["onHand"] == "0.0000"
    refused = await api(ADJUST, {"input": adjust_input("1", "x", unitCost="1")}, token=sales)
    assert refused["data"]["adjustStock"]["userErrors"][0]["code"] == "FORBIDDEN"
    async with db.transaction() as session:
        supplier = Supplier(code="S1", name="Supplier")
        session.add(supplier)
        await session.flush()
        supplier_id = supplier.id
    vendor = await token_for(db, await make_user(Role.SUPPLIER, supplier_id=supplier_id))
    for query in (LEVELS, LEDGER):
        body = await api(query, {"skus": ["SKU-1"]} if query is LEVELS else {}, token=vendor)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await api(LEVELS, {"skus": ["SKU-1", "NOPE"]}, token=sales)
    assert unknown["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "skus"}
    anonymous = await api(LEVELS, {"skus": ["SKU-1"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
