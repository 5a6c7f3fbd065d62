"""Receivables: a customer invoice raised from every shipment (shipped quantities at the order
prices, 13 % VAT on the net, due after the payment terms), the rules a payment's allocation to
open invoices follows (server.finance.payments records them), and the invoices as finance and
sales read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.catalog.customers import customer_by_code
from server.catalog.models import Customer, Product
from server.catalog.queries import PageRequest
from server.errors import InvalidInput, InvalidState, NotFound, Problem
from server.finance.models import (
    CustomerInvoice,
    CustomerInvoiceLine,
    CustomerInvoiceState,
    Payment,
    PaymentAllocation,
)
from server.finance.policy import finance_policy
from server.numbering import next_number
from server.pagination import Page, paginate
from server.sales.listeners import on_shipped
from server.sales.models import SalesOrder, SalesOrderLine, Shipment, ShipmentLine

# China's standard VAT rate on goods. Sales order prices are net: the tax is added on top, on
# finance's invoices and on the printed ones (server.documents) alike.
VAT_RATE = Decimal("0.13")
CENT = Decimal("0.01")
ZERO = Decimal(0)
INVOICE_PREFIX = "INV"
PAYMENT_PREFIX = "PAY"
MAX_REFERENCE_LENGTH = 200
# Who records payments and reads every receivable (admin always may); sales read their own.
FINANCE_ROLES = (Role.FINANCE_DIRECTOR,)
READER_ROLES = (Role.FINANCE_DIRECTOR, Role.SALES)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(net: Decimal) -> Decimal:
    return money(net * VAT_RATE)


def state_after_payment(
    total: Decimal, paid: Decimal, credited: Decimal = ZERO
) -> CustomerInvoiceState:
    """Paid once payments and credit notes together cover the total."""
    if paid + credited <= ZERO:
        return CustomerInvoiceState.OPEN
    if paid + credited >= total:
        return CustomerInvoiceState.PAID
    return CustomerInvoiceState.PARTIALLY_PAID


@dataclass(frozen=True, slots=True)
class AllocationDraft:
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    customer_code: str
    amount: Decimal
    received_on: date
    reference: str = ""
    allocations: Sequence[AllocationDraft] = ()


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """What allocating to an invoice needs to know of it."""

    number: str
    customer_id: int
    open_amount: Decimal


def _amount_problem(value: Decimal, field_name: str) -> Problem | None:
    if not value.is_finite() or value <= ZERO:
        return Problem(InvalidInput.code, "must be greater than 0", field_name)
    if value != money(value):
        return Problem(InvalidInput.code, "at most 2 decimal places", field_name)
    return None


def draft_problems(draft: PaymentDraft) -> list[Problem | None]:
    """What is wrong with the payment on its own, before any invoice is read."""
    problems = [_amount_problem(draft.amount, "amount"),
                None if draft.customer_code.strip() else Problem(
                    InvalidInput.code, "customer code is required", "customerCode"),
                None if len(draft.reference) <= MAX_REFERENCE_LENGTH else Problem(
                    InvalidInput.code, f"at most {MAX_REFERENCE_LENGTH} characters",
                    "reference")]
    return problems + allocation_draft_problems(draft.allocations)


def allocation_draft_problems(allocations: Sequence[AllocationDraft]) -> list[Problem | None]:
    """Each allocation's amount, and no invoice twice."""
    seen: set[str] = set()
    problems: list[Problem | None] = []
    for index, allocation in enumerate(allocations):
        problems.append(_amount_problem(allocation.amount, f"allocations[{index}].amount"))
        if allocation.invoice_number in seen:
            problems.append(Problem(
                InvalidInput.code, f"{allocation.invoice_number} is allocated twice",
                f"allocations[{index}].invoiceNumber"))
        seen.add(allocation.invoice_number)
    return problems


def allocation_problems(
    customer_id: int, customer_code: str, amount: Decimal,
    allocations: Sequence[AllocationDraft], invoices: Mapping[str, OpenInvoice],
) -> list[Problem | None]:
    """Each allocation goes to an open invoice of the paying customer and stays within what is
    still owed on it; together they stay within the payment."""
    problems: list[Problem | None] = []
    for index, allocation in enumerate(allocations):
        invoice = invoices.get(allocation.invoice_number)
        where = f"allocations[{index}]"
        if invoice is None:
            problems.append(Problem(NotFound.code, f"no invoice {allocation.invoice_number!r}",
                                    f"{where}.invoiceNumber"))
        elif invoice.customer_id != customer_id:
            problems.append(Problem(
                InvalidInput.code, f"{invoice.number} is not an invoice of {customer_code}",
                f"{where}.invoiceNumber"))
        elif allocation.amount > invoice.open_amount:
            problems.append(Problem(
                "OVER_ALLOCATED", f"{invoice.number} has only {invoice.open_amount} open",
                f"{where}.amount"))
    allocated = sum((allocation.amount for allocation in allocations), start=ZERO)
    if allocated > amount:
        problems.append(Problem("OVER_ALLOCATED", f"the allocations add up to {allocated}, "
                                                  f"more than the payment of {amount}",
                                "allocations"))
    return problems


@on_shipped
async def invoice_shipments(session: AsyncSession, shipment_ids: Sequence[int]) -> None:
    """One invoice per shipment, in the shipment's transaction."""
    for shipment_id in shipment_ids:
        await _invoice_shipment(session, shipment_id)


async def _invoice_shipment(session: AsyncSession, shipment_id: int) -> None:
    shipment = await session.get_one(Shipment, shipment_id)
    rows = list(await session.execute(
        select(ShipmentLine, SalesOrder)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(SalesOrder.id, SalesOrderLine.line_no, ShipmentLine.id)))
    customers = {order.customer_id for _, order in rows}
    if len(customers) != 1:
        # Releasing refuses such pick lists; one released before that rule cannot ship either.
        raise InvalidState(f"{shipment.number} carries goods of {len(customers)} customers and "
                           "cannot be invoiced as one: pick their orders separately",
                           field="pickListNumber")
    order = rows[0][1]
    invoice_date = shipment.shipped_at.date()
    terms = (await finance_policy(session)).payment_terms_days
    lines = [CustomerInvoiceLine(
        line_no=index, shipment_line_id=line.id, product_id=line.product_id,
        quantity=line.quantity, unit_price=line.unit_price,
        amount=money(line.quantity * line.unit_price))
        for index, (line, _) in enumerate(rows, start=1)]
    subtotal = sum((line.amount for line in lines), start=ZERO)
    tax = vat_of(subtotal)
    session.add(CustomerInvoice(
        number=await next_number(session, INVOICE_PREFIX, invoice_date),
        shipment_id=shipment.id, customer_id=order.customer_id,
        salesperson_id=order.salesperson_id, region=order.region, invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=terms),
        currency=order.currency, subtotal=subtotal, tax=tax, total=subtotal + tax,
        paid_amount=ZERO, state=CustomerInvoiceState.OPEN.value, lines=lines))
    await session.flush()


@dataclass(frozen=True, slots=True)
class AllocatedAmount:
    payment_number: str
    invoice_number: str
    received_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    line: CustomerInvoiceLine
    sku: str
    product_name: str


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """One invoice with the business keys of what it refers to; lines and allocations only
    when read one by one."""

    row: CustomerInvoice
    customer_code: str
    customer_name: str
    salesperson: str | None
    shipment_number: str
    lines: list[InvoiceLineView] = field(default_factory=list)
    allocations: list[AllocatedAmount] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.row.id


def readable_invoices(principal: Principal, stmt: Select[Any]) -> Select[Any]:
    """Finance reads every invoice, a salesperson only those of their own customers' orders."""
    principal.require(*READER_ROLES)
    if principal.has_any(*FINANCE_ROLES):
        return stmt
    return stmt.where(CustomerInvoice.salesperson_id == principal.user_id)


async def list_customer_invoices(
    session: AsyncSession, principal: Principal, page: PageRequest,
    customer_code: str | None = None, state: CustomerInvoiceState | None = None,
) -> Page[InvoiceView]:
    """Invoices oldest first (by id), optionally of one customer and in one state."""
    stmt = readable_invoices(principal, select(CustomerInvoice))
    if customer_code is not None:
        customer = await customer_by_code(session, customer_code, "customerCode")
        stmt = stmt.where(CustomerInvoice.customer_id == customer.id)
    if state is not None:
        stmt = stmt.where(CustomerInvoice.state == state.value)
    found = await paginate(session, stmt, CustomerInvoice.id, first=page.first,
                           after=page.after, max_page_size=page.max_page_size)
    return Page(rows=await _views(session, found.rows), cursors=found.cursors,
                has_next_page=found.has_next_page, has_previous_page=found.has_previous_page)


async def customer_invoice(
    session: AsyncSession, principal: Principal, number: str
) -> InvoiceView | None:
    """One invoice with its lines and the payments allocated to it; None when not readable."""
    row = await session.scalar(readable_invoices(
        principal, select(CustomerInvoice).where(CustomerInvoice.number == number)))
    if row is None:
        return None
    [view] = await _views(session, [row])
    lines = await session.execute(
        select(CustomerInvoiceLine, Product.sku, Product.name)
        .join(Product, Product.id == CustomerInvoiceLine.product_id)
        .where(CustomerInvoiceLine.invoice_id == row.id).order_by(CustomerInvoiceLine.line_no))
    allocations = await session.execute(
        select(Payment.number, Payment.received_on, PaymentAllocation.amount)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == row.id).order_by(PaymentAllocation.id))
    view.lines.extend(InvoiceLineView(line, sku, name) for line, sku, name in lines)
    view.allocations.extend(AllocatedAmount(payment, number, received_on, amount)
                            for payment, received_on, amount in allocations)
    return view


async def _views(session: AsyncSession, rows: Sequence[CustomerInvoice]) -> list[InvoiceView]:
    """Business keys of a page of invoices in three queries."""
    customers = {id_: (code, name) for id_, code, name in await session.execute(
        select(Customer.id, Customer.code, Customer.name)
        .where(Customer.id.in_({row.customer_id for row in rows})))}
    people = dict((await session.execute(select(User.id, User.username).where(
        User.id.in_({row.salesperson_id for row in rows if row.salesperson_id})))).all())
    shipments = dict((await session.execute(select(Shipment.id, Shipment.number).where(
        Shipment.id.in_({row.shipment_id for row in rows})))).all())
    return [InvoiceView(row=row, customer_code=customers[row.customer_id][0],
                        customer_name=customers[row.customer_id][1],
                        salesperson=people.get(row.salesperson_id)
                        if row.salesperson_id else None,
                        shipment_number=shipments[row.shipment_id])
            for row in rows]
