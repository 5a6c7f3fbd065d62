"""``caixiao-pda count`` against a real uvicorn on 127.0.0.1: two handhelds count the bins of a
blind stocktake in parallel, then the variances are posted and the ledger is consistent. The
client is synchronous, so each runs in a worker thread."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from pda_client import PdaClient, PostResult
from pda_client.count import start_counting
from server.db import Database
from server.inventory.models import StockLedger
from server.stocktake.closing import PostRequest, post_stocktake
from server.stocktake.service import StartRequest, start_stocktake
from tests.e2e.test_subscriptions import LiveServer, live_server
from tests.ledger_invariants import assert_ledger_consistent
from tests.stocktake_setup import stocked_world
from tests.world import PASSWORD, World

__all__ = ["live_server"]

P1_EAN = "6901234567892"


@pytest.fixture
async def world(db: Database) -> World:
    return await stocked_world(db)


def pda(server: LiveServer, queue: Path) -> PdaClient:
    return PdaClient(f"http://127.0.0.1:{server.port}/graphql", queue_path=queue,
                     sleep=lambda _: None)


async def test_two_handhelds_count_in_parallel_and_the_variance_posts(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    stocktake = await start_stocktake(db, world["warehouse"],
                                      StartRequest("WH1", ["WH1-A-01", "WH1-A-02"], blind=True))
    number = stocktake.number

    def count(device: str, bin_code: str, scans: list[str], typed: list[tuple[str, str, str]]
              ) -> list[PostResult]:
        with pda(live_server, tmp_path / f"{device}.sqlite3") as client:
            client.login("warehouse", PASSWORD)
            session = start_counting(client, number, device)
            assert session.scan(bin_code).kind == "bin"
            for scan in scans:
                assert not session.scan(scan).refused
            for sku, quantity, lot in typed:
                session.set_quantity(quantity, sku=sku, lot=lot)
            return session.done()

    first, second = await asyncio.gather(
        asyncio.to_thread(count, "pda-1", "WH1-A-01", [P1_EAN] * 9, [("P3", "4", "L1")]),
        asyncio.to_thread(count, "pda-2", "WH1-A-02", [P1_EAN] * 6, []),
    )
    assert [r.status for r in first + second] == ["sent"] * 3, first + second
    posted = await post_stocktake(db, world["warehouse"],
                                  PostRequest(number, uuid.uuid4().hex))
    # WH1-A-01: 9 of 10 P1; WH1-A-02: 6 of 5: −100 + 100.
    assert (posted.status, posted.requested_variance_value) == ("posted", Decimal(0))
    async with db.reader() as session:
        rows = (await session.execute(
            select(StockLedger.from_bucket, StockLedger.to_bucket, StockLedger.quantity)
            .where(StockLedger.document_number == number).order_by(StockLedger.id))).all()
    assert [tuple(row) for row in rows] == [("available", None, 1), (None, "available", 1)]
    await assert_ledger_consistent(db)
