"""``release_picking`` puts the reserved stock of sales orders on a pick list (PK), a line and a
PICK task per bin and lot in walking order; ``confirm_pick`` records what the handheld picked
(``reserved`` in the bin → ``picked`` on the staging bin) and what was short (written off, then
reserved again from other bins onto new lines of the same list, else backordered).

Lock order, the same as every posting's and the backorder allocator's: document sequence, pick
list, stock cost rows, then sales orders in id order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Customer, Location, Product, Warehouse
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import DomainError, InvalidState, NotFound, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext, plain
from server.inventory.posting import post_moves
from server.inventory.rules import lot_of
from server.numbering import next_number
from server.receiving.barcodes import BarcodeKind, resolve_in_session
from server.receiving.tasks import lock_task, open_pick_task, progress
from server.sales import pick_queries
from server.sales.alerts import order_event
from server.sales.models import (
    PickLineStatus,
    PickList,
    PickListLine,
    PickListState,
    Reservation,
    SalesOrder,
    SalesOrderLine,
)
from server.sales.pick_queries import PickListView
from server.sales.pick_rules import (
    OPEN_ORDER_STATES,
    HeldStock,
    PickRequest,
    PickScan,
    PickTarget,
    StockKey,
    all_decided,
    backorder_after_short,
    line_status,
    one_customer_problem,
    one_warehouse_problem,
    over_pick_problem,
    pick_request_problems,
    release_problems,
    scan_problems,
    to_pick,
)
from server.sales.reserve import backorder_line, lock_stock, reserve_for_line

RELEASERS = (Role.WAREHOUSE, Role.SALES)
PICKERS = (Role.WAREHOUSE,)
DOCUMENT_TYPE = "PK"
SO_PICKED = "SO_PICKED"


async def release_picking(
    db: Database, principal: Principal, order_numbers: Sequence[str], idempotency_key: str
) -> PickListView:
    """One pick list for what the orders have reserved and no open pick list picks yet."""
    principal.require(*RELEASERS)
    numbers = list(dict.fromkeys(number.strip() for number in order_numbers))
    raise_problems(*release_problems(numbers, idempotency_key))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
        orders = await _lock_orders(session, numbers)
        held = await _held_stock(session, [order.id for order in orders])
        picks = to_pick(held, await _on_open_lists(session, {s.order_line_id for s in held}))
        if not picks:
            raise InvalidState("nothing to pick: every reserved quantity of these orders is on "
                               "an open pick list already, or nothing is reserved",
                               field="salesOrderNumbers")
        pick_list = PickList(number=number, warehouse_id=orders[0].warehouse_id,
                             state=PickListState.OPEN.value, version=1,
                             created_by_id=principal.user_id, created_at=utcnow())
        session.add(pick_list)
        await session.flush()
        for line_no, (stock, quantity) in enumerate(picks, start=1):
            await _add_line(session, pick_list, line_no, stock.order_line_id, stock.product_id,
                            stock.sku, stock.location_id, stock.lot, quantity)
        return {"number": number}

    outcome = await run_once(db, principal, "releasePicking", idempotency_key, perform)
    async with db.reader() as session:
        return await pick_queries.pick_list_view(session, outcome.result["number"])


async def _lock_orders(session: AsyncSession, numbers: list[str]) -> list[SalesOrder]:
    """The orders, locked in id order; all must exist, be open and share one warehouse and one
    customer."""
    orders = list(await session.scalars(
        select(SalesOrder).where(SalesOrder.number.in_(numbers)).order_by(SalesOrder.id)
        .with_for_update().execution_options(populate_existing=True)))
    found = {order.number for order in orders}
    problems = [Problem("NOT_FOUND", f"no sales order {number!r}", "salesOrderNumbers")
                for number in numbers if number not in found]
    problems += [Problem("INVALID_STATE", f"{order.number} is {order.state}: nothing to pick",
                         "salesOrderNumbers")
                 for order in orders if order.state not in OPEN_ORDER_STATES]
    codes = dict((await session.execute(select(Warehouse.id, Warehouse.code).where(
        Warehouse.id.in_({order.warehouse_id for order in orders})))).all())
    problems.append(one_warehouse_problem(
        {order.number: codes[order.warehouse_id] for order in orders}))
    customers = dict((await session.execute(select(Customer.id, Customer.code).where(
        Customer.id.in_({order.customer_id for order in orders})))).all())
    problems.append(one_customer_problem(
        {order.number: customers[order.customer_id] for order in orders}))
    raise_problems(*problems)
    return orders


async def _held_stock(session: AsyncSession, order_ids: list[int]) -> list[HeldStock]:
    rows = await session.execute(
        select(Reservation, Location.code, Product.sku, SalesOrder.number, SalesOrderLine.line_no)
        .join(SalesOrderLine, SalesOrderLine.id == Reservation.order_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Location, Location.id == Reservation.location_id)
        .join(Product, Product.id == Reservation.product_id)
        .where(SalesOrder.id.in_(order_ids), Reservation.quantity > 0))
    return [HeldStock(r.order_line_id, r.product_id, r.location_id, r.lot, r.quantity, code, sku,
                      number, line_no) for r, code, sku, number, line_no in rows]


async def _on_open_lists(
    session: AsyncSession, order_line_ids: set[int]
) -> dict[StockKey, Decimal]:
    """What open pick lists still have to pick, per order line, bin and lot."""
    remaining = PickListLine.quantity - PickListLine.picked_quantity - PickListLine.short_quantity
    rows = await session.execute(
        select(PickListLine.order_line_id, PickListLine.location_id, PickListLine.lot,
               func.sum(remaining))
        .join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(PickList.state == PickListState.OPEN.value,
               PickListLine.status == PickLineStatus.OPEN.value,
               PickListLine.order_line_id.in_(order_line_ids))
        .group_by(PickListLine.order_line_id, PickListLine.location_id, PickListLine.lot))
    return {(line_id, location_id, lot): Decimal(quantity)
            for line_id, location_id, lot, quantity in rows}


async def _add_line(
    session: AsyncSession, pick_list: PickList, line_no: int, order_line_id: int,
    product_id: int, sku: str, location_id: int, lot: str, quantity: Decimal,
) -> PickListLine:
    task = await open_pick_task(
        session, warehouse_id=pick_list.warehouse_id, product_id=product_id, sku=sku,
        location_id=location_id, lot=lot, quantity=quantity, pick_list_number=pick_list.number)
    line = PickListLine(
        pick_list_id=pick_list.id, line_no=line_no, order_line_id=order_line_id,
        product_id=product_id, location_id=location_id, lot=lot, quantity=quantity,
        picked_quantity=Decimal(0), short_quantity=Decimal(0),
        status=PickLineStatus.OPEN.value, task_id=task.id)
    session.add(line)
    await session.flush()
    return line


async def confirm_pick(db: Database, principal: Principal, request: PickRequest) -> PickListView:
    """Record one pick (and short) on a pick list line; the same idempotency key again returns
    the pick list and changes nothing. Every confirmation bumps the pick list's version."""
    principal.require(*PICKERS)
    raise_problems(*pick_request_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        pick_list = await pick_queries.lock_pick_list(
            session, request.pick_list_number, PickListState.OPEN,
            based_on_version=request.based_on_version)
        line = next((line for line in pick_list.lines if line.line_no == request.line_no), None)
        if line is None:
            raise NotFound(f"{pick_list.number} has no line {request.line_no}", field="lineNo")
        target = await _target(session, line)
        remaining = line.quantity - line.picked_quantity - line.short_quantity
        raise_problems(
            *scan_problems(target, await read_scan(session, request),
                           picking=request.quantity > 0),
            over_pick_problem(remaining, request.quantity, request.short_quantity))
        await lock_stock(session, [(line.product_id, pick_list.warehouse_id)])
        order, order_line = await _locked_order_line(session, line.order_line_id)
        task = await lock_task(session, line.task_id) if line.task_id is not None else None
        context = _Pick(session, principal, pick_list, line, order, order_line, target)
        if request.quantity > 0:
            await context.pick(request.quantity)
        if request.short_quantity > 0:
            await context.short(request.short_quantity, (request.short_reason or "").strip())
        if task is not None:
            await progress(session, task, request.quantity + request.short_quantity, target.sku)
        line.status = line_status(line.quantity, line.picked_quantity, line.short_quantity).value
        pick_list.version += 1
        await session.flush()
        await _finish_if_decided(session, pick_list)
        return {"number": pick_list.number}

    outcome = await run_once(db, principal, "confirmPick", request.idempotency_key, perform)
    async with db.reader() as session:
        return await pick_queries.pick_list_view(session, outcome.result["number"])


async def _target(session: AsyncSession, line: PickListLine) -> PickTarget:
    bin_code, sku = (await session.execute(select(
        select(Location.code).where(Location.id == line.location_id).scalar_subquery(),
        select(Product.sku).where(Product.id == line.product_id).scalar_subquery()))).one()
    return PickTarget(line.location_id, bin_code, line.product_id, sku, line.lot)


async def read_scan(session: AsyncSession, request: PickRequest) -> PickScan:
    """What the scans name; a scan that names nothing is simply not the expected bin or product
    (WRONG_BIN / WRONG_PRODUCT say what to scan instead)."""
    location_id = None
    try:
        found = await resolve_in_session(session, request.bin_barcode, field="binBarcode")
        if found.kind is BarcodeKind.LOCATION and found.location is not None:
            location_id = found.location.id
    except DomainError:
        pass
    product_id, lot = None, lot_of(request.lot) or None
    if request.product_barcode:
        try:
            found = await resolve_in_session(session, request.product_barcode,
                                             field="productBarcode")
            product_id = found.product.id if found.product is not None else None
            lot = lot or found.read.lot
        except DomainError:
            pass
    elif request.sku:
        product_id = await session.scalar(select(Product.id).where(Product.sku == request.sku))
    return PickScan(request.bin_barcode, location_id, product_id,
                    request.product_barcode or request.sku, lot)


async def _locked_order_line(
    session: AsyncSession, order_line_id: int
) -> tuple[SalesOrder, SalesOrderLine]:
    order_id = await session.scalar(
        select(SalesOrderLine.order_id).where(SalesOrderLine.id == order_line_id))
    order = await session.scalar(select(SalesOrder).where(SalesOrder.id == order_id)
                                 .with_for_update().execution_options(populate_existing=True))
    assert order is not None  # a pick line's order line belongs to an order
    if order.state not in OPEN_ORDER_STATES:
        raise InvalidState(f"{order.number} is {order.state}: its lines cannot be picked",
                           field="pickListNumber")
    line = await session.scalar(select(SalesOrderLine).where(SalesOrderLine.id == order_line_id)
                                .execution_options(populate_existing=True))
    assert line is not None
    return order, line


class _Pick:
    """One confirmation's stock work on a locked pick list line and its order line."""

    def __init__(self, session: AsyncSession, principal: Principal, pick_list: PickList,
                 line: PickListLine, order: SalesOrder, order_line: SalesOrderLine,
                 target: PickTarget) -> None:
        self.session, self.principal, self.pick_list = session, principal, pick_list
        self.line, self.order, self.order_line, self.target = line, order, order_line, target

    def _context(self, reason: str) -> PostingContext:
        return PostingContext(DOCUMENT_TYPE, self.principal, self.pick_list.number,
                              document_line=self.line.line_no, reason=reason)

    def _from_bin(self, quantity: Decimal, **to: Any) -> Move:
        return Move(product_id=self.line.product_id, warehouse_id=self.pick_list.warehouse_id,
                    quantity=quantity, lot=self.line.lot, from_bucket=Bucket.RESERVED,
                    from_location_id=self.line.location_id, **to)

    async def pick(self, quantity: Decimal) -> None:
        """Reserved in the bin → picked on the staging bin, lot kept."""
        staging = await pick_queries.staging_bin(self.session, self.pick_list.warehouse_id)
        await self._unreserve(quantity)
        await post_moves(self.session, [self._from_bin(
            quantity, to_bucket=Bucket.PICKED, to_location_id=staging.id)],
            self._context(f"picked for {self.order.number} into {staging.code}"))
        self.order_line.picked_quantity += quantity
        self.line.picked_quantity += quantity

    async def short(self, quantity: Decimal, reason: str) -> None:
        """The stock is not in the bin: write it off at the average, reserve the shortfall
        again from other bins (new lines on this list), backorder what none can give."""
        await self._unreserve(quantity)
        await post_moves(self.session, [self._from_bin(quantity)],
                         self._context(f"short pick: {reason}"))
        self.line.short_quantity += quantity
        self.line.short_reason = reason
        await self.session.flush()
        before = await self._reservations()
        # The bin's record proved wrong: pick again from other bins only.
        reserved = await reserve_for_line(self.session, self.order_line, self.order, quantity,
                                          self.principal, exclude_bins=(self.line.location_id,))
        await self._pick_again(before, await self._reservations())
        backorder = backorder_after_short(quantity, reserved)
        if backorder > 0:
            await backorder_line(self.session, self.order_line, self.order, backorder,
                                 self.principal, f"short pick on {self.pick_list.number} at "
                                 f"{self.target.bin_code} ({reason})")

    async def _unreserve(self, quantity: Decimal) -> None:
        reservation = await self.session.scalar(select(Reservation).where(
            Reservation.order_line_id == self.line.order_line_id,
            Reservation.location_id == self.line.location_id, Reservation.lot == self.line.lot,
        ).execution_options(populate_existing=True))
        if reservation is None or reservation.quantity < quantity:
            raise InvalidState(f"{self.order.number} line {self.order_line.line_no} no longer "
                               f"has {plain(quantity)} reserved at {self.target.bin_code}",
                               field="lineNo")
        reservation.quantity -= quantity
        if reservation.quantity == 0:
            await self.session.delete(reservation)
        self.order_line.reserved_quantity -= quantity
        await self.session.flush()

    async def _reservations(self) -> dict[tuple[int, str], Decimal]:
        rows = await self.session.execute(
            select(Reservation.location_id, Reservation.lot, Reservation.quantity)
            .where(Reservation.order_line_id == self.line.order_line_id)
            .execution_options(populate_existing=True))
        found: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for location_id, lot, quantity in rows:
            found[(location_id, lot)] += quantity
        return found

    async def _pick_again(self, before: dict[tuple[int, str], Decimal],
                          after: dict[tuple[int, str], Decimal]) -> None:
        """A new line (and task) on this list for each bin and lot the shortfall was
        reserved in."""
        next_no = max(line.line_no for line in self.pick_list.lines) + 1
        for (location_id, lot), quantity in sorted(after.items()):
            added = quantity - before.get((location_id, lot), Decimal(0))
            if added > 0:
                self.pick_list.lines.append(await _add_line(
                    self.session, self.pick_list, next_no, self.line.order_line_id,
                    self.line.product_id, self.target.sku, location_id, lot, added))
                next_no += 1


async def _finish_if_decided(session: AsyncSession, pick_list: PickList) -> None:
    """Every line picked or short: the list is PICKED and each of its orders hears SO_PICKED."""
    if not all_decided(line.status for line in pick_list.lines):
        return
    pick_list.state = PickListState.PICKED.value
    order_line_ids = {line.order_line_id for line in pick_list.lines}
    orders = await session.scalars(select(SalesOrder).where(SalesOrder.id.in_(
        select(SalesOrderLine.order_id).where(SalesOrderLine.id.in_(order_line_ids))))
        .order_by(SalesOrder.id))
    for order in orders:
        await order_event(session, order, SO_PICKED)
