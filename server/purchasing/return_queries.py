"""Purchase return reads and live feed. A supplier user sees only its own supplier's returns,
and only from their approval on (the moment the goods are promised back to it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalTask
from server.auth import Principal
from server.catalog.models import Supplier
from server.catalog.queries import PageRequest
from server.db import Database
from server.errors import InvalidInput, NotFound
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.pagination import Page, paginate
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseReturn
from server.purchasing.return_events import TOPIC
from server.purchasing.return_states import ReturnState
from server.purchasing.returns import DOCUMENT_TYPE

ReturnSelect = Select[tuple[PurchaseReturn]]


@dataclass(frozen=True, slots=True)
class ReturnFilter:
    states: Sequence[ReturnState] | None = None
    supplier_code: str | None = None


def _visible(stmt: ReturnSelect, principal: Principal) -> ReturnSelect:
    if principal.is_supplier:
        return stmt.where(PurchaseReturn.supplier_id == principal.supplier_id,
                          PurchaseReturn.approved_at.is_not(None))
    principal.require_internal()
    return stmt


async def purchase_return(
    session: AsyncSession, principal: Principal, number: str
) -> PurchaseReturn | None:
    stmt = _visible(select(PurchaseReturn).where(PurchaseReturn.number == number), principal)
    return await session.scalar(stmt.options(selectinload(PurchaseReturn.lines)))


async def list_returns(
    session: AsyncSession, principal: Principal, page: PageRequest, where: ReturnFilter
) -> Page[PurchaseReturn]:
    """Newest first, with their lines."""
    stmt = _visible(select(PurchaseReturn), principal).options(
        selectinload(PurchaseReturn.lines))
    if where.states:
        stmt = stmt.where(PurchaseReturn.state.in_([state.value for state in where.states]))
    if where.supplier_code:
        stmt = stmt.where(PurchaseReturn.supplier_id.in_(
            select(Supplier.id).where(Supplier.code == where.supplier_code)))
    return await paginate(session, stmt, PurchaseReturn.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size, newest_first=True)


async def return_events(
    db: Database, hub: EventHub, principal: Principal, numbers: Sequence[str] | None,
    supplier_code: str | None, after: str | None,
) -> AsyncIterator[StoredEvent]:
    """Events of the named returns or of one supplier's returns; a supplier user follows only
    its own, from their approval on."""
    if not numbers and not supplier_code and not principal.is_supplier:
        raise InvalidInput("name the returns (numbers) or a supplierCode to follow",
                           field="numbers")
    if not principal.is_supplier:
        principal.require_internal()
    supplier_id = principal.supplier_id
    if supplier_code is not None:
        async with db.reader() as session:
            found = await session.scalar(select(Supplier.id).where(Supplier.code == supplier_code))
        if found is None or (principal.is_supplier and found != principal.supplier_id):
            raise NotFound(f"no supplier {supplier_code!r}", field="supplierCode")
        supplier_id = found
    matching: tuple[tuple[str, int], ...] = ()
    if supplier_id is not None:
        matching += (("supplierId", supplier_id),)
    if principal.is_supplier:
        matching += (("visibleToSupplier", 1),)
    where = EventFilter(topic=TOPIC, document_numbers=frozenset(numbers) if numbers else None,
                        payload_ids=matching)
    position = Position.from_cursor(after) if after is not None else None
    return follow(hub, db, where, position)


@dataclass(frozen=True, slots=True)
class OrderLineRef:
    po_number: str
    po_line_no: int


async def order_refs_by_line_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[OrderLineRef | None]:
    """The PO number and line number of each PO line, by its id."""
    rows = await session.execute(
        select(PurchaseOrderLine.id, PurchaseOrder.number, PurchaseOrderLine.line_no)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.id.in_(ids)))
    refs = {line_id: OrderLineRef(number, line_no) for line_id, number, line_no in rows}
    return [refs.get(line_id) for line_id in ids]


async def approval_trails_by_return_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[ApprovalTask]]:
    return await approvals.trails_by_document_ids(session, DOCUMENT_TYPE, ids)
