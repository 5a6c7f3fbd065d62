"""Transfers and sales orders racing for the same last units on PostgreSQL: nothing is promised
twice, nobody deadlocks, and what is refused is refused with INSUFFICIENT_STOCK."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from server.db import Database
from server.sales import orders
from server.sales.models import ShortagePolicy
from server.sales.rules import SalesLineDraft, SalesOrderDraft, ShortageRefused
from server.transfers.rules import TransferDraft, TransferLineDraft
from server.transfers.service import create_transfer
from tests.ledger_invariants import assert_ledger_consistent
from tests.picking_setup import put_stock
from tests.transfer_setup import levels, transfer_world

D = Decimal
EACH = 20


async def test_transfers_and_orders_for_the_last_units_never_promise_them_twice(
    db: Database, postgres_only: None
) -> None:
    world = await transfer_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 12, "10")
    await put_stock(db, world, "P1", "WH1-A-02", 8, "12")
    crowd = Database(db.url, pool_size=6)  # other tests share the server
    try:
        results = await asyncio.gather(
            *(create_transfer(crowd, world["warehouse"], TransferDraft(
                "WH1", "WH2", [TransferLineDraft("P1", D(1))], uuid.uuid4().hex))
              for _ in range(EACH)),
            *(orders.create_sales_order(crowd, world["sales"], SalesOrderDraft(
                "C1", "WH1", [SalesLineDraft("P1", D(1), unit_price=D(300))],
                shortage_policy=ShortagePolicy.REJECT)) for _ in range(EACH)),
            return_exceptions=True)
    finally:
        await crowd.dispose()
    unexpected = [r for r in results if isinstance(r, BaseException)
                  and not isinstance(r, ShortageRefused)]
    assert unexpected == []
    refused = [r for r in results if isinstance(r, ShortageRefused)]
    assert len(refused) == 2 * EACH - 20
    assert await levels(db, "P1", "WH1") == {"reserved": D(20)}
    await assert_ledger_consistent(db)
