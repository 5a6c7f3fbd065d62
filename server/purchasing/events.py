"""The ``purchase_order`` events everyone concerned listens to (purchasers, approvers, supplier)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.changes import mark_changed
from server.events import record_event
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine

TOPIC = "purchase_order"


async def order_event(
    session: AsyncSession, order: PurchaseOrder, kind: str, actor: Principal, *,
    product_ids: Iterable[int] | None = None, **details: Any
) -> None:
    """``product_ids``: the order's products, when the caller has just read its lines."""
    await record_event(
        session, topic=TOPIC, kind=kind, warehouse_id=order.warehouse_id,
        document_type="PO", document_number=order.number,
        payload={"number": order.number, "state": order.state, "version": order.version,
                 "supplierId": order.supplier_id, "totalAmount": str(order.total_amount),
                 # 1 once the supplier can see the order: only then may its users follow it.
                 "sentToSupplier": int(order.sent_at is not None),
                 "actor": actor.username, **details},
    )
    # Every change of an order's state or lines changes what is coming for its products.
    products = product_ids if product_ids is not None else await session.scalars(
        select(PurchaseOrderLine.product_id).where(PurchaseOrderLine.order_id == order.id))
    mark_changed(session, ((product_id, order.warehouse_id) for product_id in products))
