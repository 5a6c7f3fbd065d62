"""When more stock is expected: open purchase order lines (the supplier's confirmed date, else
the requested date) for what is still on order, and shipping notices (their expected arrival)
for what is in transit. What a shortage message and a ShortLine tell the salesperson."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
    ShipmentNoticeLine,
)
from server.purchasing.states import ON_ORDER_STATES, PoState
from server.sales.rules import Shortage

# Orders whose announced shipments may still arrive.
_RECEIVABLE = frozenset(ON_ORDER_STATES | {PoState.RECEIVED})


@dataclass(frozen=True, slots=True)
class Expected:
    """The earliest date more is expected, and how much is expected on that date."""

    on: date
    quantity: Decimal


def earliest(arrivals: Iterable[tuple[date, Decimal]]) -> Expected | None:
    by_date: dict[date, Decimal] = defaultdict(Decimal)
    for on, quantity in arrivals:
        if quantity > 0:
            by_date[on] += quantity
    if not by_date:
        return None
    first = min(by_date)
    return Expected(first, by_date[first])


async def expected_supply(
    session: AsyncSession, warehouse_id: int, product_ids: Sequence[int]
) -> dict[int, Expected]:
    """Per product, the earliest expected arrival into the warehouse (products with none are
    left out). Undated supply is not counted: nobody can promise a date from it."""
    if not product_ids:
        return {}
    arrivals: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    on_order = await session.execute(
        select(PurchaseOrderLine.product_id,
               func.coalesce(PurchaseOrderLine.confirmed_date, PurchaseOrderLine.requested_date),
               func.coalesce(PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.quantity)
               - PurchaseOrderLine.shipped_quantity)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.warehouse_id == warehouse_id,
               PurchaseOrder.state.in_([s.value for s in ON_ORDER_STATES]),
               PurchaseOrderLine.closed.is_(False),
               PurchaseOrderLine.product_id.in_(product_ids))
    )
    for product_id, on, quantity in on_order:
        if on is not None:
            arrivals[product_id].append((on, Decimal(quantity)))
    in_transit = await session.execute(
        select(PurchaseOrderLine.product_id, ShipmentNotice.expected_arrival,
               ShipmentNoticeLine.quantity - ShipmentNoticeLine.received_quantity)
        .join(ShipmentNotice, ShipmentNotice.id == ShipmentNoticeLine.notice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ShipmentNoticeLine.order_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.warehouse_id == warehouse_id,
               PurchaseOrder.state.in_([s.value for s in _RECEIVABLE]),
               ShipmentNotice.expected_arrival.is_not(None),
               PurchaseOrderLine.product_id.in_(product_ids))
    )
    for product_id, on, quantity in in_transit:
        arrivals[product_id].append((on, Decimal(quantity)))
    found = {product_id: earliest(rows) for product_id, rows in arrivals.items()}
    return {product_id: expected for product_id, expected in found.items() if expected}


def with_expected(
    shortages: Sequence[Shortage], supply: Mapping[int, Expected], product_ids: Mapping[str, int]
) -> list[Shortage]:
    """The shortages with when more is expected (``product_ids`` by sku)."""
    found = []
    for shortage in shortages:
        expected = supply.get(product_ids[shortage.sku])
        found.append(replace(shortage, expected_date=expected and expected.on,
                             expected_quantity=expected and expected.quantity))
    return found
