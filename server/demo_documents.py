"""Documents for the demo, made through the real use cases so they are exactly what users make:
an order from 华鑫食品 to the Shanghai warehouse, sent and announced by an ASN with a pallet, ready
for the dock to scan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.auth import User, principal_of
from server.catalog.models import Product, Supplier, SupplierItem
from server.db import Database, utcnow
from server.purchasing import orders, portal
from server.purchasing.rules import LineDraft

SUPPLIER, WAREHOUSE = "HXFOOD", "SH"
DEMO_SSCC = "069012340000000016"


@dataclass(frozen=True, slots=True)
class DemoDocuments:
    order_number: str
    notice_number: str
    sscc: str


async def load_demo_documents(db: Database) -> DemoDocuments:
    """A PO of three of the supplier's products (one needing QC when it has one), approved at
    once (the demo sets no approval policy) and sent; an ASN shipping all of it, the first line
    on a labelled pallet with a lot and an expiry date."""
    async with db.reader() as session:
        users = {user.username: principal_of(user) for user in await session.scalars(
            select(User).where(User.username.in_(["purchaser", "supplier1"]))
            .options(selectinload(User.role_rows)))}
        buyer, seller = users["purchaser"], users["supplier1"]
        offered = list(await session.scalars(
            select(Product).join(SupplierItem, SupplierItem.product_id == Product.id)
            .join(Supplier, Supplier.id == SupplierItem.supplier_id)
            .where(Supplier.code == SUPPLIER).order_by(Product.sku)))
    inspected = [p for p in offered if p.qc_required][:1]
    products = inspected + [p for p in offered if not p.qc_required][:3 - len(inspected)]
    order = await orders.create_purchase_order(db, buyer, orders.OrderDraft(
        SUPPLIER, WAREHOUSE, [LineDraft(p.sku, Decimal(qty)) for p, qty in
                              zip(products, (24, 120, 60), strict=False)]))
    order = await orders.submit_purchase_order(db, buyer, order.number)
    today = utcnow().date()
    await portal.confirm_purchase_order(db, seller, order.number, [
        portal.LineConfirmation(line.line_no, line.quantity, today + timedelta(days=2))
        for line in order.lines])
    notice, _ = await portal.create_shipment_notice(db, seller, portal.NoticeDraft(
        order.number,
        [portal.NoticeLine(line.line_no, line.quantity,
                           lot=f"{today:%Y%m%d}-{line.line_no}",
                           expiry=today + timedelta(days=365),
                           sscc=DEMO_SSCC if line.line_no == 1 else None)
         for line in order.lines],
        carrier="顺丰速运", tracking_number="SF1234567890",
        expected_arrival=today + timedelta(days=1)))
    return DemoDocuments(order.number, notice.number, DEMO_SSCC)
