"""Purchase order reads. A supplier user sees only its own orders, and only once sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalTask
from server.auth import Principal
from server.catalog.models import Supplier
from server.catalog.queries import PageRequest
from server.db import utcnow
from server.pagination import Page, paginate
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
)
from server.purchasing.orders import DOCUMENT_TYPE
from server.purchasing.states import ON_ORDER_STATES, PoState


@dataclass(frozen=True, slots=True)
class OrderFilter:
    states: Sequence[PoState] | None = None
    supplier_code: str | None = None
    ordered_from: date | None = None
    ordered_to: date | None = None
    overdue: bool | None = None


OrderSelect = Select[tuple[PurchaseOrder]]


def _visible(stmt: OrderSelect, principal: Principal) -> OrderSelect:
    if principal.is_supplier:
        return stmt.where(PurchaseOrder.supplier_id == principal.supplier_id,
                          PurchaseOrder.sent_at.is_not(None))
    principal.require_internal()
    return stmt


def _overdue_line(today: date) -> object:
    """A line still expecting goods whose promised (else requested) date has passed."""
    due = func.coalesce(PurchaseOrderLine.confirmed_date, PurchaseOrderLine.requested_date)
    return exists().where(
        PurchaseOrderLine.order_id == PurchaseOrder.id,
        PurchaseOrderLine.closed.is_(False),
        PurchaseOrderLine.received_quantity < PurchaseOrderLine.quantity,
        due < today,
    )


async def purchase_order(
    session: AsyncSession, principal: Principal, number: str
) -> PurchaseOrder | None:
    stmt = _visible(select(PurchaseOrder).where(PurchaseOrder.number == number), principal)
    return await session.scalar(stmt.options(selectinload(PurchaseOrder.lines)))


async def list_orders(
    session: AsyncSession, principal: Principal, page: PageRequest, where: OrderFilter
) -> Page[PurchaseOrder]:
    stmt = _visible(select(PurchaseOrder), principal)
    if where.states:
        stmt = stmt.where(PurchaseOrder.state.in_([s.value for s in where.states]))
    if where.supplier_code:
        stmt = stmt.where(PurchaseOrder.supplier_id.in_(
            select(Supplier.id).where(Supplier.code == where.supplier_code)))
    if where.ordered_from:
        stmt = stmt.where(PurchaseOrder.order_date >= where.ordered_from)
    if where.ordered_to:
        stmt = stmt.where(PurchaseOrder.order_date <= where.ordered_to)
    if where.overdue is not None:
        open_and_late = and_(PurchaseOrder.state.in_([s.value for s in ON_ORDER_STATES]),
                             _overdue_line(utcnow().date()))
        stmt = stmt.where(open_and_late if where.overdue else ~open_and_late)
    return await paginate(session, stmt, PurchaseOrder.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size, newest_first=True)


async def lines_by_order_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[PurchaseOrderLine]]:
    grouped: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    stmt = (select(PurchaseOrderLine).where(PurchaseOrderLine.order_id.in_(ids))
            .order_by(PurchaseOrderLine.line_no))
    for line in await session.scalars(stmt):
        grouped[line.order_id].append(line)
    return [grouped[i] for i in ids]


async def notices_by_order_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[ShipmentNotice]]:
    grouped: dict[int, list[ShipmentNotice]] = defaultdict(list)
    stmt = (select(ShipmentNotice).where(ShipmentNotice.order_id.in_(ids))
            .options(selectinload(ShipmentNotice.lines)).order_by(ShipmentNotice.id))
    for notice in await session.scalars(stmt):
        grouped[notice.order_id].append(notice)
    return [grouped[i] for i in ids]


async def approval_trails_by_order_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[ApprovalTask]]:
    return await approvals.trails_by_document_ids(session, DOCUMENT_TYPE, ids)
