"""Sales returns under contention (PostgreSQL): two returns of the same shipped line racing for
what is left, and two docks receiving the last units of one return; the return rows take turns,
so neither more than shipped nor more than announced gets through."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.errors import DomainError
from server.inventory.models import Bucket
from server.sales.return_models import SalesReturnLine
from server.sales.return_receiving import receive_sales_return
from server.sales.returns import create_sales_return
from tests.ledger_invariants import assert_ledger_consistent
from tests.picking_setup import picking_world, put_stock
from tests.receiving_setup import level
from tests.returns_setup import create_return, receipt_request, return_draft, ship_order
from tests.world import World

D = Decimal


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    return world


async def outcome_of(action: Any) -> str:
    try:
        await action
    except DomainError as error:
        return error.problems[0].code
    return "ok"


async def test_two_returns_cannot_together_take_more_than_shipped(
    db: Database, world: World, postgres_only: None
) -> None:
    order = await ship_order(db, world, {"P1": 5})
    outcomes = await asyncio.gather(*(
        outcome_of(create_sales_return(db, world["sales"], return_draft(order, {"P1": 3})))
        for _ in range(2)))
    assert sorted(outcomes) == ["OVER_RETURN", "ok"]
    async with db.reader() as session:
        returned = await session.scalar(select(func.sum(SalesReturnLine.quantity)))
    assert returned == D(3)


async def test_two_docks_cannot_receive_more_than_announced(
    db: Database, world: World, postgres_only: None
) -> None:
    order = await ship_order(db, world, {"P1": 5})
    number = (await create_return(db, world, order, {"P1": 3})).row.number
    outcomes = await asyncio.gather(*(
        outcome_of(receive_sales_return(db, world["warehouse"],
                                        receipt_request(number, {"P1": 2})))
        for _ in range(2)))
    assert sorted(outcomes) == ["OVER_RECEIPT", "ok"]
    assert await level(db, "P1", Bucket.PENDING_QC) == D(2)
    await assert_ledger_consistent(db)
