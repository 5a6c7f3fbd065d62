"""Backorder allocation: whenever a posting makes stock available (receipt, QC pass, adjustment,
a cancelled or reduced order...), the waiting backorders of that product × warehouse are
reserved at once, in the same transaction, by requested date (none last) and then by when the
order was taken; the salesperson gets BACKORDER_READY per line served.

The posting that freed the stock holds the pair's cost row, so no other reservation of the
product can run meanwhile; the orders served are then locked in id order (see the lock order
in ``server.sales.reserve``). Serving reserves, which only takes from ``available``, so it does
not call the listeners again."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.catalog.models import Product
from server.inventory.balances import Pair
from server.inventory.listeners import Increases, Levels, on_available_increase
from server.inventory.models import Bucket
from server.inventory.moves import PostingContext, plain
from server.sales.alerts import AlertKind, Party, party_of, sales_alert
from server.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from server.sales.reserve import LinePlan, apply_plans, load_pool
from server.sales.rules import waiting_order_key

WAITING_STATES = (SalesOrderState.OPEN.value, SalesOrderState.PARTIALLY_SHIPPED.value)


async def _waiting_orders(session: AsyncSession, pairs: list[Pair]) -> list[SalesOrder]:
    """The orders with a backordered line of the pairs, locked in id order, lines loaded."""
    order_ids = (await session.scalars(
        select(SalesOrderLine.order_id).distinct()
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(tuple_(SalesOrderLine.product_id, SalesOrder.warehouse_id).in_(pairs),
               SalesOrderLine.backordered_quantity > 0, SalesOrder.state.in_(WAITING_STATES))
    )).all()
    if not order_ids:
        return []
    return list((await session.scalars(
        select(SalesOrder).where(SalesOrder.id.in_(sorted(order_ids))).order_by(SalesOrder.id)
        .options(selectinload(SalesOrder.lines)).with_for_update()
        .execution_options(populate_existing=True)
    )).all())


@on_available_increase
async def serve_backorders(
    session: AsyncSession, increases: Increases, levels: Levels, context: PostingContext
) -> None:
    # The posting's own levels: it holds the pairs' cost rows, so no backorder came since.
    pairs = sorted(pair for pair in set(increases) if levels[pair][Bucket.BACKORDERED] > 0)
    if not pairs:
        return
    orders = await _waiting_orders(session, pairs)
    waiting = sorted(
        ((order, line) for order in orders if order.state in WAITING_STATES
         for line in order.lines
         if line.backordered_quantity > 0 and (line.product_id, order.warehouse_id) in pairs),
        key=lambda item: waiting_order_key(item[1].requested_date, item[0].created_at,
                                           item[0].id, item[1].line_no),
    )
    pool = await load_pool(session, pairs)
    plans: dict[int, list[LinePlan]] = defaultdict(list)
    for order, line in waiting:
        taken = pool.take((line.product_id, order.warehouse_id), line.backordered_quantity)
        if taken:
            plan = LinePlan(line, taken)
            plan.served = plan.reserved
            plans[order.id].append(plan)
    if not plans:
        return
    freed_by = " ".join(part for part in (context.document_type, context.document_number) if part)
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({line.product_id for _, line in waiting})))).all())
    # Posted (and announced) in the order the lines were served.
    for order in dict.fromkeys(order for order, line in waiting if order.id in plans):
        served = plans[order.id]
        await apply_plans(session, order, served, context.actor,
                          f"backorder served: stock freed by {freed_by}")
        party = await party_of(session, order)
        for plan in served:
            await _ready(session, order, party, plan, skus[plan.line.product_id], freed_by)


async def _ready(
    session: AsyncSession, order: SalesOrder, party: Party, plan: LinePlan, sku: str,
    freed_by: str,
) -> None:
    line = plan.line
    rest = line.backordered_quantity
    still = f"; {plain(rest)} still backordered" if rest > 0 else ""
    await sales_alert(
        session, order, party, AlertKind.BACKORDER_READY, line_no=line.line_no, sku=sku,
        quantity=plan.reserved,
        message=f"{order.number} line {line.line_no}: {plain(plan.reserved)} {sku} reserved, "
                f"stock freed by {freed_by}{still}",
    )
