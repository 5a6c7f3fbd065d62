"""A world to sell from: tests/world.py's master data (orders approved by any purchase manager,
as tests/receiving_setup.py sets up), customers C1 (East, the sales user's) and C2 (North,
sales2's), and stock counted into WH1-A-01 / WH1-A-02 with lots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from server import auth
from server.approvals import service as approvals
from server.auth import Role
from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.catalog.models import Location, Product
from server.db import Database
from server.events import Event
from server.inventory.lots import register_lots
from server.inventory.models import Bucket, StockPosition, StockQuant
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from server.purchasing import orders as po_orders
from server.purchasing.models import PurchaseOrder
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from server.sales import orders, queries
from server.sales.models import Reservation, SalesOrderLine, ShortagePolicy
from server.sales.orders import OrderOutcome
from server.sales.queries import OrderView
from server.sales.reserve import RESERVABLE_BINS
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from tests.receiving_setup import receiving_world
from tests.world import PASSWORD, World

D = Decimal


async def sales_world(db: Database) -> World:
    world = await receiving_world(db)
    world.users["sales2"] = await auth.create_user(db, "sales2", PASSWORD, [Role.SALES])
    for code, region, salesperson in [("C1", "East", "sales"), ("C2", "North", "sales2")]:
        await customers.create_customer(db, world.admin, CustomerDraft(
            code, f"Customer {code}", region=region, salesperson=salesperson))
    return world


async def put_stock(
    db: Database, world: World, sku: str, bin_code: str, quantity: int | str, *,
    lot: str | None = None, expiry: date | None = None, unit_cost: str = "100",
) -> None:
    """Count stock into a bin (an adjustment by the warehouse user); a lot with an expiry is
    registered as a receipt would."""
    await adjust_stock(db, world["warehouse"], AdjustmentRequest(
        warehouse_code="WH1", sku=sku, location_code=bin_code, quantity=D(quantity),
        reason="opening balance", idempotency_key=uuid.uuid4().hex, lot=lot,
        unit_cost=D(unit_cost)))
    if lot:
        async with db.transaction() as session:
            product_id = await session.scalar(select(Product.id).where(Product.sku == sku))
            assert product_id is not None
            await register_lots(session, [(product_id, lot, expiry)])


def draft(
    lines: Sequence[tuple[str, int | str]], *, policy: ShortagePolicy = ShortagePolicy.REJECT,
    customer: str = "C1", **extra: Any,
) -> SalesOrderDraft:
    return SalesOrderDraft(customer, "WH1", [SalesLineDraft(sku, D(quantity))
                                            for sku, quantity in lines],
                           shortage_policy=policy, **extra)


async def order_for(
    db: Database, world: World, lines: Sequence[tuple[str, int | str]], *,
    policy: ShortagePolicy = ShortagePolicy.REJECT, user: str = "sales", **extra: Any,
) -> OrderOutcome:
    return await orders.create_sales_order(db, world[user], draft(lines, policy=policy, **extra))


async def view_of(db: Database, number: str) -> OrderView:
    async with db.reader() as session:
        return await queries.order_view(session, number)


async def level(db: Database, sku: str, bucket: Bucket) -> Decimal:
    async with db.reader() as session:
        quantity = await session.scalar(
            select(StockPosition.quantity).join(Product, Product.id == StockPosition.product_id)
            .where(Product.sku == sku, StockPosition.bucket == bucket.value))
    return quantity or D(0)


async def quants(db: Database, sku: str, bucket: Bucket) -> dict[tuple[str, str], Decimal]:
    """(bin, lot) → quantity of the product in that bucket, empty ones left out."""
    async with db.reader() as session:
        rows = await session.execute(
            select(Location.code, StockQuant.lot, StockQuant.quantity)
            .join(Location, Location.id == StockQuant.location_id)
            .join(Product, Product.id == StockQuant.product_id)
            .where(Product.sku == sku, StockQuant.bucket == bucket.value,
                   StockQuant.quantity > 0))
        return {(code, lot): quantity for code, lot, quantity in rows}


async def reservations(db: Database, number: str) -> dict[tuple[int, str, str], Decimal]:
    """(line no, bin, lot) → reserved quantity of an order."""
    view = await view_of(db, number)
    lines = {line.id: line.line_no for line in view.order.lines}
    async with db.reader() as session:
        rows = await session.execute(
            select(Reservation.order_line_id, Location.code, Reservation.lot,
                   Reservation.quantity)
            .join(Location, Location.id == Reservation.location_id)
            .where(Reservation.order_line_id.in_(list(lines)), Reservation.quantity > 0))
        return {(lines[line_id], code, lot): quantity for line_id, code, lot, quantity in rows}


async def alerts(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    """The sales_alert payloads written so far, oldest first."""
    async with db.reader() as session:
        stmt = select(Event).where(Event.topic == "sales_alert").order_by(Event.id)
        if kind is not None:
            stmt = stmt.where(Event.kind == kind)
        return [event.payload for event in await session.scalars(stmt)]


async def count_of(db: Database, model: Any) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def purchase(
    db: Database, world: World, sku: str, quantity: int, requested: date | None = None
) -> PurchaseOrder:
    """An approved order from S1 (P1, P2) or S2 (P3) into WH1, sent to the supplier."""
    supplier = "S2" if sku == "P3" else "S1"
    order = await po_orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        supplier, "WH1", [LineDraft(sku, D(quantity), requested_date=requested)]))
    await po_orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        tasks = await approvals.tasks_of(session, world["manager"])
    for task, _ in tasks:
        await approvals.decide(db, world["manager"], task.id, True, None)
    return order


async def assert_books_balance(db: Database) -> None:
    """Per product: the reserved bucket = the Reservation rows = the lines' reserved; the
    backordered bucket = the lines' backordered; and no backorder waits while stock it could
    have is available."""
    async with db.reader() as session:
        positions = {(sku, bucket): quantity for sku, bucket, quantity in await session.execute(
            select(Product.sku, StockPosition.bucket, StockPosition.quantity)
            .join(Product, Product.id == StockPosition.product_id))}
        lines = {sku: (reserved, backordered) for sku, reserved, backordered in
                 await session.execute(
                     select(Product.sku, func.sum(SalesOrderLine.reserved_quantity),
                            func.sum(SalesOrderLine.backordered_quantity))
                     .join(Product, Product.id == SalesOrderLine.product_id)
                     .group_by(Product.sku))}
        rows = dict((await session.execute(
            select(Product.sku, func.sum(Reservation.quantity))
            .join(Product, Product.id == Reservation.product_id).group_by(Product.sku))).all())
        reservable = dict((await session.execute(
            select(Product.sku, func.sum(StockQuant.quantity))
            .join(Product, Product.id == StockQuant.product_id)
            .join(Location, Location.id == StockQuant.location_id)
            .where(StockQuant.bucket == Bucket.AVAILABLE.value,
                   Location.type.in_(RESERVABLE_BINS))
            .group_by(Product.sku))).all())
    for sku in {sku for sku, _ in positions} | set(lines):
        reserved, backordered = lines.get(sku, (D(0), D(0)))
        assert D(positions.get((sku, Bucket.RESERVED.value), 0)) == D(reserved) \
            == D(rows.get(sku) or 0), sku
        assert D(positions.get((sku, Bucket.BACKORDERED.value), 0)) == D(backordered), sku
        assert not (backordered and reservable.get(sku)), f"{sku} waits beside free stock"
