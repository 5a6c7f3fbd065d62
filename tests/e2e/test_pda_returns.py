"""Against a real uvicorn on 127.0.0.1: the PDA client receives a sales return by scanning its
number and the product barcodes, lists and decides its QC task, and the same post sent twice is
received once; salesReturnEvents pushes each state change as it commits, and replays them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pda_client import PdaClient, returns
from server.db import Database
from server.sales.return_models import SalesReturnReceipt
from tests.e2e.conftest import token_for
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.picking_setup import picking_world, put_stock
from tests.returns_setup import create_return, inspect, qc_tasks, receive_return, ship_order
from tests.world import PASSWORD, World

__all__ = ["live_server"]  # the fixture, imported for this module's tests

P1_EAN = "6901234567892"
FEED = """subscription($number: String, $after: String) {
  salesReturnEvents(number: $number, after: $after) {
    cursor kind number salesOrderNumber state receiptNumber } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    return world


def pda(server: LiveServer, queue: Path) -> PdaClient:
    return PdaClient(f"http://127.0.0.1:{server.port}/graphql", queue_path=queue,
                     sleep=lambda _: None)


async def test_a_return_is_received_and_inspected_from_the_handheld(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    order = await ship_order(db, world, {"P1": 5})
    number = (await create_return(db, world, order, {"P1": 3})).row.number

    def work() -> tuple[list[str], list[str]]:
        with pda(live_server, tmp_path / "queue.sqlite3") as client:
            client.login("warehouse", PASSWORD)
            too_many = returns.receive_return(client, number, "WH1", [f"{P1_EAN}*4"])
            received = returns.receive_return(client, number, "WH1", [P1_EAN, f"{P1_EAN}*2"])
            assert received.status == "sent", received
            client.deliver(client.queue.posts(["sent"])[-1])  # the same key once more
            client.login("qc", PASSWORD)
            [task] = client.tasks("WH1", ["QC"])
            assert (task.sku, task.quantity, task.document_number) == (
                "P1", Decimal(3), received.receipt_number)
            decided = returns.inspect_return(client, task.id, restock=2, scrap=1,
                                             notes="one cracked")
            assert decided.status == "sent", decided
            assert decided.payload is not None
            state = decided.payload["salesReturn"]["state"]
            return [p.code for p in too_many.problems], [state, too_many.status]

    problems, outcome = await asyncio.to_thread(work)
    assert problems == ["OVER_RECEIPT"]
    assert outcome == ["CLOSED", "conflict"]
    async with db.reader() as session:
        receipts = await session.scalar(select(func.count()).select_from(SalesReturnReceipt))
    assert receipts == 1


async def test_return_events_are_pushed_live_and_replayed(
    live_server: LiveServer, db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 2})
    number = (await create_return(db, world, order, {"P1": 1})).row.number
    token = await token_for(db, world["warehouse"])
    async with subscribed(live_server, token, document=FEED, field="salesReturnEvents",
                          number=number) as feed:
        received = await receive_return(db, world, number, {"P1": 1})
        [event] = await feed.take(1)
    assert {k: v for k, v in event.items() if k != "cursor"} == {
        "kind": "RETURN_RECEIVED", "number": number, "salesOrderNumber": order,
        "state": "RECEIVED", "receiptNumber": received.receipt.number}
    [task] = await qc_tasks(db, received.receipt.number)
    await inspect(db, world, task.id, scrap=1)  # while nobody listens
    async with subscribed(live_server, token, document=FEED, field="salesReturnEvents",
                          number=number, after=event["cursor"]) as resumed:
        [missed] = await resumed.take(1)
    assert (missed["kind"], missed["state"]) == ("RETURN_INSPECTED", "CLOSED")
