"""Make-to-order: a backordered make-to-order product becomes a draft purchase order at once,
one per preferred supplier and warehouse, the lines of one product merged, for a purchaser to
review and submit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Product, Supplier, SupplierItem
from server.db import utcnow
from server.numbering import next_number
from server.purchasing.events import order_event
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.rules import LineFacts, order_total
from server.purchasing.states import PoState
from server.sales.models import SalesOrder, SalesOrderLine
from server.sales.rules import requisition_quantity


async def _supplier_items(
    session: AsyncSession, product_ids: Sequence[int]
) -> dict[int, SupplierItem]:
    """Per product, the item to buy from: the preferred one, else the cheapest active one."""
    rows = await session.scalars(
        select(SupplierItem).join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .where(SupplierItem.product_id.in_(product_ids), SupplierItem.active.is_(True),
               Supplier.active.is_(True))
        .order_by(SupplierItem.product_id, SupplierItem.preferred.desc(), SupplierItem.price,
                  SupplierItem.supplier_id)
    )
    chosen: dict[int, SupplierItem] = {}
    for item in rows:
        chosen.setdefault(item.product_id, item)
    return chosen


async def raise_requisitions(
    session: AsyncSession, order: SalesOrder, shortfalls: Sequence[tuple[SalesOrderLine, Decimal]],
    products: Mapping[int, Product], actor: Principal,
) -> list[PurchaseOrder]:
    """Draft purchase orders for the make-to-order part of ``shortfalls``; products nobody
    supplies are left to the purchaser (the SHORTAGE alert and the demand pool show them)."""
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    needed_by: dict[int, date | None] = {}
    for line, short in shortfalls:
        if short <= 0 or not products[line.product_id].make_to_order:
            continue
        wanted[line.product_id] += short
        dates = [d for d in (needed_by.get(line.product_id), line.requested_date) if d]
        needed_by[line.product_id] = min(dates) if dates else None
    if not wanted:
        return []
    items = await _supplier_items(session, sorted(wanted))
    by_supplier: dict[int, list[SupplierItem]] = defaultdict(list)
    for product_id in sorted(wanted):
        if product_id in items:
            by_supplier[items[product_id].supplier_id].append(items[product_id])
    today = utcnow().date()
    raised = []
    for supplier_id in sorted(by_supplier):
        supplied = by_supplier[supplier_id]
        purchase = PurchaseOrder(
            number=await next_number(session, "PO", today), supplier_id=supplier_id,
            warehouse_id=order.warehouse_id, state=PoState.DRAFT.value,
            currency=supplied[0].currency, created_by_id=actor.user_id, order_date=today,
            notes=f"Requisition raised by {order.number}: make-to-order products backordered.",
            lines=[PurchaseOrderLine(
                line_no=index, product_id=item.product_id,
                quantity=requisition_quantity(wanted[item.product_id], item.moq,
                                              item.pack_multiple),
                unit_price=item.price, requested_date=needed_by[item.product_id],
            ) for index, item in enumerate(supplied, start=1)],
        )
        purchase.total_amount = order_total([
            LineFacts(products[line.product_id].sku, products[line.product_id].category,
                      line.quantity, line.unit_price) for line in purchase.lines])
        session.add(purchase)
        await session.flush()
        await order_event(session, purchase, "PO_CREATED", actor)
        raised.append(purchase)
    return raised
