"""The PDA client against a real uvicorn on 127.0.0.1: a sales return received by scanning its
number and the product barcodes, its QC task listed and decided from the handheld, and the same
post sent twice received once."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pda_client import PdaClient, returns
from server.db import Database
from server.sales.return_models import SalesReturnReceipt
from tests.e2e.test_subscriptions import LiveServer, live_server
from tests.picking_setup import picking_world, put_stock
from tests.returns_setup import create_return, ship_order
from tests.world import PASSWORD, World

__all__ = ["live_server"]  # the fixture, imported for this module's tests

P1_EAN = "6901234567892"


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
