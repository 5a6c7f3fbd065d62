"""Stocktakes under concurrent work on PostgreSQL: postings racing the freeze and the count are
tracked, so what a line expects is always what the ledger says the bin holds."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from server.catalog.models import Location, Product
from server.db import Database
from server.inventory.models import StockQuant
from server.inventory.rules import BinMoveRequest
from server.inventory.service import move_stock
from server.stocktake import queries
from server.stocktake.closing import post_stocktake
from server.stocktake.service import StartRequest, record_count, start_stocktake
from tests.ledger_invariants import assert_ledger_consistent
from tests.stocktake_setup import adjust, count, posting, stocked_world


async def _held(db: Database, location: str, sku: str) -> Decimal:
    async with db.reader() as session:
        return await session.scalar(
            select(func.coalesce(func.sum(StockQuant.quantity), 0))
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Location.code == location, Product.sku == sku)) or Decimal(0)


async def test_postings_racing_the_freeze_and_the_counts_are_all_tracked(
    db: Database, postgres_only: None
) -> None:
    world = await stocked_world(db)
    keeper = world["warehouse"]

    async def shuffle(times: int) -> None:
        for _ in range(times):
            await move_stock(db, keeper, BinMoveRequest(
                sku="P1", from_location_code="WH1-A-01", to_location_code="WH1-A-02",
                quantity=Decimal(1), idempotency_key=uuid.uuid4().hex))
            await adjust(db, world, "P1", "WH1-A-01", 1, "100")

    start = asyncio.create_task(start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01",
                                                                                 "WH1-A-02"])))
    await asyncio.gather(shuffle(3), start)
    number = start.result().number
    devices = [record_count(db, keeper, count(number, "WH1-A-02", 1, device=f"pda-{n}"))
               for n in range(6)]
    await asyncio.gather(shuffle(3), *devices)
    async with db.reader() as session:
        stocktake = await queries.stocktake(session, world.admin, number)
        assert stocktake is not None
        views = await queries.line_views(session, world.admin, stocktake)
    p1 = {view.location_code: view.line for view in views if view.sku == "P1"}
    assert p1["WH1-A-01"].expected == await _held(db, "WH1-A-01", "P1") == 10
    assert p1["WH1-A-02"].expected == await _held(db, "WH1-A-02", "P1") == 11
    assert p1["WH1-A-02"].counted == 6
    posted = await post_stocktake(db, keeper, posting(number))
    assert posted.status == "posted"
    assert await _held(db, "WH1-A-02", "P1") == 6
    await assert_ledger_consistent(db)
