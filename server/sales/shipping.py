"""``confirm_shipment``: everything picked on a pick list leaves the warehouse (``picked`` on the
staging bin → outside) at the moving-average cost, which the ledger rows record as COGS and the
shipment lines copy; the order lines count it shipped and the orders become shipped or
partially shipped. Lock order as in picking: sequence, pick list, stock, sales orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import InvalidState
from server.idempotency import run_once
from server.inventory.models import Bucket, StockLedger
from server.inventory.moves import Move, PostingContext, plain
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.sales import pick_queries
from server.sales.alerts import AlertKind, order_event, party_of, sales_alert
from server.sales.history import record_shipped
from server.sales.listeners import shipped
from server.sales.models import (
    PickLineStatus,
    PickList,
    PickListState,
    SalesOrder,
    SalesOrderLine,
    SalesOrderState,
    Shipment,
    ShipmentLine,
)
from server.sales.pick_queries import ShipmentView
from server.sales.pick_rules import (
    OPEN_ORDER_STATES,
    LineProgress,
    PickedStock,
    shipment_lines,
    shipment_problems,
    state_after_shipment,
)
from server.sales.picking import DOCUMENT_TYPE as PICK_LIST_DOCUMENT
from server.sales.reserve import lock_stock

SHIPPERS = (Role.WAREHOUSE,)
DOCUMENT_TYPE = "SH"
SO_SHIPPED = "SO_SHIPPED"


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    pick_list_number: str
    carrier: str
    tracking_number: str
    idempotency_key: str
    based_on_version: int | None = None


async def confirm_shipment(
    db: Database, principal: Principal, request: ShipmentRequest
) -> ShipmentView:
    """Ship a picked pick list; the same idempotency key again returns the first shipment."""
    principal.require(*SHIPPERS)
    raise_problems(*shipment_problems(request.carrier, request.tracking_number,
                                      request.idempotency_key))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
        pick_list = await pick_queries.lock_pick_list(
            session, request.pick_list_number, PickListState.OPEN, PickListState.PICKED,
            based_on_version=request.based_on_version)
        undecided = [line.line_no for line in pick_list.lines
                     if line.status == PickLineStatus.OPEN.value]
        if undecided:
            raise InvalidState(f"{pick_list.number} still has lines to pick: "
                               f"{', '.join(map(str, undecided))}", field="pickListNumber")
        picked = shipment_lines(await _picked_stock(session, pick_list))
        if not picked:
            raise InvalidState(f"nothing was picked on {pick_list.number}: nothing to ship",
                               field="pickListNumber")
        await lock_stock(
            session, [(stock.product_id, pick_list.warehouse_id) for stock in picked])
        orders, order_lines = await _locked_orders(session, {s.order_line_id for s in picked})
        shipment = Shipment(
            number=number, pick_list_id=pick_list.id, warehouse_id=pick_list.warehouse_id,
            carrier=request.carrier.strip(), tracking_number=request.tracking_number.strip(),
            shipped_by_id=principal.user_id, shipped_at=utcnow())
        session.add(shipment)
        await session.flush()
        posting = await post_moves(session, [
            Move(product_id=stock.product_id, warehouse_id=pick_list.warehouse_id,
                 quantity=stock.quantity, lot=stock.lot, from_bucket=Bucket.PICKED,
                 from_location_id=stock.location_id, document_line=index)
            for index, stock in enumerate(picked, start=1)
        ], PostingContext(DOCUMENT_TYPE, principal, number,
                          reason=f"shipped on {pick_list.number} by {shipment.carrier} "
                                 f"{shipment.tracking_number}"))
        for stock, entry in zip(picked, posting.entries, strict=True):
            order_line = order_lines[stock.order_line_id]
            assert entry.unit_cost is not None  # outbound rows carry the average they left at
            session.add(ShipmentLine(
                shipment_id=shipment.id, order_line_id=order_line.id,
                product_id=stock.product_id, lot=stock.lot, quantity=stock.quantity,
                unit_price=order_line.unit_price, unit_cost=entry.unit_cost,
                stock_ledger_id=entry.id, cogs=entry.value))
            order_line.picked_quantity -= stock.quantity
            order_line.shipped_quantity += stock.quantity
        await record_shipped(session, orders, order_lines, picked, shipment.shipped_at.date())
        pick_list.state = PickListState.SHIPPED.value
        pick_list.version += 1
        await session.flush()
        await _tell(session, orders, order_lines, picked, shipment)
        await shipped(session, [shipment.id])
        return {"number": number}

    outcome = await run_once(db, principal, "confirmShipment", request.idempotency_key, perform)
    async with db.reader() as session:
        return await pick_queries.shipment_view(session, outcome.result["number"])


async def _picked_stock(session: AsyncSession, pick_list: PickList) -> list[PickedStock]:
    """Where each line's picked stock lies: the staging bin and lot its pick postings took it
    to, read from the ledger (a staging bin added since cannot mislead it)."""
    lines = {line.line_no: line for line in pick_list.lines if line.picked_quantity > 0}
    rows = await session.execute(
        select(StockLedger.document_line, StockLedger.to_location_id, StockLedger.lot,
               func.sum(StockLedger.quantity))
        .where(StockLedger.document_type == PICK_LIST_DOCUMENT,
               StockLedger.document_number == pick_list.number,
               StockLedger.to_bucket == Bucket.PICKED.value,
               StockLedger.document_line.in_(list(lines)))
        .group_by(StockLedger.document_line, StockLedger.to_location_id, StockLedger.lot)
        .order_by(StockLedger.document_line, StockLedger.to_location_id, StockLedger.lot))
    return [PickedStock(lines[line_no].order_line_id, lines[line_no].product_id, location_id,
                        lot, quantity)
            for line_no, location_id, lot, quantity in rows]


async def _locked_orders(
    session: AsyncSession, order_line_ids: set[int]
) -> tuple[list[SalesOrder], dict[int, SalesOrderLine]]:
    """The orders of these lines, locked in id order and still open, with all their lines."""
    orders = list(await session.scalars(
        select(SalesOrder).where(SalesOrder.id.in_(
            select(SalesOrderLine.order_id).where(SalesOrderLine.id.in_(order_line_ids))))
        .order_by(SalesOrder.id).with_for_update()
        .execution_options(populate_existing=True)))
    closed = [f"{order.number} is {order.state}" for order in orders
              if order.state not in OPEN_ORDER_STATES]
    if closed:
        raise InvalidState(f"cannot ship: {'; '.join(closed)}", field="pickListNumber")
    lines = await session.scalars(
        select(SalesOrderLine).where(SalesOrderLine.order_id.in_([o.id for o in orders]))
        .execution_options(populate_existing=True))
    return orders, {line.id: line for line in lines}


async def _tell(
    session: AsyncSession, orders: list[SalesOrder], order_lines: dict[int, SalesOrderLine],
    shipped: list[PickedStock], shipment: Shipment,
) -> None:
    """Each order's new state (SO_SHIPPED) and a SHIPPED alert per line shipped."""
    by_order: dict[int, list[SalesOrderLine]] = defaultdict(list)
    for line in order_lines.values():
        by_order[line.order_id].append(line)
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({stock.product_id for stock in shipped})))).all())
    for order in orders:
        order.state = state_after_shipment(
            LineProgress(line.reserved_quantity, line.backordered_quantity,
                         line.picked_quantity) for line in by_order[order.id]).value
        if order.state == SalesOrderState.SHIPPED.value:
            order.shipped_at = shipment.shipped_at
        await session.flush()
        await order_event(session, order, SO_SHIPPED)
        party = await party_of(session, order)
        for stock in shipped:
            line = order_lines[stock.order_line_id]
            if line.order_id != order.id:
                continue
            sku = skus[stock.product_id]
            await sales_alert(
                session, order, party, AlertKind.SHIPPED, line_no=line.line_no, sku=sku,
                quantity=stock.quantity, message=f"{plain(stock.quantity)} {sku} shipped on "
                f"{shipment.number} ({shipment.carrier} {shipment.tracking_number})")
