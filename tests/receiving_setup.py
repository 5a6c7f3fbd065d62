"""Goods on the dock for QC and putaway tests: approved orders from S1 into WH1, received into
WH1-RCV through receiveGoods, which opens the warehouse tasks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.catalog.models import Location, Product
from server.db import Database
from server.events import Event
from server.inventory.models import Bucket, StockPosition, StockQuant
from server.purchasing import orders
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from server.receiving.models import WarehouseTask
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine
from server.receiving.receipts import receive_goods
from server.receiving.tasks import TOPIC
from tests.world import World, build_world


async def receiving_world(db: Database) -> World:
    """The master data of tests/world.py, with orders approved by any one purchase manager."""
    world = await build_world(db)
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    return world


async def approved_order(db: Database, world: World, lines: dict[str, int]) -> PurchaseOrder:
    """An order from S1 into WH1 of the given SKUs and quantities, approved and sent."""
    order = await orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        "S1", "WH1", [LineDraft(sku, Decimal(quantity)) for sku, quantity in lines.items()]))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    return order


@dataclass(frozen=True, slots=True)
class Received:
    number: str
    tasks: list[WarehouseTask]  # one per receipt line, in line order

    def task_of(self, line_no: int) -> WarehouseTask:
        return self.tasks[line_no - 1]


async def receive(
    db: Database, world: World, order_number: str, lines: Sequence[tuple[str, int, str]]
) -> Received:
    """Receive (sku, quantity, lot) lines of an order into WH1 as the warehouse user, through
    receiveGoods; the tasks it opened come back in receipt line order."""
    view = await receive_goods(db, world["warehouse"], ReceiptRequest(
        document=order_number, warehouse_code="WH1", idempotency_key=uuid.uuid4().hex,
        lines=[ReceiveLine(Decimal(quantity), sku=sku, lot=lot)
               for sku, quantity, lot in lines]))
    receipt = view.receipt
    async with db.reader() as session:
        tasks = {task.receipt_line_id: task for task in await session.scalars(
            select(WarehouseTask).where(WarehouseTask.document_number == receipt.number))}
    return Received(receipt.number, [tasks[line.id] for line in receipt.lines])


async def level(db: Database, sku: str, bucket: Bucket) -> Decimal:
    async with db.reader() as session:
        quantity = await session.scalar(
            select(StockPosition.quantity).join(Product, Product.id == StockPosition.product_id)
            .where(Product.sku == sku, StockPosition.bucket == bucket.value))
    return quantity or Decimal(0)


async def bins_of(db: Database, sku: str) -> dict[tuple[str, str], Decimal]:
    """(bin code, lot) → quantity of the product, empty bins left out."""
    async with db.reader() as session:
        rows = await session.execute(
            select(Location.code, StockQuant.lot, func.sum(StockQuant.quantity))
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Product.sku == sku, StockQuant.quantity > 0)
            .group_by(Location.code, StockQuant.lot))
        return {(code, lot): quantity for code, lot, quantity in rows}


async def order_line(db: Database, order_number: str, sku: str) -> PurchaseOrderLine:
    async with db.reader() as session:
        order = await orders.load_order(session, order_number)
        product_id = await session.scalar(select(Product.id).where(Product.sku == sku))
        return next(line for line in order.lines if line.product_id == product_id)


async def task_events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """The warehouse_task events written so far, oldest first: (kind, payload)."""
    async with db.reader() as session:
        events = await session.scalars(
            select(Event).where(Event.topic == TOPIC).order_by(Event.id))
        return [(event.kind, event.payload) for event in events]


async def current_task(db: Database, task_id: int) -> WarehouseTask:
    async with db.reader() as session:
        return await session.get_one(WarehouseTask, task_id)
