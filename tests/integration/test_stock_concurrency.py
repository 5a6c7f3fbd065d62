"""Races on PostgreSQL, where transactions really run side by side (SQLite queues writers)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select

from server.db import Database
from server.inventory.balances import InsufficientStock
from server.inventory.models import Bucket, StockLedger
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.inventory.queries import StockMovement, levels_of
from server.inventory.service import adjust_stock
from tests.stock_setup import adjustment, build_stock_world


async def test_fifty_concurrent_takers_of_three_from_a_hundred_leave_exactly_one(
    db: Database, postgres_only: None
) -> None:
    world = await build_stock_world(db)
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 100, unit_cost="1.5"))
    crowd = Database(db.url, pool_size=50)
    try:
        results = await asyncio.gather(
            *(adjust_stock(crowd, world.keeper, adjustment("SKU-1", "WH1-A", -3))
              for _ in range(50)),
            return_exceptions=True,
        )
    finally:
        await crowd.dispose()
    taken = [r for r in results if isinstance(r, StockMovement)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(taken), len(refused)) == (33, 17), [r for r in results if isinstance(r, Exception)
                                                    and not isinstance(r, InsufficientStock)]
    assert all("1 there, 3 asked" in str(r) for r in refused)
    async with db.reader() as session:
        [level] = await levels_of(session, [(world.products["SKU-1"], "SKU-1")],
                                  (world.warehouses["WH1"], "WH1"))
        numbers = list(await session.scalars(select(StockLedger.document_number)))
    assert (level.buckets[Bucket.AVAILABLE], level.on_hand) == (1, 1)
    assert [(b.location_code, b.quantity) for b in level.bins] == [("WH1-A", 1)]
    assert level.value == Decimal("1.5")
    # Document numbers stay gap-free: refused adjustments gave theirs back.
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 35))


async def test_postings_naming_products_in_opposite_orders_never_deadlock(
    db: Database, postgres_only: None
) -> None:
    world = await build_stock_world(db)
    one, two = world.products["SKU-1"], world.products["SKU-2"]
    warehouse, bin_a, bin_b = world.warehouses["WH1"], world.bins["WH1-A"], world.bins["WH1-B"]

    def shift(product_id: int, source: int, target: int) -> Move:
        return Move(product_id, warehouse, Decimal(1), Bucket.AVAILABLE, Bucket.AVAILABLE,
                    source, target)

    async def post(moves: list[Move], database: Database) -> None:
        async with database.transaction() as session:
            await post_moves(session, moves, PostingContext("TST", world.keeper))

    await post([Move(p, warehouse, Decimal(100), None, Bucket.AVAILABLE, None, loc,
                     unit_cost=Decimal(1))
                for p in (one, two) for loc in (bin_a, bin_b)], db)
    crowd = Database(db.url, pool_size=40)
    try:
        await asyncio.gather(*(
            post([shift(one, bin_a, bin_b), shift(two, bin_b, bin_a)] if n % 2 else
                 [shift(two, bin_a, bin_b), shift(one, bin_b, bin_a)], crowd)
            for n in range(40)
        ))
    finally:
        await crowd.dispose()
    async with db.reader() as session:
        levels = await levels_of(session, [(one, "SKU-1"), (two, "SKU-2")], (warehouse, "WH1"))
    assert [[(b.location_code, b.quantity) for b in level.bins] for level in levels] == [
        [("WH1-A", 100), ("WH1-B", 100)], [("WH1-A", 100), ("WH1-B", 100)]
    ]
