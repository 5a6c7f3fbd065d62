"""A transfer over GraphQL, end to end: created at WH1 (reserving there), picked and shipped by
the source's handheld, shown in transit in WH2's stockLevels, its number resolved by the
destination's scanner, received by scan into available at the cost that travelled; the
transferEvents subscription tells the destination; the PDA client picks a transfer through
pickList / confirmPick as it picks a sales pick list; the ledger invariants hold."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pda_client import PdaClient
from server.db import Database
from server.transfers.queries import TransferView, transfer_view
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.ledger_invariants import assert_ledger_consistent
from tests.picking_setup import put_stock
from tests.transfer_setup import levels as levels_of
from tests.transfer_setup import new_transfer, transfer_world
from tests.world import PASSWORD, World

__all__ = ["live_server"]

P1_EAN = "6901234567892"
ERRORS = "userErrors { code field message }"
TRANSFER = """number state version fromWarehouseCode toWarehouseCode
  lines { lineNo sku requested quantity picked shipped received
          lots { lot quantity unitCost received inTransit } }
  picks { lineNo transferLineNo sku binCode lot quantity remaining status taskId }"""
CREATE = f"""mutation($input: CreateTransferInput!) {{ createTransfer(input: $input) {{
  transfer {{ {TRANSFER} }} {ERRORS} }} }}"""
PICK = f"""mutation($input: ConfirmTransferPickInput!) {{ confirmTransferPick(input: $input) {{
  transfer {{ {TRANSFER} }} {ERRORS} }} }}"""
SHIP = f"""mutation($input: ShipTransferInput!) {{ shipTransfer(input: $input) {{
  transfer {{ {TRANSFER} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($input: ReceiveTransferInput!) {{ receiveTransfer(input: $input) {{
  transfer {{ {TRANSFER} }} {ERRORS} }} }}"""
LEVELS = """query($wh: String!) { stockLevels(warehouseCode: $wh, skus: ["P1"]) {
  available reserved picked inTransit onHand projected averageCost value } }"""
SCAN = """query($code: String!) { resolveBarcode(code: $code) {
  scan { kind documentNumber } userErrors { code } } }"""
INCOMING = """{ transfers(warehouseCode: "WH2", direction: INCOMING) {
  nodes { number state } } }"""
FEED = """subscription { transferEvents(warehouseCode: "WH2") {
  kind direction transfer { number state } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    found = await transfer_world(db)
    await put_stock(db, found, "P1", "WH1-A-01", 6, "10")
    await put_stock(db, found, "P1", "WH1-A-02", 4, "13")
    return found


def ok(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][field]
    assert payload["userErrors"] == [], payload
    return payload


async def transfer_now(db: Database, number: str) -> TransferView:
    async with db.reader() as session:
        return await transfer_view(session, number)


def key() -> str:
    return uuid.uuid4().hex


async def levels(api: Api, token: str, warehouse: str) -> dict[str, Any]:
    body = await api(LEVELS, {"wh": warehouse}, token=token)
    assert "errors" not in body, body
    level: dict[str, Any] = body["data"]["stockLevels"][0]
    return level


async def test_a_transfer_shows_in_transit_then_available_after_the_pda_receipt(
    api: Api, db: Database, world: World
) -> None:
    token = await token_for(db, world["warehouse"])
    created = ok(await api(CREATE, {"input": {
        "fromWarehouseCode": "WH1", "toWarehouseCode": "WH2", "idempotencyKey": key(),
        "lines": [{"sku": "P1", "quantity": "8"}], "note": "north store opening"}},
        token=token), "createTransfer")["transfer"]
    number = created["number"]
    assert [(p["binCode"], p["quantity"]) for p in created["picks"]] == [
        ("WH1-A-01", "6.0000"), ("WH1-A-02", "2.0000")]
    refused = await api(CREATE, {"input": {
        "fromWarehouseCode": "WH1", "toWarehouseCode": "WH2", "idempotencyKey": key(),
        "lines": [{"sku": "P1", "quantity": "3"}]}}, token=token)
    assert [e["code"] for e in refused["data"]["createTransfer"]["userErrors"]] == [
        "INSUFFICIENT_STOCK"]

    transfer = created
    for pick in created["picks"]:
        transfer = ok(await api(PICK, {"input": {
            "transferNumber": number, "lineNo": pick["lineNo"], "binBarcode": pick["binCode"],
            "productBarcode": P1_EAN, "quantity": pick["quantity"], "idempotencyKey": key(),
            "basedOnVersion": transfer["version"]}}, token=token),
            "confirmTransferPick")["transfer"]
    assert transfer["state"] == "PICKED"
    shipped = ok(await api(SHIP, {"input": {"transferNumber": number, "idempotencyKey": key()}},
                           token=token), "shipTransfer")["transfer"]
    assert shipped["state"] == "IN_TRANSIT"
    assert shipped["lines"][0]["lots"] == [{"lot": "", "quantity": "8.0000",
                                            "unitCost": "11.2000", "received": "0.0000",
                                            "inTransit": "8.0000"}]
    destination = await levels(api, token, "WH2")
    assert (destination["inTransit"], destination["projected"], destination["onHand"]) == (
        "8.0000", "8.0000", "0.0000")
    assert (await levels(api, token, "WH1"))["value"] == "22.4000"
    assert (await api(INCOMING, token=token))["data"]["transfers"]["nodes"] == [
        {"number": number, "state": "IN_TRANSIT"}]

    scan = (await api(SCAN, {"code": number}, token=token))["data"]["resolveBarcode"]
    assert scan == {"scan": {"kind": "TRANSFER", "documentNumber": number}, "userErrors": []}
    over = await api(RECEIVE, {"input": {
        "transferNumber": number, "warehouseCode": "WH2", "idempotencyKey": key(),
        "lines": [{"barcode": P1_EAN, "quantity": "9"}]}}, token=token)
    assert [e["code"] for e in over["data"]["receiveTransfer"]["userErrors"]] == [
        "OVER_RECEIPT"]
    received = ok(await api(RECEIVE, {"input": {
        "transferNumber": number, "warehouseCode": "WH2", "idempotencyKey": key(),
        "basedOnVersion": shipped["version"],
        "lines": [{"barcode": P1_EAN, "quantity": "8"}]}}, token=token),
        "receiveTransfer")["transfer"]
    assert received["state"] == "RECEIVED"
    destination = await levels(api, token, "WH2")
    assert {k: destination[k] for k in ("available", "inTransit", "averageCost", "value")} == {
        "available": "8.0000", "inTransit": "0.0000", "averageCost": "11.2000",
        "value": "89.6000"}
    await assert_ledger_consistent(db)


async def test_transfer_events_reach_the_destination(
    live_server: LiveServer, db: Database, world: World
) -> None:
    token = await token_for(db, world["warehouse"])
    async with subscribed(live_server, token, document=FEED, field="transferEvents") as feed:
        view = await new_transfer(db, world, {"P1": 2})
        [created] = await feed.take(1)
    assert created == {"kind": "TRANSFER_CREATED", "direction": "INCOMING",
                       "transfer": {"number": view.transfer.number, "state": "PICKING"}}


async def test_the_pda_picks_and_ships_a_transfer_and_the_destination_receives_it(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    view = await new_transfer(db, world, {"P1": 8})

    def pick_and_ship() -> tuple[list[tuple[str, str]], str]:
        with PdaClient(f"http://127.0.0.1:{live_server.port}/graphql",
                       queue_path=tmp_path / "pda.sqlite3", sleep=lambda _: None) as pda:
            pda.login("warehouse", PASSWORD)
            session = pda.next_pick_task("WH1")
            assert session is not None and session.number == view.transfer.number
            assert "WRONG_BIN" in session.scan("WH1-A-02").warning_codes
            confirmed = []
            while (current := session.current()) is not None:
                session.scan(current.bin)
                session.scan(P1_EAN)
                session.set_quantity(current.remaining)
                confirmed.append((current.bin, session.confirm().status))
            return confirmed, pda.ship_transfer(view.transfer.number).status

    assert await asyncio.to_thread(pick_and_ship) == (
        [("WH1-A-01", "sent"), ("WH1-A-02", "sent")], "sent")
    assert (await transfer_now(db, view.transfer.number)).transfer.state == "in_transit"
    assert await levels_of(db, "P1", "WH2") == {"in_transit": Decimal(8)}

    def receive() -> tuple[list[tuple[str, str]], str]:
        with PdaClient(f"http://127.0.0.1:{live_server.port}/graphql",
                       queue_path=tmp_path / "dock.sqlite3", sleep=lambda _: None) as pda:
            pda.login("warehouse", PASSWORD)
            session = pda.start_receiving(view.transfer.number)
            expected = [(line.sku, str(line.max_receivable)) for line in session.document.lines]
            for _ in range(5):
                session.scan(P1_EAN)
            session.set_quantity("P1", 9)
            over = session.post()
            session.set_quantity("P1", 8)
            return expected, f"{over.status} {session.post().status}"

    # Nine is more than travelled: the server refuses it and the session reopens; eight goes.
    assert await asyncio.to_thread(receive) == ([("P1", "8.0000")], "conflict sent")
    assert await levels_of(db, "P1", "WH2") == {"available": Decimal(8)}
    assert (await transfer_now(db, view.transfer.number)).transfer.state == "received"
    await assert_ledger_consistent(db)
