"""How purchase orders move stock: approved quantities go on order, shipped ones in transit.

Every action takes a snapshot of what each line had on order before it changes the order and
posts the difference afterwards, so edits, cancellations, declines and re-approvals all keep the
``on_order`` bucket equal to what approved orders still expect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.rules import still_on_order
from server.purchasing.states import ON_ORDER_STATES, PoState

DOCUMENT_TYPE = "PO"
# line number → (product id, quantity on order)
Snapshot = Mapping[int, tuple[int, Decimal]]


def on_order_snapshot(order: PurchaseOrder) -> dict[int, tuple[int, Decimal]]:
    counts = PoState(order.state) in ON_ORDER_STATES
    return {
        line.line_no: (line.product_id, still_on_order(line.quantity, line.shipped_quantity,
                                                       line.closed) if counts else Decimal(0))
        for line in order.lines
    }


async def post_on_order_changes(
    session: AsyncSession, order: PurchaseOrder, before: Snapshot, actor: Principal
) -> None:
    after = on_order_snapshot(order)
    moves = []
    for line_no in sorted(set(before) | set(after)):
        product_before, qty_before = before.get(line_no, (0, Decimal(0)))
        product_after, qty_after = after.get(line_no, (0, Decimal(0)))
        if product_before == product_after:
            changes = [(product_after, qty_after - qty_before)]
        else:  # the line changed product (or appeared, or went): release, then add
            changes = [(product_before, -qty_before), (product_after, qty_after)]
        moves.extend(_on_order(order, line_no, product, delta)
                     for product, delta in changes if delta)
    if moves:
        await post_moves(session, moves, PostingContext(
            document_type=DOCUMENT_TYPE, actor=actor, document_number=order.number))


def _on_order(order: PurchaseOrder, line_no: int, product_id: int, delta: Decimal) -> Move:
    """Into on_order from outside when positive, back out when negative."""
    inbound = delta > 0
    return Move(product_id=product_id, warehouse_id=order.warehouse_id, quantity=abs(delta),
                from_bucket=None if inbound else Bucket.ON_ORDER,
                to_bucket=Bucket.ON_ORDER if inbound else None, document_line=line_no)


async def post_shipment(
    session: AsyncSession, order: PurchaseOrder, notice_number: str,
    shipped: Sequence[tuple[PurchaseOrderLine, Decimal]], actor: Principal,
) -> None:
    """Shipped quantities leave on_order for in_transit; what ships beyond the order (within
    tolerance) was never on order and enters in_transit from outside."""
    moves = []
    for line, quantity in shipped:
        from_order = min(quantity, still_on_order(line.quantity, line.shipped_quantity,
                                                  line.closed))
        if from_order > 0:
            moves.append(Move(product_id=line.product_id, warehouse_id=order.warehouse_id,
                              quantity=from_order, from_bucket=Bucket.ON_ORDER,
                              to_bucket=Bucket.IN_TRANSIT, document_line=line.line_no))
        if quantity > from_order:
            moves.append(Move(product_id=line.product_id, warehouse_id=order.warehouse_id,
                              quantity=quantity - from_order, from_bucket=None,
                              to_bucket=Bucket.IN_TRANSIT, document_line=line.line_no))
        line.shipped_quantity += quantity
    await post_moves(session, moves, PostingContext(
        document_type="ASN", actor=actor, document_number=notice_number,
        reason=f"shipped against {order.number}"))
