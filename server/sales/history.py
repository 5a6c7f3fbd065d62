"""Weekly sales history from shipments: what leaves the warehouse is added to the ``shipped``
row of its product × warehouse × ISO week × region, in the shipping transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert_insert
from server.sales.models import HistorySource, SalesHistory, SalesOrder, SalesOrderLine
from server.sales.pick_rules import PickedStock
from server.weeks import monday_of

HISTORY_KEY = ("product_id", "warehouse_id", "week_start", "region", "source")


async def record_shipped(
    session: AsyncSession, orders: Iterable[SalesOrder], order_lines: Mapping[int, SalesOrderLine],
    shipped: Iterable[PickedStock], shipped_on: date,
) -> None:
    """Add each shipped quantity to the history of its order's warehouse and region in the
    week of ``shipped_on``: one upsert for the whole shipment."""
    order_by_id = {order.id: order for order in orders}
    totals: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for stock in shipped:
        order = order_by_id[order_lines[stock.order_line_id].order_id]
        totals[(stock.product_id, order.warehouse_id, order.region)] += stock.quantity
    if not totals:
        return
    monday = monday_of(shipped_on)
    # Sorted: concurrent shipments lock the rows they share in the same order.
    rows = [{"product_id": product_id, "warehouse_id": warehouse_id, "week_start": monday,
             "region": region, "source": HistorySource.SHIPPED.value, "quantity": quantity}
            for (product_id, warehouse_id, region), quantity in sorted(totals.items())]
    statement = upsert_insert(session, SalesHistory).values(rows)
    await session.execute(statement.on_conflict_do_update(
        index_elements=list(HISTORY_KEY),
        set_={"quantity": SalesHistory.__table__.c.quantity + statement.excluded.quantity}))
