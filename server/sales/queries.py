"""Reading sales orders: one order by number, pages of orders, each with its customer,
salesperson and the bins and lots its lines' reservations lie in (a few queries per page)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal, User
from server.catalog.models import Customer
from server.catalog.queries import PageRequest
from server.errors import NotFound
from server.pagination import Page, paginate
from server.sales.models import (
    PickLineStatus,
    PickList,
    PickListLine,
    PickListState,
    Reservation,
    SalesOrder,
    SalesOrderState,
)


@dataclass(frozen=True, slots=True)
class OrderView:
    order: SalesOrder
    customer: Customer
    salesperson: str | None  # username
    # Per line id, the Reservation rows still holding stock, by bin then lot.
    reservations: dict[int, list[Reservation]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    states: Sequence[SalesOrderState] | None = None
    customer_code: str | None = None
    salesperson: str | None = None  # username


async def _find_order(
    session: AsyncSession, number: str, *, lock: bool = False
) -> SalesOrder | None:
    stmt = (select(SalesOrder).where(SalesOrder.number == number)
            .options(selectinload(SalesOrder.lines)))
    if lock:
        # Refresh rows read before the lock was granted: another transaction may have changed them.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def load_order(
    session: AsyncSession, number: str, *, lock: bool = False, field: str = "number"
) -> SalesOrder:
    order = await _find_order(session, number, lock=lock)
    if order is None:
        raise NotFound(f"no sales order {number!r}", field=field)
    return order


async def views_of(session: AsyncSession, orders: Sequence[SalesOrder]) -> list[OrderView]:
    customers = {c.id: c for c in await session.scalars(
        select(Customer).where(Customer.id.in_({o.customer_id for o in orders})))}
    people = dict((await session.execute(select(User.id, User.username).where(
        User.id.in_({o.salesperson_id for o in orders if o.salesperson_id})))).all())
    line_ids = [line.id for order in orders for line in order.lines]
    held: dict[int, list[Reservation]] = defaultdict(list)
    for row in await session.scalars(
        select(Reservation).where(Reservation.order_line_id.in_(line_ids),
                                  Reservation.quantity > 0)
        .order_by(Reservation.order_line_id, Reservation.location_id, Reservation.lot)
    ):
        held[row.order_line_id].append(row)
    return [OrderView(order, customers[order.customer_id],
                      people.get(order.salesperson_id) if order.salesperson_id else None,
                      {line.id: held.get(line.id, []) for line in order.lines})
            for order in orders]


async def order_view(session: AsyncSession, number: str) -> OrderView:
    [view] = await views_of(session, [await load_order(session, number)])
    return view


async def sales_order(
    session: AsyncSession, principal: Principal, number: str
) -> OrderView | None:
    principal.require_internal()
    order = await _find_order(session, number)
    if order is None:
        return None
    [view] = await views_of(session, [order])
    return view


async def list_orders(
    session: AsyncSession, principal: Principal, page: PageRequest, where: OrderFilter
) -> Page[OrderView]:
    """Newest first."""
    principal.require_internal()
    stmt = select(SalesOrder).options(selectinload(SalesOrder.lines))
    if where.states:
        stmt = stmt.where(SalesOrder.state.in_([s.value for s in where.states]))
    if where.customer_code is not None:
        stmt = stmt.where(SalesOrder.customer_id.in_(
            select(Customer.id).where(Customer.code == where.customer_code)))
    if where.salesperson is not None:
        stmt = stmt.where(SalesOrder.salesperson_id.in_(
            select(User.id).where(User.username == where.salesperson)))
    found = await paginate(session, stmt, SalesOrder.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size, newest_first=True)
    views = await views_of(session, found.rows)
    return Page(views, found.cursors, found.has_next_page, found.has_previous_page)


async def open_pick_lines(session: AsyncSession, line_ids: Sequence[int]) -> dict[int, str]:
    """Order lines (of ``line_ids``) still waiting to be picked on an open pick list, with the
    pick list's number."""
    if not line_ids:
        return {}
    rows = await session.execute(
        select(PickListLine.order_line_id, PickList.number)
        .join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(PickListLine.order_line_id.in_(line_ids),
               PickListLine.status == PickLineStatus.OPEN.value,
               PickList.state == PickListState.OPEN.value))
    return dict(rows.all())
