"""Purchase returns under concurrency on PostgreSQL: two returns racing for the last rejected
goods, and two devices shipping the same return, never over-return or ship twice."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.db import Database
from server.errors import DomainError
from server.finance.returns import ship_purchase_return
from server.inventory.models import Bucket
from server.purchasing.returns import create_purchase_return
from tests.ledger_invariants import assert_ledger_consistent
from tests.receiving_setup import level, receiving_world
from tests.return_setup import draft, goods_to_return, line
from tests.world import World


@pytest.fixture
async def world(db: Database) -> World:
    world = await receiving_world(db)
    await goods_to_return(db, world)
    return world


async def test_two_returns_racing_for_four_rejected_units_take_three_only_once(
    db: Database, world: World, postgres_only: None
) -> None:
    results = await asyncio.gather(*(
        create_purchase_return(db, world["purchaser"], draft(line("P2", 3, Bucket.REJECTED)))
        for _ in range(2)), return_exceptions=True)
    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(created) == 1 and len(refused) == 1, results
    assert {p.code for p in refused[0].problems} == {"OVER_RETURN", "INSUFFICIENT_STOCK"}


async def test_two_devices_shipping_one_return_ship_it_once(
    db: Database, world: World, postgres_only: None
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P1", 4, Bucket.AVAILABLE)))
    results = await asyncio.gather(*(
        ship_purchase_return(db, world["warehouse"], created.number, uuid.uuid4().hex)
        for _ in range(2)), return_exceptions=True)
    shipped = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(shipped) == 1 and len(refused) == 1, results
    assert refused[0].problems[0].code == "INVALID_STATE"
    assert await level(db, "P1", Bucket.AVAILABLE) == Decimal(6)
    assert await level(db, "P1", Bucket.REJECTED) == Decimal(0)
    await assert_ledger_consistent(db)
