"""Receipt reads for staff: one by number, or a page of them, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal, User
from server.catalog.models import Location, Product, Warehouse
from server.catalog.queries import PageRequest
from server.errors import NotFound
from server.pagination import Page, paginate
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, ShipmentNotice
from server.receiving import documents
from server.receiving.documents import ReceivingDocument
from server.receiving.models import Receipt


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """A receipt with the business keys its rows only hold as ids."""

    receipt: Receipt
    order_number: str
    notice_number: str | None
    received_by: str
    # receipt line id → the order line number it was booked on
    order_line_numbers: dict[int, int]
    # Rows the posting read in its transaction and did not change (products by id, the
    # warehouse, the receiving bin): the answer shows them without reading them again.
    products: dict[int, Product] = field(default_factory=dict)
    warehouse: Warehouse | None = None
    location: Location | None = None


async def load_receipt(session: AsyncSession, number: str) -> Receipt:
    receipt = await session.scalar(select(Receipt).where(Receipt.number == number)
                                   .options(selectinload(Receipt.lines)))
    if receipt is None:
        raise NotFound(f"no receipt {number!r}", field="number")
    return receipt


async def receipt(session: AsyncSession, principal: Principal, number: str) -> ReceiptView | None:
    principal.require_internal()
    try:
        found = await load_receipt(session, number)
    except NotFound:
        return None
    [view] = await views_of(session, [found])
    return view


async def list_receipts(
    session: AsyncSession, principal: Principal, page: PageRequest, order_number: str | None
) -> Page[ReceiptView]:
    principal.require_internal()
    stmt = select(Receipt).options(selectinload(Receipt.lines))
    if order_number is not None:
        stmt = stmt.where(Receipt.order_id.in_(
            select(PurchaseOrder.id).where(PurchaseOrder.number == order_number)))
    found = await paginate(session, stmt, Receipt.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size, newest_first=True)
    views = await views_of(session, found.rows)
    return Page(views, found.cursors, found.has_next_page, found.has_previous_page)


async def receiving_document(
    session: AsyncSession, principal: Principal, code: str
) -> ReceivingDocument:
    principal.require_internal()
    return await documents.receiving_document(session, code)


async def views_of(session: AsyncSession, receipts: Sequence[Receipt]) -> list[ReceiptView]:
    orders = dict((await session.execute(select(PurchaseOrder.id, PurchaseOrder.number).where(
        PurchaseOrder.id.in_({r.order_id for r in receipts})))).all())
    notices = dict((await session.execute(select(ShipmentNotice.id, ShipmentNotice.number).where(
        ShipmentNotice.id.in_({r.notice_id for r in receipts if r.notice_id})))).all())
    users = dict((await session.execute(select(User.id, User.username).where(
        User.id.in_({r.received_by_id for r in receipts})))).all())
    line_ids = {line.order_line_id for r in receipts for line in r.lines}
    line_numbers = dict((await session.execute(select(
        PurchaseOrderLine.id, PurchaseOrderLine.line_no).where(
        PurchaseOrderLine.id.in_(line_ids)))).all())
    return [
        ReceiptView(r, orders[r.order_id], r.notice_id and notices[r.notice_id],
                    users[r.received_by_id],
                    {line.id: line_numbers[line.order_line_id] for line in r.lines})
        for r in receipts
    ]
