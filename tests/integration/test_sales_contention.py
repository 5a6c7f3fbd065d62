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
from server.sales.rules import ShortageRefused
from tests.sales_setup import count_of, draft, level, put_stock, sales_world

ORDERS = 200


async def test_200_orders_for_100_units_reserve_exactly_100_and_never_deadlock(
    db: Database, postgres_only: None
) -> None:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 60, lot="L1")
    await put_stock(db, world, "P1", "WH1-A-02", 40, lot="L2")
    policies = [ShortagePolicy.REJECT if n % 2 else ShortagePolicy.BACKORDER
                for n in range(ORDERS)]
    crowd = Database(db.url, pool_size=20)
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
