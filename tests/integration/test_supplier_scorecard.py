"""supplier_scorecard on both backends, pinned by a hand-computed fixture. S1's orders, dates set
by hand afterwards (receipts are stamped now):

    PO-0 2026-02-01  P2 4 @ 240 (before the range: only a previous price)
    PO-A 2026-03-01  P1 10 @ 100 confirmed 03-10 requested 03-08
                     P2  4 @ 250 confirmed 03-10 requested 03-12
         received 03-09: P1 10, P2 4 → P1 OTIF confirmed, late requested; P2 OTIF both
         QC of P2: 2 pass, 1 concession, 1 rejected → reject 25 %, concession 25 %
    PO-B 2026-03-05  P1 10 @ 110 confirmed 03-15, no requested date
         received 03-14: 6 (short), 03-20: 4 (late) → not OTIF

    lines 3, receipt lines 4; OTIF confirmed 2/3 = 66.67 %, requested 1/2 = 50.00 %
    lead days 8, 8, 9, 15 → 10.00
    trend: Σ first 100 + 250 = 350, Σ last 110 + 250 = 360 → 2.86 %
    variance: P2 (250 − 240) × 4 + P1 (110 − 100) × 10 = 140.00 of 960 + 1,000 → 7.14 %
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from server.approvals import service as approvals
from server.db import Database
from server.errors import DomainError
from server.finance.scorecard import ScorecardRow, SupplierScorecard, supplier_scorecard
from server.purchasing import orders
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult, Receipt
from tests.receiving_setup import order_line, receive, receiving_world
from tests.world import World

D = Decimal
FROM, TO = date(2026, 3, 1), date(2026, 3, 31)


async def priced_order(db: Database, world: World, ordered: date,
                       lines: list[tuple[str, int, str]]) -> str:
    """An approved order from S1 of (sku, quantity, unit price) lines, dated ``ordered``."""
    order = await orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        "S1", "WH1", [LineDraft(sku, D(count), D(price)) for sku, count, price in lines]))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    async with db.transaction() as session:
        await session.execute(update(PurchaseOrder).where(PurchaseOrder.number == order.number)
                              .values(order_date=ordered))
    return order.number


async def promise(db: Database, number: str, sku: str, confirmed: date | None,
                  requested: date | None) -> None:
    line = await order_line(db, number, sku)
    async with db.transaction() as session:
        await session.execute(update(PurchaseOrderLine).where(PurchaseOrderLine.id == line.id)
                              .values(confirmed_date=confirmed, requested_date=requested))


async def received_on(db: Database, world: World, number: str, lines: list[tuple[str, int]],
                      day: date) -> list[int]:
    """Receive the lines and date the receipt ``day``; the QC task ids come back."""
    received = await receive(db, world, number, [(sku, count, "L1") for sku, count in lines])
    async with db.transaction() as session:
        await session.execute(update(Receipt).where(Receipt.number == received.number).values(
            received_at=datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC)))
    return [task.id for task in received.tasks]


async def inspect(db: Database, world: World, task_id: int, result: InspectionResult,
                  accepted: int, rejected: int) -> None:
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=task_id, result=result, idempotency_key=uuid.uuid4().hex,
        accepted_quantity=D(accepted), rejected_quantity=D(rejected)))


async def scorecard_world(db: Database) -> World:
    """The orders, receipts and inspections of the docstring."""
    world = await receiving_world(db)
    await priced_order(db, world, date(2026, 2, 1), [("P2", 4, "240")])
    first = await priced_order(db, world, date(2026, 3, 1), [("P1", 10, "100"), ("P2", 4, "250")])
    await promise(db, first, "P1", date(2026, 3, 10), date(2026, 3, 8))
    await promise(db, first, "P2", date(2026, 3, 10), date(2026, 3, 12))
    tasks = await received_on(db, world, first, [("P1", 10), ("P2", 4)], date(2026, 3, 9))
    qc_task = tasks[1]
    await inspect(db, world, qc_task, InspectionResult.PASS, 2, 0)
    await inspect(db, world, qc_task, InspectionResult.CONCESSION, 1, 0)
    await inspect(db, world, qc_task, InspectionResult.FAIL, 0, 1)
    second = await priced_order(db, world, date(2026, 3, 5), [("P1", 10, "110")])
    await promise(db, second, "P1", date(2026, 3, 15), None)
    await received_on(db, world, second, [("P1", 6)], date(2026, 3, 14))
    await received_on(db, world, second, [("P1", 4)], date(2026, 3, 20))
    return world


@pytest.fixture
async def world(db: Database) -> World:
    return await scorecard_world(db)


async def scorecard(db: Database, world: World, who: str = "finance",
                    supplier: str | None = None) -> SupplierScorecard:
    async with db.reader() as session:
        return await supplier_scorecard(session, world[who], FROM, TO, supplier)


EXPECTED = ScorecardRow(
    supplier_code="S1", supplier_name="Supplier S1", lines=3, lines_received=4,
    otif_confirmed_pct=D("66.67"), otif_requested_pct=D("50.00"),
    inspected_quantity=D("4.0000"), reject_rate_pct=D("25.00"), concession_rate_pct=D("25.00"),
    price_trend_pct=D("2.86"), price_variance=D("140.00"), price_variance_pct=D("7.14"),
    average_lead_time_days=D("10.00"), returned_quantity=D("0.0000"),
    return_rate_pct=D("0.00"))


async def test_scorecard_to_the_cent(db: Database, world: World) -> None:
    report = await scorecard(db, world)
    assert report.rows == [EXPECTED]
    assert (await scorecard(db, world, "manager", "S1")).rows == [EXPECTED]


async def test_another_supplier_or_range_has_no_rows(db: Database, world: World) -> None:
    assert (await scorecard(db, world, supplier="S2")).rows == []
    async with db.reader() as session:
        report = await supplier_scorecard(session, world["finance"], date(2026, 4, 1),
                                          date(2026, 4, 30))
    assert report.rows == []


@pytest.mark.parametrize(("who", "supplier", "code"), [
    ("warehouse", None, "FORBIDDEN"), ("finance", "NOPE", "NOT_FOUND")])
async def test_refusals(db: Database, world: World, who: str, supplier: str | None,
                        code: str) -> None:
    with pytest.raises(DomainError) as raised:
        await scorecard(db, world, who, supplier)
    assert raised.value.problems[0].code == code


async def test_dates_the_wrong_way_round(db: Database, world: World) -> None:
    with pytest.raises(DomainError) as raised:
        async with db.reader() as session:
            await supplier_scorecard(session, world["finance"], TO, FROM)
    assert raised.value.problems[0].field == "dateFrom"
