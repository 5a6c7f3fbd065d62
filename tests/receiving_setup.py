"""Goods on the dock for QC and putaway tests: an approved order of P1 and P2 from S1 in WH1, and
receipts of it into WH1-RCV that open their warehouse tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.catalog.models import Location, Product
from server.db import Database, utcnow
from server.events import Event
from server.inventory.models import Bucket, StockPosition, StockQuant
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.purchasing import orders
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from server.receiving.models import Receipt, ReceiptLine, WarehouseTask
from server.receiving.tasks import TOPIC, open_receipt_tasks
from tests.world import World, build_world

RECEIVING_BIN = "WH1-RCV"


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
    """Receive (sku, quantity, lot) lines of an order into WH1-RCV as the warehouse user: stock
    from on order into pending_qc (QC products) or available at the order's price, the PO line
    counts, and the tasks, in one transaction."""
    actor = world["warehouse"]
    async with db.transaction() as session:
        order = await orders.load_order(session, order_number, lock=True)
        by_sku = {product.sku: product for product in await session.scalars(
            select(Product).where(Product.sku.in_([sku for sku, _, _ in lines])))}
        location_id = await session.scalar(select(Location.id).where(
            Location.code == RECEIVING_BIN))
        assert location_id is not None
        receipt = Receipt(
            number=await next_number(session, "GR", utcnow().date()), order_id=order.id,
            supplier_id=order.supplier_id, warehouse_id=order.warehouse_id,
            location_id=location_id, document_scan=order.number,
            received_by_id=actor.user_id, received_at=utcnow(),
        )
        session.add(receipt)
        await session.flush()
        receipt_lines, moves = [], []
        for line_no, (sku, quantity, lot) in enumerate(lines, start=1):
            product = by_sku[sku]
            order_line = next(ol for ol in order.lines if ol.product_id == product.id)
            bucket = Bucket.PENDING_QC if product.qc_required else Bucket.AVAILABLE
            receipt_lines.append(ReceiptLine(
                receipt_id=receipt.id, line_no=line_no, order_line_id=order_line.id,
                product_id=product.id, quantity=Decimal(quantity),
                unit_cost=order_line.unit_price, lot=lot, serials=[], bucket=bucket.value,
            ))
            moves.append(Move(
                product_id=product.id, warehouse_id=order.warehouse_id,
                quantity=Decimal(quantity), from_bucket=Bucket.ON_ORDER, to_bucket=bucket,
                to_location_id=location_id, lot=lot, unit_cost=order_line.unit_price,
                document_line=line_no,
            ))
            order_line.received_quantity += quantity
            if not product.qc_required:
                order_line.accepted_quantity += quantity
        session.add_all(receipt_lines)
        await session.flush()
        await post_moves(session, moves, PostingContext("GR", actor, receipt.number))
        await open_receipt_tasks(session, receipt, receipt_lines,
                                 {p.id: p for p in by_sku.values()}, actor)
        tasks = {task.receipt_line_id: task for task in await session.scalars(
            select(WarehouseTask).where(WarehouseTask.document_number == receipt.number))}
        return Received(receipt.number, [tasks[line.id] for line in receipt_lines])


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
            select(Location.code, StockQuant.lot, StockQuant.quantity)
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Product.sku == sku, StockQuant.quantity > 0))
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
