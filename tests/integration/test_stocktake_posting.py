"""Posting stocktakes: variances through the ledger with the stocktake as the document, approval
over the threshold, zeroing on request, idempotency, and the two-device count from start to
posted."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.approvals import service as approvals
from server.catalog.models import Location, Product
from server.db import Database
from server.errors import DomainError
from server.events import Event
from server.inventory.models import StockLedger, StockQuant
from server.inventory.rules import BinMoveRequest
from server.inventory.service import move_stock
from server.stocktake.closing import post_stocktake
from server.stocktake.models import Stocktake
from server.stocktake.service import (
    StartRequest,
    cancel_stocktake,
    record_count,
    start_stocktake,
)
from tests.ledger_invariants import assert_ledger_consistent
from tests.stocktake_setup import adjust, count, posting, require_finance_approval, stocked_world
from tests.world import World

LedgerRow = tuple[str | None, str | None, str, Decimal, Decimal | None]


@pytest.fixture
async def world(db: Database) -> World:
    return await stocked_world(db)


async def _ledger(db: Database, number: str) -> list[LedgerRow]:
    """(from bucket, to bucket, bin, quantity, value) of the stocktake's ledger rows."""
    async with db.reader() as session:
        rows = await session.execute(
            select(StockLedger, Location.code)
            .join(Location, Location.id == func.coalesce(StockLedger.to_location_id,
                                                         StockLedger.from_location_id))
            .where(StockLedger.document_type == "ST", StockLedger.document_number == number)
            .order_by(StockLedger.id))
        return [(r.from_bucket, r.to_bucket, code, r.quantity, r.value) for r, code in rows]


async def _available(db: Database, location: str, sku: str = "P1") -> Decimal:
    async with db.reader() as session:
        quantity = await session.scalar(
            select(func.sum(StockQuant.quantity))
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Location.code == location, Product.sku == sku,
                   StockQuant.bucket == "available"))
        return quantity or Decimal(0)


async def _status_kinds(db: Database, number: str) -> list[str]:
    async with db.reader() as session:
        return list(await session.scalars(select(Event.kind).where(
            Event.topic == "stocktake", Event.document_number == number).order_by(Event.id)))


async def _approve_as_finance(db: Database, world: World) -> None:
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["finance"])
    await approvals.decide(db, world["finance"], task.id, True, None)


async def test_small_variances_post_at_once_through_the_ledger(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 9))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 5, sku="P3", lot="L1"))
    posted = await post_stocktake(db, keeper, posting(stocktake.number))
    assert posted.status == "posted" and posted.requested_variance_value == Decimal(-60)
    assert await _ledger(db, stocktake.number) == [
        ("available", None, "WH1-A-01", 1, Decimal(100)),
        (None, "available", "WH1-A-01", 1, Decimal(40)),
    ]
    assert await _available(db, "WH1-A-01") == 9
    assert await _status_kinds(db, stocktake.number) == [
        "STOCKTAKE_STARTED", "STOCKTAKE_COUNTING", "STOCKTAKE_POSTED"]
    await assert_ledger_consistent(db)


async def test_posting_is_idempotent_and_a_posted_stocktake_is_closed(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 6))
    key = uuid.uuid4().hex
    await post_stocktake(db, keeper, posting(stocktake.number, key=key))
    again = await post_stocktake(db, keeper, posting(stocktake.number, key=key))
    assert again.status == "posted"
    assert len(await _ledger(db, stocktake.number)) == 1
    with pytest.raises(DomainError) as raised:
        await post_stocktake(db, keeper, posting(stocktake.number))
    assert raised.value.problems[0].code == "STOCKTAKE_CLOSED"
    with pytest.raises(DomainError) as raised:
        await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 1))
    assert raised.value.problems[0].code == "STOCKTAKE_CLOSED"
    assert await _available(db, "WH1-A-02") == 6


async def test_nothing_counted_cannot_post(db: Database, world: World) -> None:
    stocktake = await start_stocktake(db, world["warehouse"], StartRequest("WH1", ["WH1-A-02"]))
    with pytest.raises(DomainError) as raised:
        await post_stocktake(db, world["warehouse"], posting(stocktake.number))
    assert raised.value.problems[0].code == "INVALID_STATE"
    assert "count something first" in str(raised.value)


async def test_uncounted_stock_is_left_alone_or_zeroed_when_asked(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    left = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(left.number, "WH1-A-01", 10))
    await post_stocktake(db, keeper, posting(left.number))
    assert await _ledger(db, left.number) == []
    zeroed = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(zeroed.number, "WH1-A-01", 10))
    await post_stocktake(db, keeper, posting(zeroed.number, zero_uncounted=True))
    assert await _ledger(db, zeroed.number) == [
        ("available", None, "WH1-A-01", 4, Decimal(160))]
    assert await _available(db, "WH1-A-01", "P3") == 0
    await assert_ledger_consistent(db)


async def test_a_large_variance_waits_for_approval_and_a_rejection_reopens_counting(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    await require_finance_approval(db, world)
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 2))
    pending = await post_stocktake(db, keeper, posting(stocktake.number),
                                   approval_threshold=Decimal(500))
    assert (pending.status, pending.requested_variance_value) == ("pending_approval", -800)
    assert await _ledger(db, stocktake.number) == []
    with pytest.raises(DomainError) as raised:
        await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 3))
    assert raised.value.problems[0].code == "INVALID_STATE"
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["finance"])
    await approvals.decide(db, world["finance"], task.id, False, "count again")
    async with db.reader() as session:
        row = await session.scalar(select(Stocktake).where(Stocktake.id == stocktake.id))
    assert row is not None
    assert (row.status, row.rejection_comment) == ("counting", "count again")
    assert await _ledger(db, stocktake.number) == []


async def test_no_policy_means_approved_at_once(db: Database, world: World) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 30))
    posted = await post_stocktake(db, keeper, posting(stocktake.number))
    assert posted.status == "posted"
    assert await _ledger(db, stocktake.number) == [
        (None, "available", "WH1-A-01", 20, Decimal(2000))]


async def test_stock_that_left_during_the_count_is_not_missing(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 0))
    await move_stock(db, keeper, BinMoveRequest(
        sku="P1", from_location_code="WH1-A-02", to_location_code="WH1-A-01",
        quantity=Decimal(5), idempotency_key=uuid.uuid4().hex))
    posted = await post_stocktake(db, keeper, posting(stocktake.number))
    # All five left during the count: expected 0, counted 0, nothing to adjust.
    assert posted.status == "posted" and await _ledger(db, stocktake.number) == []


async def test_two_devices_a_movement_during_the_count_approval_then_posting(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    await require_finance_approval(db, world)
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01", "WH1-A-02"]))
    number = stocktake.number
    # Stock moves and arrives while the count runs: tracked, not blocked.
    await move_stock(db, keeper, BinMoveRequest(
        sku="P1", from_location_code="WH1-A-02", to_location_code="WH1-A-01",
        quantity=Decimal(2), idempotency_key=uuid.uuid4().hex))
    await adjust(db, world, "P1", "WH1-A-02", 1, "100")
    await asyncio.gather(
        record_count(db, keeper, count(number, "WH1-A-01", 12, device="pda-1")),
        record_count(db, keeper, count(number, "WH1-A-01", 4, sku="P3", lot="L1",
                                       device="pda-1")),
        record_count(db, keeper, count(number, "WH1-A-02", 4, device="pda-2")),
    )
    # WH1-A-02: frozen 5, −2 moved out, +1 arrived: 4 expected, 4 counted. WH1-A-01: frozen
    # 10, +2 moved in: 12 expected, 12 counted. No variance yet; a closer look finds 15 more.
    await record_count(db, keeper, count(number, "WH1-A-02", 19, device="pda-2"))
    pending = await post_stocktake(db, keeper, posting(number))
    assert (pending.status, pending.requested_variance_value) == ("pending_approval", 1500)
    await _approve_as_finance(db, world)
    async with db.reader() as session:
        row = await session.scalar(select(Stocktake).where(Stocktake.number == number))
    assert row is not None and row.status == "posted" and row.posted_at is not None
    assert await _ledger(db, number) == [(None, "available", "WH1-A-02", 15, Decimal(1500))]
    assert (await _available(db, "WH1-A-01"), await _available(db, "WH1-A-02")) == (12, 19)
    assert await _status_kinds(db, number) == [
        "STOCKTAKE_STARTED", "STOCKTAKE_COUNTING", "STOCKTAKE_PENDING_APPROVAL",
        "STOCKTAKE_POSTED"]
    await assert_ledger_consistent(db)


async def test_cancelling_a_pending_stocktake_withdraws_its_approval_and_posts_nothing(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    await require_finance_approval(db, world)
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 0))
    pending = await post_stocktake(db, keeper, posting(stocktake.number),
                                   approval_threshold=Decimal(100))
    assert pending.status == "pending_approval"
    cancelled = await cancel_stocktake(db, keeper, stocktake.number, "count was botched")
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    async with db.reader() as session:
        assert await approvals.tasks_of(session, world["finance"]) == []
    assert await _ledger(db, stocktake.number) == []
    assert await _status_kinds(db, stocktake.number) == [
        "STOCKTAKE_STARTED", "STOCKTAKE_COUNTING", "STOCKTAKE_PENDING_APPROVAL",
        "STOCKTAKE_CANCELLED"]
    with pytest.raises(DomainError) as raised:
        await cancel_stocktake(db, keeper, stocktake.number, "again")
    assert raised.value.problems[0].code == "STOCKTAKE_CLOSED"
    fresh = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    assert fresh.number != stocktake.number, "a cancelled count frees its bins"
