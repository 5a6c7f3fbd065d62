"""Payables: supplier invoices recorded and three-way matched against purchase orders and the
goods accepted on them, then approved for payment (through the SUPPLIER_INVOICE approval flow
when the total is over the finance policy's threshold)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.approvals import service as approvals
from server.approvals.models import ApprovalRequest
from server.auth import Principal, Role
from server.catalog.models import Product, Supplier
from server.catalog.queries import PageRequest
from server.catalog.rules import raise_problems
from server.catalog.suppliers import supplier_by_code
from server.db import Database, utcnow
from server.errors import DomainError, InvalidState, NotFound
from server.finance.match_rules import (
    ZERO,
    InvoiceLineDraft,
    Tolerances,
    all_matched,
    invoice_problems,
    match_line,
    money,
)
from server.finance.models import (
    MatchResult,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierInvoiceState,
)
from server.finance.policy import FINANCE_EDITORS, finance_policy
from server.inventory.moves import total_problem
from server.pagination import Page, paginate
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine

DOCUMENT_TYPE = "SUPPLIER_INVOICE"
PAYABLES_READERS = (*FINANCE_EDITORS, Role.PURCHASE_MANAGER)
PAYABLE_STATES = [state.value for state in (SupplierInvoiceState.MATCHED,
                                            SupplierInvoiceState.PENDING_APPROVAL,
                                            SupplierInvoiceState.APPROVED)]


@dataclass(frozen=True, slots=True)
class SupplierInvoiceDraft:
    supplier_code: str
    invoice_number: str
    invoice_date: date
    lines: Sequence[InvoiceLineDraft]
    tax: Decimal = ZERO
    currency: str = "CNY"


def approval_facts(supplier_code: str, currency: str, amount: Decimal) -> dict[str, Any]:
    """What a SUPPLIER_INVOICE approval condition may test: ``amount``, ``supplier``,
    ``currency``."""
    return {"amount": amount, "supplier": supplier_code, "currency": currency}


SAMPLE_FACTS = approval_facts("SUP", "CNY", Decimal(1))


async def record_supplier_invoice(
    db: Database, principal: Principal, draft: SupplierInvoiceDraft
) -> SupplierInvoice:
    """Record an invoice and match each line, in one transaction: MATCHED when every line is
    within tolerance, else VARIANCE (held: it cannot be approved, and a corrected invoice under
    another number matches against the same goods)."""
    principal.require(*FINANCE_EDITORS)
    number = draft.invoice_number.strip()
    raise_problems(*invoice_problems(number, draft.currency, draft.tax, draft.lines))
    async with db.transaction() as session:
        supplier = await supplier_by_code(session, draft.supplier_code, "supplierCode")
        duplicate = await session.scalar(select(SupplierInvoice.id).where(
            SupplierInvoice.supplier_id == supplier.id, SupplierInvoice.invoice_number == number))
        if duplicate is not None:
            raise DomainError(f"{supplier.code} invoice {number} is already recorded",
                              field="invoiceNumber", code="DUPLICATE_INVOICE")
        order_lines = await _order_lines(session, supplier, draft)
        invoiced = await _already_invoiced(session, [line.id for line in order_lines.values()])
        policy = await finance_policy(session)
        tolerances = Tolerances(policy.price_tolerance_pct, policy.quantity_tolerance_pct)
        invoice = SupplierInvoice(
            supplier_id=supplier.id, invoice_number=number, invoice_date=draft.invoice_date,
            currency=draft.currency, tax=draft.tax, created_by_id=principal.user_id,
            subtotal=ZERO, total=ZERO, state=SupplierInvoiceState.VARIANCE.value)
        for line_no, drafted in enumerate(draft.lines, start=1):
            order_line = order_lines[(drafted.po_number, drafted.line_no)]
            accepted_left = order_line.accepted_quantity - invoiced[order_line.id]
            # A later line of this same invoice must not invoice the same goods again.
            invoiced[order_line.id] += drafted.quantity
            matched = match_line(drafted.quantity, drafted.unit_price, order_line.unit_price,
                                 accepted_left, tolerances)
            invoice.lines.append(SupplierInvoiceLine(
                line_no=line_no, order_line_id=order_line.id, quantity=drafted.quantity,
                unit_price=drafted.unit_price, ordered_quantity=order_line.quantity,
                accepted_quantity=order_line.accepted_quantity,
                order_price=order_line.unit_price, result=matched.result.value,
                price_variance=matched.price_variance,
                quantity_variance=matched.quantity_variance))
        invoice.subtotal = sum((money(line.quantity * line.unit_price) for line in invoice.lines),
                               ZERO)
        invoice.total = invoice.subtotal + draft.tax
        raise_problems(total_problem(invoice.total, "lines"))
        if all_matched([MatchResult(line.result) for line in invoice.lines]):
            invoice.state = SupplierInvoiceState.MATCHED.value
        session.add(invoice)
        await session.flush()
        return invoice


async def approve_supplier_invoice(
    db: Database, principal: Principal, invoice_id: int
) -> SupplierInvoice:
    """Approve a MATCHED invoice for payment: at once up to the policy's threshold, through the
    SUPPLIER_INVOICE approval flow over it (PENDING_APPROVAL until decided)."""
    principal.require(*FINANCE_EDITORS)
    async with db.transaction() as session:
        invoice = await load_invoice(session, invoice_id, lock=True)
        if SupplierInvoiceState(invoice.state) is not SupplierInvoiceState.MATCHED:
            raise InvalidState(
                f"invoice {invoice.invoice_number} is {invoice.state}: only a matched invoice "
                "can be approved for payment", field="id", code="NOT_MATCHED")
        policy = await finance_policy(session)
        invoice.version += 1
        if invoice.total <= policy.approval_threshold:
            _decide(invoice, SupplierInvoiceState.APPROVED)
            return invoice
        invoice.state = SupplierInvoiceState.PENDING_APPROVAL.value
        supplier = await session.get_one(Supplier, invoice.supplier_id)
        request = await approvals.start(
            session, DOCUMENT_TYPE, invoice.id, invoice.invoice_number,
            approval_facts(supplier.code, invoice.currency, invoice.total), principal)
        if request.status == approvals.RequestStatus.APPROVED:
            _decide(invoice, SupplierInvoiceState.APPROVED)
        return invoice


async def load_invoice(
    session: AsyncSession, invoice_id: int, *, lock: bool = False
) -> SupplierInvoice:
    stmt = (select(SupplierInvoice).where(SupplierInvoice.id == invoice_id)
            .options(selectinload(SupplierInvoice.lines)))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invoice = await session.scalar(stmt)
    if invoice is None:
        raise NotFound(f"no supplier invoice {invoice_id}", field="id")
    return invoice


@dataclass(frozen=True, slots=True)
class InvoiceLineRef:
    """Which PO line an invoice line bills, by the keys people use."""

    po_number: str
    po_line_no: int
    sku: str
    product_name: str


@dataclass(frozen=True, slots=True)
class SupplierInvoiceView:
    invoice: SupplierInvoice  # with its lines loaded
    supplier_code: str
    supplier_name: str
    line_refs: dict[int, InvoiceLineRef]  # by order_line_id


async def list_supplier_invoices(
    session: AsyncSession, principal: Principal, page: PageRequest,
    supplier_code: str | None = None, state: SupplierInvoiceState | None = None,
) -> Page[SupplierInvoiceView]:
    """Supplier invoices, newest first, with their lines; three queries a page."""
    principal.require(*PAYABLES_READERS)
    stmt = select(SupplierInvoice).options(selectinload(SupplierInvoice.lines))
    if supplier_code is not None:
        supplier = await supplier_by_code(session, supplier_code, "supplierCode")
        stmt = stmt.where(SupplierInvoice.supplier_id == supplier.id)
    if state is not None:
        stmt = stmt.where(SupplierInvoice.state == state.value)
    found = await paginate(session, stmt, SupplierInvoice.id, first=page.first,
                           after=page.after, max_page_size=page.max_page_size,
                           newest_first=True)
    return Page(rows=await _views(session, found.rows), cursors=found.cursors,
                has_next_page=found.has_next_page, has_previous_page=found.has_previous_page)


async def supplier_invoice(
    session: AsyncSession, principal: Principal, invoice_id: int
) -> SupplierInvoiceView:
    principal.require(*PAYABLES_READERS)
    [view] = await _views(session, [await load_invoice(session, invoice_id)])
    return view


async def _views(
    session: AsyncSession, invoices: Sequence[SupplierInvoice]
) -> list[SupplierInvoiceView]:
    if not invoices:
        return []
    suppliers = {row.id: row for row in await session.scalars(
        select(Supplier).where(Supplier.id.in_({i.supplier_id for i in invoices})))}
    line_ids = {line.order_line_id for invoice in invoices for line in invoice.lines}
    rows = await session.execute(
        select(PurchaseOrderLine.id, PurchaseOrder.number, PurchaseOrderLine.line_no,
               Product.sku, Product.name)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrderLine.id.in_(line_ids)))
    refs = {line_id: InvoiceLineRef(number, line_no, sku, name)
            for line_id, number, line_no, sku, name in rows}
    return [SupplierInvoiceView(invoice, suppliers[invoice.supplier_id].code,
                                suppliers[invoice.supplier_id].name,
                                {line.order_line_id: refs[line.order_line_id]
                                 for line in invoice.lines})
            for invoice in invoices]


async def _order_lines(
    session: AsyncSession, supplier: Supplier, draft: SupplierInvoiceDraft
) -> dict[tuple[str, int], PurchaseOrderLine]:
    """The PO lines the invoice names; every unknown or foreign one is refused. Their orders
    are locked in id order, as receipts and inspections lock them, so the accepted quantities
    hold still and two invoices of the same goods match one after the other."""
    numbers = {line.po_number for line in draft.lines}
    locked = await session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.number.in_(numbers))
        .order_by(PurchaseOrder.id).with_for_update())
    orders = {order.number: order for order in locked}
    lines = await session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.order_id.in_([order.id for order in orders.values()]))
        .execution_options(populate_existing=True))
    number_of = {order.id: order.number for order in orders.values()}
    by_key = {(number_of[line.order_id], line.line_no): line for line in lines}
    found: dict[tuple[str, int], PurchaseOrderLine] = {}
    for index, drafted in enumerate(draft.lines):
        order = orders.get(drafted.po_number)
        if order is None:
            raise NotFound(f"no purchase order {drafted.po_number!r}",
                           field=f"lines[{index}].poNumber")
        if order.supplier_id != supplier.id:
            raise DomainError(f"{order.number} is not an order of {supplier.code}",
                              field=f"lines[{index}].poNumber", code="WRONG_SUPPLIER")
        if order.currency != draft.currency:
            raise DomainError(f"{order.number} is in {order.currency}, the invoice in "
                              f"{draft.currency}", field="currency", code="CURRENCY_MISMATCH")
        line = by_key.get((order.number, drafted.line_no))
        if line is None:
            raise NotFound(f"{order.number} has no line {drafted.line_no}",
                           field=f"lines[{index}].lineNo")
        found[(order.number, drafted.line_no)] = line
    return found


async def _already_invoiced(
    session: AsyncSession, order_line_ids: Sequence[int]
) -> defaultdict[int, Decimal]:
    """What earlier invoices that may still be paid (matched, pending approval or approved)
    already invoiced on each PO line. An invoice held on a variance or rejected bills nothing,
    so its corrected replacement matches against the same goods."""
    rows = await session.execute(
        select(SupplierInvoiceLine.order_line_id, func.sum(SupplierInvoiceLine.quantity))
        .join(SupplierInvoice, SupplierInvoice.id == SupplierInvoiceLine.invoice_id)
        .where(SupplierInvoiceLine.order_line_id.in_(order_line_ids),
               SupplierInvoice.state.in_(PAYABLE_STATES))
        .group_by(SupplierInvoiceLine.order_line_id))
    invoiced: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_line_id, quantity in rows:
        invoiced[order_line_id] = Decimal(quantity)
    return invoiced


def _decide(invoice: SupplierInvoice, state: SupplierInvoiceState) -> None:
    invoice.state = state.value
    invoice.decided_at = utcnow()


async def _on_decided(
    session: AsyncSession, request: ApprovalRequest, principal: Principal
) -> None:
    invoice = await session.scalar(
        select(SupplierInvoice).where(SupplierInvoice.id == request.document_id)
        .with_for_update().execution_options(populate_existing=True))
    if invoice is None or invoice.state != SupplierInvoiceState.PENDING_APPROVAL.value:
        return
    invoice.version += 1
    approved = request.status == approvals.RequestStatus.APPROVED
    _decide(invoice, SupplierInvoiceState.APPROVED if approved else SupplierInvoiceState.REJECTED)


approvals.register(approvals.DocumentKind(DOCUMENT_TYPE, SAMPLE_FACTS, _on_decided))
