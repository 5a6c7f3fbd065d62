"""Customer credit notes: one raised from every sales return receipt (the returned quantities at
the order prices, 13 % VAT on the net), in the receipt's transaction, and applied to the order's
invoices that are still open, oldest first, so the customer owes that much less; what those
invoices cannot take (they were paid already) stays unapplied on the note, owed back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.customers import customer_by_code
from server.catalog.models import Customer
from server.catalog.queries import PageRequest
from server.finance.models import (
    CreditApplication,
    CustomerCreditNote,
    CustomerInvoice,
)
from server.finance.receivables import (
    FINANCE_ROLES,
    READER_ROLES,
    ZERO,
    money,
    readable_invoices,
    state_after_payment,
    vat_of,
)
from server.numbering import next_number
from server.pagination import Page, paginate
from server.sales.listeners import on_return_received
from server.sales.models import SalesOrder, SalesOrderLine, ShipmentLine
from server.sales.return_models import (
    SalesReturn,
    SalesReturnLine,
    SalesReturnReceipt,
    SalesReturnReceiptLine,
)

CREDIT_NOTE_PREFIX = "CN"


@on_return_received
async def credit_returns(session: AsyncSession, receipt_ids: Sequence[int]) -> None:
    """One credit note per return receipt, in the receipt's transaction."""
    for receipt_id in receipt_ids:
        await _credit_receipt(session, receipt_id)


async def _credit_receipt(session: AsyncSession, receipt_id: int) -> None:
    receipt = await session.get_one(SalesReturnReceipt, receipt_id)
    sales_return = await session.get_one(SalesReturn, receipt.return_id)
    order = await session.get_one(SalesOrder, sales_return.order_id)
    returned = (await session.execute(
        select(SalesReturnReceiptLine.quantity, SalesReturnLine.unit_price)
        .join(SalesReturnLine, SalesReturnLine.id == SalesReturnReceiptLine.return_line_id)
        .where(SalesReturnReceiptLine.receipt_id == receipt_id))).all()
    subtotal = sum((money(quantity * price) for quantity, price in returned), start=ZERO)
    tax = vat_of(subtotal)
    credit_date = receipt.received_at.date()
    note = CustomerCreditNote(
        number=await next_number(session, CREDIT_NOTE_PREFIX, credit_date),
        return_receipt_id=receipt.id, customer_id=sales_return.customer_id,
        credit_date=credit_date, currency=order.currency, subtotal=subtotal, tax=tax,
        total=subtotal + tax, applied_amount=ZERO)
    session.add(note)
    await session.flush()
    await _apply(session, note, order.id)


async def _apply(session: AsyncSession, note: CustomerCreditNote, order_id: int) -> None:
    """Take the note off the order's open invoices, oldest first, each up to what it still
    has open."""
    shipped_on_order = (select(ShipmentLine.shipment_id)
                        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
                        .where(SalesOrderLine.order_id == order_id))
    invoices = await session.scalars(
        select(CustomerInvoice).where(CustomerInvoice.shipment_id.in_(shipped_on_order))
        .order_by(CustomerInvoice.id).with_for_update()
        .execution_options(populate_existing=True))
    left = note.total
    for invoice in invoices:
        open_amount = invoice.total - invoice.paid_amount - invoice.credited_amount
        amount = min(open_amount, left)
        if amount <= 0:
            continue
        session.add(CreditApplication(credit_note_id=note.id, invoice_id=invoice.id,
                                      amount=amount))
        invoice.credited_amount += amount
        invoice.state = state_after_payment(invoice.total, invoice.paid_amount,
                                            invoice.credited_amount).value
        note.applied_amount += amount
        left -= amount
    await session.flush()


@dataclass(frozen=True, slots=True)
class AppliedCredit:
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CreditNoteView:
    row: CustomerCreditNote
    customer_code: str
    return_number: str
    receipt_number: str
    applications: list[AppliedCredit] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def unapplied(self) -> Decimal:
        return self.row.total - self.row.applied_amount


async def list_credit_notes(
    session: AsyncSession, principal: Principal, page: PageRequest,
    customer_code: str | None = None, return_number: str | None = None,
) -> Page[CreditNoteView]:
    """Credit notes oldest first, of one customer or one return when asked; a salesperson
    sees those that touch invoices of their own customers' orders, as with invoices."""
    principal.require(*READER_ROLES)
    stmt = select(CustomerCreditNote)
    if not principal.has_any(*FINANCE_ROLES):
        readable = readable_invoices(principal, select(CustomerInvoice.customer_id))
        stmt = stmt.where(CustomerCreditNote.customer_id.in_(readable))
    if customer_code is not None:
        customer = await customer_by_code(session, customer_code, "customerCode")
        stmt = stmt.where(CustomerCreditNote.customer_id == customer.id)
    if return_number is not None:
        stmt = (stmt.join(SalesReturnReceipt,
                          SalesReturnReceipt.id == CustomerCreditNote.return_receipt_id)
                .join(SalesReturn, SalesReturn.id == SalesReturnReceipt.return_id)
                .where(SalesReturn.number == return_number))
    found = await paginate(session, stmt, CustomerCreditNote.id, first=page.first,
                           after=page.after, max_page_size=page.max_page_size)
    return Page(rows=await _views(session, found.rows), cursors=found.cursors,
                has_next_page=found.has_next_page, has_previous_page=found.has_previous_page)


async def _views(session: AsyncSession, rows: Sequence[CustomerCreditNote]
                 ) -> list[CreditNoteView]:
    customers = dict((await session.execute(select(Customer.id, Customer.code).where(
        Customer.id.in_({row.customer_id for row in rows})))).all())
    receipts = {receipt_id: (receipt, ret) for receipt_id, receipt, ret in await session.execute(
        select(SalesReturnReceipt.id, SalesReturnReceipt.number, SalesReturn.number)
        .join(SalesReturn, SalesReturn.id == SalesReturnReceipt.return_id)
        .where(SalesReturnReceipt.id.in_({row.return_receipt_id for row in rows})))}
    views = {row.id: CreditNoteView(row, customers[row.customer_id],
                                    receipts[row.return_receipt_id][1],
                                    receipts[row.return_receipt_id][0]) for row in rows}
    for note_id, invoice, amount in await session.execute(
            select(CreditApplication.credit_note_id, CustomerInvoice.number,
                   CreditApplication.amount)
            .join(CustomerInvoice, CustomerInvoice.id == CreditApplication.invoice_id)
            .where(CreditApplication.credit_note_id.in_(list(views)))
            .order_by(CreditApplication.id)):
        views[note_id].applications.append(AppliedCredit(invoice, amount))
    return [views[row.id] for row in rows]
