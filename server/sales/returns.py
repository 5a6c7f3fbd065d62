"""``create_sales_return`` (销售退货): a customer announces goods of a shipped order coming back,
no more than was shipped on each line minus what earlier returns took. Each return line keeps the
price it was sold at and the cost it left with (its shipments' ledger costs), so the receipt puts
it back at that cost and the credit note reverses that revenue. Reading returns lives here too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal, Role
from server.catalog.models import Customer, Product, Warehouse
from server.catalog.products import product_by_sku
from server.catalog.queries import PageRequest
from server.catalog.rules import raise_problems
from server.catalog.service import warehouse_by_code
from server.db import Database, utcnow
from server.errors import DomainError, NotFound, Problem
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.events import record_event
from server.idempotency import run_once
from server.numbering import next_number
from server.pagination import Page, paginate
from server.sales.models import SalesOrder, SalesOrderLine, ShipmentLine
from server.sales.queries import load_order
from server.sales.return_models import SalesReturn, SalesReturnLine, SalesReturnState
from server.sales.return_rules import (
    LineProgress,
    Room,
    SalesReturnDraft,
    draft_problems,
    left_with_cost,
    over_return_problem,
    spread,
    state_of,
)

CREATORS = (Role.SALES,)
DOCUMENT_TYPE = "RMA"
TOPIC = "sales_return"
RETURN_CREATED = "RETURN_CREATED"
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ReturnLineView:
    line: SalesReturnLine
    sku: str
    order_line_no: int


@dataclass(frozen=True, slots=True)
class ReturnView:
    row: SalesReturn
    order_number: str
    customer_code: str
    warehouse_code: str
    lines: list[ReturnLineView]

    @property
    def id(self) -> int:
        return self.row.id


async def create_sales_return(
    db: Database, principal: Principal, draft: SalesReturnDraft
) -> ReturnView:
    """Record the return; the same idempotency key again returns the first one."""
    principal.require(*CREATORS)
    raise_problems(*draft_problems(draft))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
        order = await load_order(session, draft.sales_order_number.strip(), lock=True,
                                 field="salesOrderNumber")
        returned = await _returned_so_far(session, [line.id for line in order.lines])
        shipped = await _shipped_costs(session, [line.id for line in order.lines])
        sales_return = SalesReturn(
            number=number, order_id=order.id, customer_id=order.customer_id,
            warehouse_id=order.warehouse_id, state=SalesReturnState.OPEN.value,
            reason=draft.reason.strip(), created_by_id=principal.user_id, created_at=utcnow())
        problems: list[Problem] = []
        for index, line in enumerate(draft.lines):
            try:
                product = await product_by_sku(session, line.sku.strip(), f"lines[{index}].sku")
            except DomainError as error:
                problems.extend(error.problems)
                continue
            problems.extend(_add_lines(sales_return, order, product, line.quantity, returned,
                                       shipped, f"lines[{index}].quantity"))
        raise_problems(*problems)
        session.add(sales_return)
        await session.flush()
        await return_event(session, sales_return, RETURN_CREATED, order.number)
        return {"number": number}

    outcome = await run_once(db, principal, "createSalesReturn", draft.idempotency_key, perform)
    async with db.reader() as session:
        return await return_view(session, outcome.result["number"])


def _add_lines(
    sales_return: SalesReturn, order: SalesOrder, product: Product, quantity: Decimal,
    returned: dict[int, Decimal], shipped: dict[int, list[tuple[Decimal, Decimal, str]]],
    field: str,
) -> list[Problem]:
    """Spread the quantity over the order's lines of the product, each up to what it shipped
    less what came back already, and add a return line per part."""
    candidates = [line for line in order.lines if line.product_id == product.id]
    if not candidates:
        return [Problem("NOT_ON_ORDER", f"{product.sku} is not on {order.number}", field)]
    rooms = [Room(line.line_no, line.shipped_quantity - returned.get(line.id, ZERO))
             for line in candidates]
    parts = spread(quantity, rooms)
    if parts is None:
        return [over_return_problem(
            product.sku, order.number, sum((line.shipped_quantity for line in candidates), ZERO),
            sum((returned.get(line.id, ZERO) for line in candidates), ZERO), quantity, field)]
    by_no = {line.line_no: line for line in candidates}
    for line_no, part in parts:
        order_line = by_no[line_no]
        shipments = shipped[order_line.id]
        lots = {lot for _, _, lot in shipments}
        sales_return.lines.append(SalesReturnLine(
            line_no=len(sales_return.lines) + 1, order_line_id=order_line.id,
            product_id=product.id, quantity=part, unit_price=order_line.unit_price,
            unit_cost=left_with_cost([(q, cost) for q, cost, _ in shipments]),
            lot=lots.pop() if len(lots) == 1 else "", received_quantity=ZERO,
            restocked_quantity=ZERO, scrapped_quantity=ZERO))
        returned[order_line.id] = returned.get(order_line.id, ZERO) + part
    return []


async def _returned_so_far(session: AsyncSession, order_line_ids: Sequence[int]
                           ) -> dict[int, Decimal]:
    rows = await session.execute(
        select(SalesReturnLine.order_line_id, func.sum(SalesReturnLine.quantity))
        .where(SalesReturnLine.order_line_id.in_(list(order_line_ids)))
        .group_by(SalesReturnLine.order_line_id))
    return {line_id: quantity for line_id, quantity in rows}


async def _shipped_costs(
    session: AsyncSession, order_line_ids: Sequence[int]
) -> dict[int, list[tuple[Decimal, Decimal, str]]]:
    """Per order line, (quantity, unit cost, lot) of each shipment line: the cost is the one the
    shipment's ledger row valued the goods at."""
    found: dict[int, list[tuple[Decimal, Decimal, str]]] = defaultdict(list)
    for line in await session.scalars(select(ShipmentLine).where(
            ShipmentLine.order_line_id.in_(list(order_line_ids))).order_by(ShipmentLine.id)):
        found[line.order_line_id].append((line.quantity, line.unit_cost, line.lot))
    return found


def progress_of(lines: Sequence[SalesReturnLine]) -> SalesReturnState:
    return state_of([LineProgress(line.quantity, line.received_quantity,
                                  line.restocked_quantity + line.scrapped_quantity)
                     for line in lines])


async def return_event(
    session: AsyncSession, sales_return: SalesReturn, kind: str, order_number: str,
    **extra: str,
) -> None:
    """A return's status as its screens and finance follow it."""
    await record_event(
        session, topic=TOPIC, kind=kind, warehouse_id=sales_return.warehouse_id,
        document_type=DOCUMENT_TYPE, document_number=sales_return.number,
        payload={"number": sales_return.number, "orderNumber": order_number,
                 "state": sales_return.state, **extra})


async def lock_return(session: AsyncSession, number: str, field: str = "number") -> SalesReturn:
    found = await session.scalar(
        select(SalesReturn).where(SalesReturn.number == number)
        .options(selectinload(SalesReturn.lines)).with_for_update()
        .execution_options(populate_existing=True))
    if found is None:
        raise NotFound(f"no sales return {number!r}", field=field)
    return found


async def return_view(session: AsyncSession, number: str) -> ReturnView:
    found = await session.scalar(select(SalesReturn).where(SalesReturn.number == number)
                                 .options(selectinload(SalesReturn.lines)))
    if found is None:
        raise NotFound(f"no sales return {number!r}", field="number")
    [view] = await views_of(session, [found])
    return view


async def sales_return(
    session: AsyncSession, principal: Principal, number: str
) -> ReturnView | None:
    principal.require_internal()
    try:
        return await return_view(session, number)
    except NotFound:
        return None


async def list_returns(
    session: AsyncSession, principal: Principal, page: PageRequest,
    states: Sequence[SalesReturnState] | None = None, order_number: str | None = None,
) -> Page[ReturnView]:
    """Returns newest first, optionally in some states or of one sales order."""
    principal.require_internal()
    stmt = select(SalesReturn).options(selectinload(SalesReturn.lines))
    if states:
        stmt = stmt.where(SalesReturn.state.in_([state.value for state in states]))
    if order_number is not None:
        stmt = stmt.join(SalesOrder, SalesOrder.id == SalesReturn.order_id).where(
            SalesOrder.number == order_number)
    found = await paginate(session, stmt, SalesReturn.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size, newest_first=True)
    return Page(rows=await views_of(session, found.rows), cursors=found.cursors,
                has_next_page=found.has_next_page, has_previous_page=found.has_previous_page)


async def views_of(session: AsyncSession, rows: Sequence[SalesReturn]) -> list[ReturnView]:
    """Business keys of a page of returns in a few queries."""
    orders = dict((await session.execute(select(SalesOrder.id, SalesOrder.number).where(
        SalesOrder.id.in_({row.order_id for row in rows})))).all())
    customers = dict((await session.execute(select(Customer.id, Customer.code).where(
        Customer.id.in_({row.customer_id for row in rows})))).all())
    warehouses = dict((await session.execute(select(Warehouse.id, Warehouse.code).where(
        Warehouse.id.in_({row.warehouse_id for row in rows})))).all())
    lines = [line for row in rows for line in row.lines]
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({line.product_id for line in lines})))).all())
    order_line_nos = dict((await session.execute(
        select(SalesOrderLine.id, SalesOrderLine.line_no).where(
            SalesOrderLine.id.in_({line.order_line_id for line in lines})))).all())
    return [ReturnView(row, orders[row.order_id], customers[row.customer_id],
                       warehouses[row.warehouse_id],
                       [ReturnLineView(line, skus[line.product_id],
                                       order_line_nos[line.order_line_id])
                        for line in row.lines])
            for row in rows]


async def return_feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str | None,
    number: str | None, after: str | None,
) -> AsyncIterator[StoredEvent]:
    """Return status events (created, received, inspected), of one warehouse and/or one return,
    replayed after ``after`` then live; errors surface here, before the first event."""
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    warehouse_id = None
    if warehouse_code is not None:
        async with db.reader() as session:
            warehouse_id = (await warehouse_by_code(session, warehouse_code,
                                                    "warehouseCode")).id
    where = EventFilter(topic=TOPIC, warehouse_id=warehouse_id,
                        document_numbers=frozenset({number}) if number is not None else None)
    return follow(hub, db, where, position)
