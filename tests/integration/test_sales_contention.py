"""200 salespeople at once ordering the last 100 units, on PostgreSQL where they really race."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select

from server.db import Database
from server.inventory.models import Bucket
from server.sales import orders
from server.sales.models import Reservation, SalesOrder, ShortagePolicy
from server.sales.orders import OrderOutcome
from server.sales.rules import SalesLineDraft, SalesOrderChanges, ShortageRefused
from tests.sales_setup import (
    assert_books_balance,
    count_of,
    draft,
    level,
    put_stock,
    sales_world,
)

ORDERS = 200
D = Decimal


async def test_200_orders_for_100_units_reserve_exactly_100_and_never_deadlock(
    db: Database, postgres_only: None
) -> None:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 60, lot="L1")
    await put_stock(db, world, "P1", "WH1-A-02", 40, lot="L2")
    policies = [ShortagePolicy.REJECT if n % 2 else ShortagePolicy.BACKORDER
                for n in range(ORDERS)]
    crowd = Database(db.url, pool_size=8)  # ≤ 24 connections: other tests share the server
    try:
        results = await asyncio.gather(
            *(orders.create_sales_order(crowd, world["sales"], draft([("P1", 1)], policy=policy))
              for policy in policies),
            return_exceptions=True,
        )
    finally:
        await crowd.dispose()

    unexpected = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, ShortageRefused)]
    assert unexpected == []
    saved = [r for r in results if isinstance(r, OrderOutcome)]
    refused = [r for r in results if isinstance(r, ShortageRefused)]
    served = [r for r in saved if r.view.order.lines[0].reserved_quantity == 1]
    waiting = [r for r in saved if r.view.order.lines[0].backordered_quantity == 1]
    assert len(served) == 100 and len(served) + len(waiting) == len(saved)
    assert len(refused) + len(waiting) == ORDERS - 100
    assert all(policy is ShortagePolicy.REJECT
               for policy, r in zip(policies, results, strict=True) if r in refused)
    assert all(r.view.order.shortage_policy == "backorder" for r in waiting)
    assert all(p.code == "INSUFFICIENT_STOCK" for r in refused for p in r.problems)

    assert await level(db, "P1", Bucket.AVAILABLE) == 0
    assert await level(db, "P1", Bucket.RESERVED) == 100
    assert await level(db, "P1", Bucket.BACKORDERED) == len(waiting)
    async with db.reader() as session:
        reserved = sum(await session.scalars(select(Reservation.quantity)), Decimal(0))
        numbers = sorted(int(n.rsplit("-", 1)[1])
                         for n in await session.scalars(select(SalesOrder.number)))
    assert reserved == 100
    # Refused orders gave their numbers back: the saved ones are numbered without a gap.
    assert numbers == list(range(1, len(saved) + 1))
    assert await count_of(db, SalesOrder) == len(saved)


async def test_orders_changes_cancellations_and_arrivals_at_once_never_deadlock(
    db: Database, postgres_only: None
) -> None:
    """Everything that locks stock and orders, side by side: new orders naming products in
    either order, smaller orders and cancellations freeing stock to waiting backorders, and
    stock arriving for them. Nothing may deadlock, nothing waits beside free stock."""
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 20)
    await put_stock(db, world, "P3", "WH1-A-02", 20, unit_cost="40")
    backorder = ShortagePolicy.BACKORDER
    earlier = [await orders.create_sales_order(db, world["sales"], draft(
        [("P1", 3), ("P3", 3)], policy=backorder)) for _ in range(10)]
    crowd = Database(db.url, pool_size=8)  # ≤ 24 connections: other tests share the server

    async def smaller(outcome: OrderOutcome) -> object:
        order = outcome.view.order
        return await orders.update_sales_order(crowd, world["sales"], SalesOrderChanges(
            order.number, order.version, [SalesLineDraft("P3", D(1), line_no=2),
                                          SalesLineDraft("P1", D(1), line_no=1)]))

    try:
        results = await asyncio.gather(
            *(orders.cancel_sales_order(crowd, world["sales"], o.view.order.number, "gone")
              for o in earlier[:5]),
            *(smaller(o) for o in earlier[5:]),
            *(orders.create_sales_order(crowd, world["sales"], draft(
                [("P3", 2), ("P1", 2)] if n % 2 else [("P1", 2), ("P3", 2)], policy=backorder))
              for n in range(10)),
            *(put_stock(crowd, world, sku, "WH1-A-02" if n % 2 else "WH1-A-01", 2)
              for n in range(5) for sku in ("P3", "P1")),
            return_exceptions=True,
        )
    finally:
        await crowd.dispose()
    assert [r for r in results if isinstance(r, BaseException)] == []
    await assert_books_balance(db)
    waiting = await level(db, "P1", Bucket.BACKORDERED), await level(db, "P3", Bucket.BACKORDERED)
    # 20 + 10 arrived of each; 5 × 1 + 10 × 2 are wanted now: all served, 5 left over.
    assert waiting == (0, 0)
    assert await level(db, "P1", Bucket.AVAILABLE) == await level(db, "P3", Bucket.AVAILABLE) == 5
