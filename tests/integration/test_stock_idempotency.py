from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Role
from server.db import Database, utcnow
from server.errors import Conflict
from server.events import Event
from server.idempotency import RUNNING, IdempotencyRecord, run_once
from server.inventory.balances import InsufficientStock
from server.inventory.models import StockLedger
from server.inventory.service import adjust_stock, move_stock
from tests.conftest import UserFactory
from tests.stock_setup import StockWorld, adjustment, bin_move, build_stock_world


@pytest.fixture
async def world(db: Database) -> StockWorld:
    return await build_stock_world(db)


async def count(db: Database, model: Any) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_retry_returns_the_first_result_and_posts_nothing_more(
    db: Database, world: StockWorld
) -> None:
    first = await adjust_stock(db, world.keeper,
                               adjustment("SKU-1", "WH1-A", 5, unit_cost="2", key="k-1"))
    # A retry carries the same key; even a different body gets the first answer.
    again = await adjust_stock(db, world.keeper,
                               adjustment("SKU-1", "WH1-A", 7, unit_cost="9", key="k-1"))
    assert again.document_number == first.document_number
    assert [e.id for e in again.entries] == [e.id for e in first.entries]
    assert again.entries[0].row.quantity == 5
    assert (await count(db, StockLedger), await count(db, Event)) == (1, 1)
    assert again.level.on_hand == 5


async def test_a_key_belongs_to_one_user_and_one_operation(
    db: Database, world: StockWorld, make_user: UserFactory
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 5, unit_cost="2", key="k"))
    colleague = await make_user(Role.WAREHOUSE)
    with pytest.raises(Conflict) as by_other:
        await adjust_stock(db, colleague, adjustment("SKU-1", "WH1-A", 5, unit_cost="2", key="k"))
    assert by_other.value.problems[0].field == "idempotencyKey"
    with pytest.raises(Conflict, match="another action"):
        await move_stock(db, world.keeper, bin_move("SKU-1", "WH1-A", "WH1-B", 1, key="k"))
    assert await count(db, StockLedger) == 1


async def test_a_failed_attempt_frees_its_key_for_a_corrected_retry(
    db: Database, world: StockWorld
) -> None:
    with pytest.raises(InsufficientStock):
        await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", -2, key="take-2"))
    assert await count(db, IdempotencyRecord) == 0
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 5, unit_cost="1"))
    taken = await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", -2, key="take-2"))
    assert taken.level.on_hand == 3


async def claim_by_hand(db: Database, world: StockWorld, key: str, age: timedelta) -> None:
    async with db.transaction() as session:
        session.add(IdempotencyRecord(
            key=key, user_id=world.keeper.user_id, operation="adjustStock", status=RUNNING,
            result={"attempt": "gone"}, created_at=utcnow() - age,
        ))


async def test_a_running_claim_conflicts_until_it_is_abandoned_then_is_taken_over(
    db: Database, world: StockWorld
) -> None:
    await claim_by_hand(db, world, "busy", timedelta(seconds=5))
    with pytest.raises(Conflict, match="still being processed"):
        await adjust_stock(db, world.keeper,
                           adjustment("SKU-1", "WH1-A", 1, unit_cost="1", key="busy"))
    await claim_by_hand(db, world, "crashed", timedelta(minutes=3))
    taken = await adjust_stock(db, world.keeper,
                               adjustment("SKU-1", "WH1-A", 1, unit_cost="1", key="crashed"))
    assert taken.level.on_hand == 1
    replay = await adjust_stock(db, world.keeper,
                                adjustment("SKU-1", "WH1-A", 1, unit_cost="1", key="crashed"))
    assert replay.document_number == taken.document_number
    assert await count(db, StockLedger) == 1


async def wait_for_claim(db: Database, key: str) -> None:
    for _ in range(200):
        async with db.reader() as session:
            if await session.get(IdempotencyRecord, key) is not None:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"claim {key} never appeared")


async def test_a_duplicate_arriving_while_the_first_runs_gets_conflict(
    db: Database, world: StockWorld, postgres_only: None
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 10, unit_cost="1"))
    blocker = Database(db.url)
    try:
        async with blocker.transaction() as hold:
            # Hold the product's cost row so the first request stalls inside its posting.
            await hold.execute(text("SELECT * FROM stock_cost FOR UPDATE"))
            first = asyncio.create_task(adjust_stock(
                db, world.keeper, adjustment("SKU-1", "WH1-A", -4, key="dup")
            ))
            await wait_for_claim(db, "dup")
            with pytest.raises(Conflict, match="still being processed"):
                await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", -4, key="dup"))
            assert not first.done()
        done = await first
    finally:
        await blocker.dispose()
    replay = await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", -4, key="dup"))
    assert replay.document_number == done.document_number
    assert replay.level.on_hand == 6
    assert await count(db, StockLedger) == 2


async def test_an_attempt_taken_over_after_a_stall_cannot_complete(
    db: Database, world: StockWorld, postgres_only: None
) -> None:
    stalled = asyncio.Event()
    resume = asyncio.Event()

    async def slow(session: AsyncSession) -> dict[str, Any]:
        stalled.set()
        await resume.wait()
        return {"who": "slow"}

    async def quick(session: AsyncSession) -> dict[str, Any]:
        return {"who": "quick"}

    slow_run = asyncio.create_task(run_once(db, world.keeper, "op", "late", slow))
    await stalled.wait()
    async with db.transaction() as session:  # the slow attempt now looks abandoned
        await session.execute(update(IdempotencyRecord).values(
            created_at=utcnow() - timedelta(minutes=5)))
    quick_outcome = await run_once(db, world.keeper, "op", "late", quick)
    assert (quick_outcome.result, quick_outcome.replayed) == ({"who": "quick"}, False)
    resume.set()
    with pytest.raises(Conflict, match="took it over"):
        await slow_run
    replay = await run_once(db, world.keeper, "op", "late", quick)
    assert (replay.result, replay.replayed) == ({"who": "quick"}, True)


async def test_replay_tells_it_did_not_run_again(db: Database, world: StockWorld) -> None:
    runs: list[str] = []

    async def perform(session: AsyncSession) -> dict[str, Any]:
        runs.append("ran")
        return {"n": len(runs)}

    first = await run_once(db, world.keeper, "op", "once", perform)
    second = await run_once(db, world.keeper, "op", "once", perform)
    assert (first.replayed, second.replayed, second.result, len(runs)) == (
        False, True, {"n": 1}, 1
    )
