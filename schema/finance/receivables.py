"""Receivables: customer invoices raised by shipments, payments allocated to them, and the
ageing of what is still owed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.pagination import Connection, connection
from server.db import utcnow
from server.finance import ageing, payments, receivables
from server.finance.ageing import AgeingGroup, AgeingRow
from server.finance.models import CustomerInvoiceState
from server.finance.payments import PaymentView
from server.finance.receivables import (
    AllocatedAmount,
    AllocationDraft,
    InvoiceView,
    PaymentDraft,
    money,
)

CustomerInvoiceStatus = strawberry.enum(CustomerInvoiceState, name="CustomerInvoiceState")
ReceivablesAgeingGroup = strawberry.enum(AgeingGroup, name="ReceivablesAgeingGroup")


@strawberry.type(description="One shipped line at its order price.")
class CustomerInvoiceLine:
    line_no: int
    sku: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@strawberry.type(description="Part of a payment allocated to one invoice.")
class PaymentAllocation:
    payment_number: str
    invoice_number: str
    received_on: date
    amount: Decimal

    @classmethod
    def from_view(cls, view: AllocatedAmount) -> PaymentAllocation:
        return cls(payment_number=view.payment_number, invoice_number=view.invoice_number,
                   received_on=view.received_on, amount=money(view.amount))


@strawberry.type(description="The invoice of one shipment: net amount, 13 % VAT, total, and how "
                             "much of it has been paid or credited for returns.")
class CustomerInvoice:
    number: str
    shipment_number: str
    customer_code: str
    customer_name: str
    salesperson_username: str | None
    region: str
    invoice_date: date
    due_date: date
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    paid_amount: Decimal
    credited_amount: Decimal = strawberry.field(
        description="Taken off by credit notes for returned goods.")
    open_amount: Decimal = strawberry.field(description="total − paid − credited.")
    state: CustomerInvoiceStatus
    lines: list[CustomerInvoiceLine] = strawberry.field(
        description="Filled when the invoice is read by number.")
    allocations: list[PaymentAllocation] = strawberry.field(
        description="Filled when the invoice is read by number.")

    @classmethod
    def from_view(cls, view: InvoiceView) -> CustomerInvoice:
        row = view.row
        return cls(
            number=row.number, shipment_number=view.shipment_number,
            customer_code=view.customer_code, customer_name=view.customer_name,
            salesperson_username=view.salesperson, region=row.region,
            invoice_date=row.invoice_date, due_date=row.due_date, currency=row.currency,
            subtotal=money(row.subtotal), tax=money(row.tax), total=money(row.total),
            paid_amount=money(row.paid_amount), credited_amount=money(row.credited_amount),
            open_amount=money(row.total - row.paid_amount - row.credited_amount),
            state=CustomerInvoiceState(row.state),
            lines=[CustomerInvoiceLine(
                line_no=v.line.line_no, sku=v.sku, product_name=v.product_name,
                quantity=v.line.quantity, unit_price=v.line.unit_price,
                amount=money(v.line.amount))
                for v in view.lines],
            allocations=[PaymentAllocation.from_view(a) for a in view.allocations])


@strawberry.type(description="Money received from a customer.")
class Payment:
    number: str
    customer_code: str
    amount: Decimal
    received_on: date
    reference: str
    unallocated: Decimal = strawberry.field(description="Left on account, allocated to nothing.")
    allocations: list[PaymentAllocation]

    @classmethod
    def from_view(cls, view: PaymentView) -> Payment:
        row = view.payment
        return cls(number=row.number, customer_code=view.customer_code,
                   amount=money(row.amount),
                   received_on=row.received_on, reference=row.reference,
                   unallocated=money(view.unallocated),
                   allocations=[PaymentAllocation.from_view(a) for a in view.allocations])


@strawberry.input
class AllocationInput:
    invoice_number: str
    amount: Decimal = strawberry.field(description="Greater than 0, at most 2 decimals, at most "
                                                   "what is still open on the invoice.")


@strawberry.input
class RecordPaymentInput:
    customer_code: str
    amount: Decimal = strawberry.field(description="Greater than 0, at most 2 decimals.")
    received_on: date
    reference: str = strawberry.field(default="", description="At most 200 characters.")
    allocations: list[AllocationInput] = strawberry.field(
        default_factory=list, description="Invoices of this customer, each at most once; "
                                          "together at most the payment.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A UUID per payment entered: the same key again answers the "
                                  "payment it recorded and records nothing.")


@strawberry.input
class ApplyPaymentInput:
    payment_number: str
    allocations: list[AllocationInput] = strawberry.field(
        description="Open invoices of the payment's customer, each at most once; together at "
                    "most what the payment has left on account.")
    idempotency_key: str | None = None


@strawberry.type
class RecordPaymentPayload:
    payment: Payment | None
    user_errors: list[UserError]


@strawberry.type(description="What one customer or salesperson is owed on a day, by days "
                             "overdue (code and name empty for invoices without a salesperson).")
class ReceivablesAgeingRow:
    code: str
    name: str
    current: Decimal = strawberry.field(description="Not yet due.")
    days_1_to_30: Decimal
    days_31_to_60: Decimal
    days_61_to_90: Decimal
    over_90_days: Decimal
    total: Decimal

    @classmethod
    def from_row(cls, row: AgeingRow) -> ReceivablesAgeingRow:
        return cls(code=row.code, name=row.name, current=row.current,
                   days_1_to_30=row.days_1_30, days_31_to_60=row.days_31_60,
                   days_61_to_90=row.days_61_90, over_90_days=row.over_90, total=row.total)


@strawberry.type
class ReceivablesQuery:
    @strawberry.field(description="Customer invoices, oldest first; a salesperson sees only "
                                  "their own.")
    async def customer_invoices(
        self, info: Info, customer_code: str | None = None,
        state: CustomerInvoiceStatus | None = None, first: int = 50, after: str | None = None,
    ) -> Connection[CustomerInvoice]:
        page = await receivables.list_customer_invoices(
            info.context.session, info.context.user(), page_request(info, first, after),
            customer_code, CustomerInvoiceState(state) if state is not None else None)
        return connection(page, CustomerInvoice.from_view)

    @strawberry.field(description="One invoice with its lines and the payments allocated to it.")
    async def customer_invoice(self, info: Info, number: str) -> CustomerInvoice | None:
        view = await receivables.customer_invoice(
            info.context.session, info.context.user(), number)
        return CustomerInvoice.from_view(view) if view else None

    @strawberry.field(description="One payment with its allocations (finance).")
    async def payment(self, info: Info, number: str) -> Payment | None:
        view = await payments.read_payment(info.context.session, info.context.user(), number)
        return Payment.from_view(view) if view else None

    @strawberry.field(description="Open amounts on a day (today without one), by days overdue.")
    async def receivables_ageing(
        self, info: Info, as_of: date | None = None,
        group_by: ReceivablesAgeingGroup = AgeingGroup.CUSTOMER,
    ) -> list[ReceivablesAgeingRow]:
        rows = await ageing.receivables_ageing(
            info.context.session, info.context.user(), as_of or utcnow().date(),
            AgeingGroup(group_by))
        return [ReceivablesAgeingRow.from_row(row) for row in rows]


@strawberry.type
class ReceivablesMutation:
    @strawberry.mutation(description="Record money received and allocate it to invoices, all or "
                                     "nothing.")
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> RecordPaymentPayload:
        draft = PaymentDraft(
            input.customer_code, input.amount, input.received_on, input.reference,
            [AllocationDraft(a.invoice_number, a.amount) for a in input.allocations])
        view, errors = await attempt(lambda: payments.record_payment(
            info.context.db, info.context.user(), draft, input.idempotency_key))
        return RecordPaymentPayload(payment=Payment.from_view(view) if view else None,
                                    user_errors=errors)

    @strawberry.mutation(description="Allocate what a payment left on account to invoices.")
    async def apply_payment(self, info: Info, input: ApplyPaymentInput) -> RecordPaymentPayload:
        view, errors = await attempt(lambda: payments.apply_payment(
            info.context.db, info.context.user(), input.payment_number,
            [AllocationDraft(a.invoice_number, a.amount) for a in input.allocations],
            input.idempotency_key))
        return RecordPaymentPayload(payment=Payment.from_view(view) if view else None,
                                    user_errors=errors)
