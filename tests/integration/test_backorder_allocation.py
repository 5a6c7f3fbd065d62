"""Backorder allocation on both backends: every posting that makes stock available (a receipt,
a QC pass, an adjustment, another order cancelled or reduced) reserves for waiting backorders
in the same transaction, by requested date then order time, and tells the salesperson."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.db import Database, utcnow
from server.inventory.models import Bucket, StockLedger
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult, TaskKind, WarehouseTask
from server.sales import orders
from server.sales.models import ShortagePolicy
from server.sales.rules import SalesLineDraft, SalesOrderChanges, SalesOrderDraft
from tests.receiving_setup import current_task, receive
from tests.sales_setup import (
    alerts,
    assert_books_balance,
    level,
    order_for,
    purchase,
    put_stock,
    reservations,
    sales_world,
    view_of,
)
from tests.world import World

D = Decimal
BACKORDER = ShortagePolicy.BACKORDER
TODAY = utcnow().date()


@pytest.fixture
async def world(db: Database) -> World:
    return await sales_world(db)


async def backorder(db: Database, world: World, sku: str, quantity: int,
                    requested_in_days: int | None = None) -> str:
    requested = TODAY + timedelta(days=requested_in_days) if requested_in_days else None
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C1", "WH1", [SalesLineDraft(sku, D(quantity), requested_date=requested)],
        shortage_policy=BACKORDER))
    return outcome.view.order.number


async def waiting(db: Database, number: str) -> tuple[Decimal, Decimal]:
    """(reserved, backordered) of the order's only line."""
    [line] = (await view_of(db, number)).order.lines
    return line.reserved_quantity, line.backordered_quantity


async def test_a_receipt_serves_backorders_by_requested_date_then_order_time(
    db: Database, world: World
) -> None:
    undated = await backorder(db, world, "P1", 2)
    later = await backorder(db, world, "P1", 2, requested_in_days=20)
    sooner = await backorder(db, world, "P1", 2, requested_in_days=10)
    also_sooner = await backorder(db, world, "P1", 1, requested_in_days=10)
    assert await level(db, "P1", Bucket.BACKORDERED) == 7
    order = await purchase(db, world, "P1", 10)
    received = await receive(db, world, order.number, [("P1", 5, "L1")])

    assert [await waiting(db, n) for n in (sooner, also_sooner, later, undated)] == [
        (2, 0), (1, 0), (2, 0), (0, 2)]
    assert await reservations(db, later) == {(1, "WH1-RCV", "L1"): 2}
    assert await level(db, "P1", Bucket.AVAILABLE) == 0
    assert await level(db, "P1", Bucket.BACKORDERED) == 2
    ready = await alerts(db, "BACKORDER_READY")
    assert [(a["orderNumber"], a["quantity"]) for a in ready] == [
        (sooner, "2.0000"), (also_sooner, "1.0000"), (later, "2.0000")]
    assert received.number in ready[0]["message"]
    async with db.reader() as session:
        actors = set((await session.scalars(select(StockLedger.actor_user_id).where(
            StockLedger.document_number == later, StockLedger.to_bucket == "reserved"))).all())
    assert actors == {world["warehouse"].user_id}
    await assert_books_balance(db)


async def test_stock_reserved_at_the_dock_is_no_longer_put_away(
    db: Database, world: World
) -> None:
    number = await backorder(db, world, "P1", 3)
    order = await purchase(db, world, "P1", 5)
    received = await receive(db, world, order.number, [("P1", 5, "L1")])
    task = await current_task(db, received.task_of(1).id)
    assert (task.quantity, task.done_quantity, task.status) == (5, 3, "open"), \
        "3 leave from the dock for the order; 2 remain to put away"
    assert await waiting(db, number) == (3, 0)
    await cancel_other_backorder_and_check_the_task_closes(db, world, task.id)


async def cancel_other_backorder_and_check_the_task_closes(
    db: Database, world: World, task_id: int
) -> None:
    await backorder(db, world, "P1", 2)
    task = await current_task(db, task_id)
    assert (task.done_quantity, task.status) == (5, "done")


async def test_part_of_a_backorder_is_served_and_the_rest_waits(
    db: Database, world: World
) -> None:
    number = await backorder(db, world, "P1", 5)
    await put_stock(db, world, "P1", "WH1-A-01", 3)
    assert await waiting(db, number) == (3, 2)
    [ready] = await alerts(db, "BACKORDER_READY")
    assert ready["quantity"] == "3.0000" and "2 still backordered" in ready["message"]
    assert ready["salesperson"] == "sales" and ready["lineNo"] == 1
    await put_stock(db, world, "P1", "WH1-A-02", 4)
    assert await waiting(db, number) == (5, 0)
    assert await level(db, "P1", Bucket.AVAILABLE) == 2
    await assert_books_balance(db)


async def test_goods_waiting_for_qc_are_not_served_until_they_pass(
    db: Database, world: World
) -> None:
    number = await backorder(db, world, "P2", 3)
    order = await purchase(db, world, "P2", 3)
    received = await receive(db, world, order.number, [("P2", 3, "Q1")])
    assert await waiting(db, number) == (0, 3)
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=received.task_of(1).id, result=InspectionResult.PASS,
        idempotency_key=uuid.uuid4().hex, accepted_quantity=D(3)))
    assert await waiting(db, number) == (3, 0)
    assert await reservations(db, number) == {(1, "WH1-RCV", "Q1"): 3}
    async with db.reader() as session:
        [putaway] = await session.scalars(select(WarehouseTask).where(
            WarehouseTask.kind == TaskKind.PUTAWAY.value))
    assert (putaway.quantity, putaway.status) == (3, "done"), "all 3 leave from the dock"
    await assert_books_balance(db)


async def test_a_cancelled_order_frees_its_stock_for_a_backorder(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 4)
    first = (await order_for(db, world, [("P1", 4)])).view.order.number
    waiting_one = await backorder(db, world, "P1", 3)
    await orders.cancel_sales_order(db, world["sales"], first, "customer withdrew")
    assert await waiting(db, waiting_one) == (3, 0)
    [ready] = await alerts(db, "BACKORDER_READY")
    assert ready["orderNumber"] == waiting_one and f"SO {first}" in ready["message"]
    assert await level(db, "P1", Bucket.AVAILABLE) == 1
    await assert_books_balance(db)


async def test_a_smaller_order_frees_stock_for_a_backorder(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 4)
    first = (await order_for(db, world, [("P1", 4)])).view.order.number
    waiting_one = await backorder(db, world, "P1", 3)
    await orders.update_sales_order(db, world["sales"], SalesOrderChanges(
        first, 1, [SalesLineDraft("P1", D(2), line_no=1)]))
    assert await waiting(db, waiting_one) == (2, 1)
    assert await waiting(db, first) == (2, 0)
    await assert_books_balance(db)


async def test_a_line_waits_behind_its_own_orders_earlier_line(
    db: Database, world: World
) -> None:
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C1", "WH1", [SalesLineDraft("P1", D(2)), SalesLineDraft("P3", D(1)),
                      SalesLineDraft("P1", D(2))], shortage_policy=BACKORDER))
    number = outcome.view.order.number
    await put_stock(db, world, "P1", "WH1-A-01", 3)
    lines = (await view_of(db, number)).order.lines
    assert [(line.reserved_quantity, line.backordered_quantity) for line in lines] == [
        (2, 0), (0, 1), (1, 1)]
    assert [(a["lineNo"], a["quantity"]) for a in await alerts(db, "BACKORDER_READY")] == [
        (1, "2.0000"), (3, "1.0000")]
    await assert_books_balance(db)


async def test_moving_stock_between_bins_serves_nobody(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-QC", 2)
    number = await backorder(db, world, "P1", 2)
    await put_stock(db, world, "P1", "WH1-QC", 1)  # more available, but not where it can go
    assert await waiting(db, number) == (0, 2)
    assert await alerts(db, "BACKORDER_READY") == []
