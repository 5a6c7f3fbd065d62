"""inventory_report on both backends, against hand-computed figures. Stock comes in by counts
whose ledger rows are then dated back (the ledger takes the time of posting; a test can only make
history by rewriting it).

P3: 5 @ 40 (200 days ago), 4 @ 50 (100 days ago), 3 @ 60 (40 days ago) → 12 on hand, 580.00,
average 48.3333; 6 counted out today at the average → 6 on hand, 290.00 (580 − 289.9998).
FIFO: the 6 left are the 3 of 40 days ago (31–90) and 3 of the 4 of 100 days ago (91–180).
P2: 2 @ 250 (120 days ago) and nothing since → dead after 90 days, not after 150.
P1: 10 @ 100 today, 4 sold at 300 and shipped → 6 on hand, 600.00; COGS 400.00; average value
(0 + 600) / 2 = 300.00 → turnover 1.33; 4 shipped in 90 days → cover 6 ÷ (4/90) = 135 days.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from server.db import Database
from server.errors import DomainError
from server.finance.inventory_report import InventoryRow, inventory_report
from server.finance.reports import PARTS, snapshot_parts
from server.inventory.models import StockCost, StockLedger
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from tests.integration.test_margin_report import ship
from tests.picking_setup import picking_world, put_stock, sales_order
from tests.world import World

D = Decimal
NOW = datetime.now(UTC)
TODAY = NOW.date()


async def date_back_last_row(db: Database, days: int) -> None:
    async with db.transaction() as session:
        last = await session.scalar(select(func.max(StockLedger.id)))
        await session.execute(update(StockLedger).where(StockLedger.id == last)
                              .values(posted_at=NOW - timedelta(days=days)))


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    for quantity, cost, days in [(5, "40", 200), (4, "50", 100), (3, "60", 40)]:
        await put_stock(db, world, "P3", "WH1-A-01", quantity, cost)
        await date_back_last_row(db, days)
    await put_stock(db, world, "P2", "WH1-A-02", 2, "250")
    await date_back_last_row(db, 120)
    await adjust_stock(db, world["warehouse"], AdjustmentRequest(
        warehouse_code="WH1", sku="P3", location_code="WH1-A-01", quantity=D(-6),
        reason="damaged", idempotency_key=uuid.uuid4().hex))
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await ship(db, world, await sales_order(db, world, {"P1": 4}, unit_price="300"))
    return world


def ageing(row: InventoryRow) -> list[Decimal]:
    return list(row.ageing.values())


async def test_the_figures_of_each_product(db: Database, world: World) -> None:
    async with db.reader() as session:
        answer = await inventory_report(session, world["finance"], "WH1", TODAY)
        stock_values = dict((await session.execute(
            select(StockCost.product_id, StockCost.value))).all())
    rows = {row.sku: row for row in answer.rows}
    assert list(rows) == ["P1", "P2", "P3"]
    p1, p2, p3 = rows["P1"], rows["P2"], rows["P3"]
    assert (p1.on_hand, p1.value, p1.cogs_last_365_days, p1.average_value, p1.turnover,
            p1.shipped_last_90_days, p1.days_of_cover, p1.dead) == (
        D("6.0000"), D("600.00"), D("400.00"), D("300.00"), D("1.33"), D("4.0000"),
        D("135.00"), False)
    assert ageing(p1) == [D(6), D(0), D(0), D(0)]
    assert (p3.on_hand, p3.value, p3.cogs_last_365_days, p3.turnover, p3.days_of_cover,
            p3.dead) == (
        D("6.0000"), D("290.00"), D("0.00"), D("0.00"), None, False)
    assert ageing(p3) == [D(0), D(3), D(3), D(0)]
    assert (p2.on_hand, p2.value, p2.dead) == (D("2.0000"), D("500.00"), True)
    assert ageing(p2) == [D(0), D(0), D(2), D(0)]
    assert sorted(row.value for row in answer.rows) == sorted(
        value.quantize(D("0.01")) for value in stock_values.values())


async def test_a_past_day_and_a_longer_dead_stock_window(db: Database, world: World) -> None:
    async with db.reader() as session:
        then = await inventory_report(session, world["manager"], None, TODAY - timedelta(50),
                                      dead_days=150)
    rows = {row.sku: row for row in then.rows}
    assert list(rows) == ["P2", "P3"]
    assert (rows["P3"].on_hand, rows["P3"].value) == (D("9.0000"), D("400.00"))
    assert ageing(rows["P3"]) == [D(0), D(4), D(5), D(0)]
    assert (rows["P2"].dead, ageing(rows["P2"])) == (False, [D(0), D(2), D(0), D(0)])


async def test_refusals(db: Database, world: World) -> None:
    async with db.reader() as session:
        for principal, code in [(world["sales"], "FORBIDDEN"), (world["warehouse"], "FORBIDDEN")]:
            with pytest.raises(DomainError) as refused:
                await inventory_report(session, principal, None, TODAY)
            assert refused.value.problems[0].code == code
        with pytest.raises(DomainError) as unknown:
            await inventory_report(session, world["finance"], "WH9", TODAY)
        assert (unknown.value.problems[0].code, unknown.value.problems[0].field) == (
            "NOT_FOUND", "warehouseCode")
        with pytest.raises(DomainError) as zero:
            await inventory_report(session, world["finance"], None, TODAY, dead_days=0)
        assert zero.value.problems[0].field == "deadDays"


async def test_every_part_reads_what_the_report_began_with(db: Database, world: World) -> None:
    """The report's parts (one query per share of the products on PostgreSQL) see the report's
    own snapshot: a posting committed after the report began shows in none of them."""
    async with db.reader() as session:
        before = await session.scalar(select(func.count()).select_from(StockLedger))
        async with snapshot_parts(session, PARTS) as readers:
            await put_stock(db, world, "P2", "WH1-A-02", 1, "250")
            await put_stock(db, world, "P1", "WH1-A-02", 1, "100")
            seen = [await reader.scalar(select(func.count()).select_from(StockLedger))
                    for reader in readers]
    assert len(readers) == (PARTS if db.engine.dialect.name == "postgresql" else 1)
    assert seen == [before] * len(readers)
    async with db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(StockLedger)) > before
