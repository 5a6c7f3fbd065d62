"""Sales orders ready to pick, for picking and shipping tests: the master data of tests/world.py,
a customer of the sales user, stock put into WH1-A-01 / WH1-A-02 by stock adjustments, and
orders taken through createSalesOrder, which reserves from that stock (FEFO, FIFO, bin code)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.catalog.models import Location, Product
from server.db import Database
from server.events import Event
from server.inventory.models import Bucket, StockCost, StockLedger, StockQuant
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from server.sales import orders
from server.sales.models import (
    PickList,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    ShortagePolicy,
)
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from tests.world import World, build_world

D = Decimal


async def picking_world(db: Database) -> World:
    """tests/world.py's world and customer C1 (region East) served by the sales user."""
    world = await build_world(db)
    await customers.create_customer(db, world.admin, CustomerDraft(
        "C1", "Customer One", region="East", salesperson="sales"))
    return world


async def put_stock(db: Database, world: World, sku: str, bin_code: str, quantity: int | str,
                    unit_cost: str, lot: str | None = None) -> None:
    """Count stock into a bin at a cost, as the warehouse user."""
    await adjust_stock(db, world["warehouse"], AdjustmentRequest(
        warehouse_code="WH1", sku=sku, location_code=bin_code, quantity=D(quantity),
        reason="opening balance", idempotency_key=uuid.uuid4().hex, lot=lot,
        unit_cost=D(unit_cost)))


async def sales_order(db: Database, world: World, lines: Mapping[str, int | str],
                      unit_price: str = "300", warehouse: str = "WH1") -> str:
    """An order of C1 taken by the sales user through createSalesOrder (sku → quantity): each
    line reserved from available stock, the rest backordered; its number."""
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C1", warehouse, [SalesLineDraft(sku, D(quantity), unit_price=D(unit_price))
                          for sku, quantity in lines.items()],
        shortage_policy=ShortagePolicy.BACKORDER))
    return outcome.view.order.number


async def order_row(db: Database, number: str) -> tuple[SalesOrder, list[SalesOrderLine]]:
    async with db.reader() as session:
        order = await session.scalar(select(SalesOrder).where(SalesOrder.number == number))
        assert order is not None
        lines = list(await session.scalars(select(SalesOrderLine).where(
            SalesOrderLine.order_id == order.id).order_by(SalesOrderLine.line_no)))
        return order, lines


async def reservations(db: Database, number: str) -> dict[tuple[int, str, str], Decimal]:
    """(order line no, bin code, lot) → reserved quantity, for one order."""
    async with db.reader() as session:
        rows = await session.execute(
            select(SalesOrderLine.line_no, Location.code, Reservation.lot, Reservation.quantity)
            .join(SalesOrderLine, SalesOrderLine.id == Reservation.order_line_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Location, Location.id == Reservation.location_id)
            .where(SalesOrder.number == number, Reservation.quantity > 0))
        return {(line_no, code, lot): quantity for line_no, code, lot, quantity in rows}


async def quants(db: Database, sku: str) -> dict[tuple[str, str, str], Decimal]:
    """(bin code, lot, bucket) → quantity of a product, empty ones left out."""
    async with db.reader() as session:
        rows = await session.execute(
            select(Location.code, StockQuant.lot, StockQuant.bucket, StockQuant.quantity)
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Product.sku == sku, StockQuant.quantity > 0))
        return {(code, lot, bucket): quantity for code, lot, bucket, quantity in rows}


async def ledger_of(db: Database, document_number: str) -> list[StockLedger]:
    async with db.reader() as session:
        return list(await session.scalars(select(StockLedger).where(
            StockLedger.document_number == document_number).order_by(StockLedger.id)))


async def average_cost(db: Database, sku: str) -> Decimal | None:
    async with db.reader() as session:
        return await session.scalar(
            select(StockCost.average_cost).join(Product, Product.id == StockCost.product_id)
            .where(Product.sku == sku))


async def events(db: Database, topic: str) -> list[tuple[str, dict[str, Any]]]:
    async with db.reader() as session:
        rows = await session.scalars(select(Event).where(Event.topic == topic)
                                     .order_by(Event.id))
        return [(event.kind, event.payload) for event in rows]


async def pick_list_version(db: Database, number: str) -> int:
    async with db.reader() as session:
        version = await session.scalar(select(PickList.version).where(PickList.number == number))
        assert version is not None
        return version


def buckets(found: Mapping[tuple[str, str, str], Decimal], bucket: Bucket
            ) -> dict[tuple[str, str], Decimal]:
    """The (bin, lot) → quantity of one bucket out of ``quants``."""
    return {(code, lot): q for (code, lot, b), q in found.items() if b == bucket.value}
