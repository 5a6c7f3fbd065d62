"""Payables: supplier invoices three-way matched against purchase orders and receipts, approved
for payment, and the finance policy that sets the tolerances and the approval threshold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.pagination import Connection, connection
from server.errors import InvalidInput
from server.finance import payables, policy
from server.finance.match_rules import InvoiceLineDraft, money
from server.finance.models import FinancePolicy as FinancePolicyRow
from server.finance.models import MatchResult, SupplierInvoiceState
from server.finance.payables import SupplierInvoiceDraft, SupplierInvoiceView

InvoiceMatchResult = strawberry.enum(MatchResult, name="InvoiceMatchResult")
SupplierInvoiceStatus = strawberry.enum(SupplierInvoiceState, name="SupplierInvoiceState")


@strawberry.type(description="One invoiced PO line and how it matched; the ordered and accepted "
                             "quantities and the PO price are those at matching time. Amounts "
                             "are in cents.")
class SupplierInvoiceLine:
    line_no: int
    po_number: str
    po_line_no: int
    sku: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    ordered_quantity: Decimal
    accepted_quantity: Decimal
    order_price: Decimal
    result: InvoiceMatchResult
    price_variance: Decimal = strawberry.field(
        description="(invoice price − PO price) × quantity, when beyond the price tolerance.")
    quantity_variance: Decimal = strawberry.field(
        description="Quantity invoiced beyond what was accepted and not yet invoiced, at the "
                    "invoice price, when beyond the quantity tolerance.")


@strawberry.type(description="A supplier's invoice: MATCHED or VARIANCE when recorded, then "
                             "PENDING_APPROVAL, APPROVED or REJECTED for payment.")
class SupplierInvoice:
    id: strawberry.ID
    supplier_code: str
    supplier_name: str
    invoice_number: str
    invoice_date: date
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    state: SupplierInvoiceStatus
    created_at: datetime
    decided_at: datetime | None
    version: int
    lines: list[SupplierInvoiceLine]

    @classmethod
    def from_view(cls, view: SupplierInvoiceView) -> SupplierInvoice:
        row = view.invoice
        lines = []
        for line in row.lines:
            ref = view.line_refs[line.order_line_id]
            lines.append(SupplierInvoiceLine(
                line_no=line.line_no, po_number=ref.po_number, po_line_no=ref.po_line_no,
                sku=ref.sku, product_name=ref.product_name, quantity=line.quantity,
                unit_price=line.unit_price,
                amount=money(line.quantity * line.unit_price),
                ordered_quantity=line.ordered_quantity, accepted_quantity=line.accepted_quantity,
                order_price=line.order_price, result=MatchResult(line.result),
                price_variance=money(line.price_variance),
                quantity_variance=money(line.quantity_variance)))
        return cls(
            id=strawberry.ID(str(row.id)), supplier_code=view.supplier_code,
            supplier_name=view.supplier_name, invoice_number=row.invoice_number,
            invoice_date=row.invoice_date, currency=row.currency, subtotal=money(row.subtotal),
            tax=money(row.tax), total=money(row.total), state=SupplierInvoiceState(row.state),
            created_at=row.created_at, decided_at=row.decided_at, version=row.version,
            lines=lines)


@strawberry.type(description="Match tolerances, the approval threshold for supplier invoices "
                             "and the customer payment terms.")
class FinancePolicy:
    price_tolerance_pct: Decimal
    quantity_tolerance_pct: Decimal
    approval_threshold: Decimal
    payment_terms_days: int
    updated_at: datetime

    @classmethod
    def from_row(cls, row: FinancePolicyRow) -> FinancePolicy:
        return cls(price_tolerance_pct=row.price_tolerance_pct,
                   quantity_tolerance_pct=row.quantity_tolerance_pct,
                   approval_threshold=money(row.approval_threshold),
                   payment_terms_days=row.payment_terms_days, updated_at=row.updated_at)


@strawberry.input
class SupplierInvoiceLineInput:
    po_number: str
    line_no: int = strawberry.field(description="The purchase order's line number.")
    quantity: Decimal
    unit_price: Decimal


@strawberry.input
class RecordSupplierInvoiceInput:
    supplier_code: str
    invoice_number: str = strawberry.field(description="The supplier's own number: unique per "
                                                       "supplier.")
    invoice_date: date
    lines: list[SupplierInvoiceLineInput]
    tax: Decimal = Decimal(0)
    currency: str = "CNY"

    def draft(self) -> SupplierInvoiceDraft:
        return SupplierInvoiceDraft(
            self.supplier_code, self.invoice_number, self.invoice_date, tax=self.tax,
            currency=self.currency,
            lines=[InvoiceLineDraft(line.po_number, line.line_no, line.quantity, line.unit_price)
                   for line in self.lines])


@strawberry.input
class ApproveSupplierInvoiceInput:
    id: strawberry.ID


@strawberry.type
class SupplierInvoicePayload:
    supplier_invoice: SupplierInvoice | None
    user_errors: list[UserError]


@strawberry.input(description="Fields left out keep their value.")
class SetFinancePolicyInput:
    price_tolerance_pct: Decimal | None = None
    quantity_tolerance_pct: Decimal | None = None
    approval_threshold: Decimal | None = None
    payment_terms_days: int | None = None


@strawberry.type
class SetFinancePolicyPayload:
    finance_policy: FinancePolicy | None
    user_errors: list[UserError]


def _invoice_id(raw: strawberry.ID) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"not a supplier invoice id: {raw!r}", field="id") from None


async def _payload(info: Info, invoice_id: int | None,
                   errors: list[UserError]) -> SupplierInvoicePayload:
    if invoice_id is None:
        return SupplierInvoicePayload(supplier_invoice=None, user_errors=errors)
    view = await payables.supplier_invoice(info.context.session, info.context.user(), invoice_id)
    return SupplierInvoicePayload(supplier_invoice=SupplierInvoice.from_view(view),
                                  user_errors=[])


@strawberry.type
class PayablesQuery:
    @strawberry.field(description="Supplier invoices, newest first.")
    async def supplier_invoices(
        self, info: Info, supplier_code: str | None = None,
        state: SupplierInvoiceStatus | None = None, first: int = 50, after: str | None = None,
    ) -> Connection[SupplierInvoice]:
        page = await payables.list_supplier_invoices(
            info.context.session, info.context.user(), page_request(info, first, after),
            supplier_code, SupplierInvoiceState(state) if state is not None else None)
        return connection(page, SupplierInvoice.from_view)

    @strawberry.field
    async def supplier_invoice(self, info: Info, id: strawberry.ID) -> SupplierInvoice:
        return SupplierInvoice.from_view(await payables.supplier_invoice(
            info.context.session, info.context.user(), _invoice_id(id)))


@strawberry.type
class PayablesMutation:
    @strawberry.mutation(description="Record a supplier invoice and match each line against its "
                                     "PO line and the goods accepted and not yet invoiced.")
    async def record_supplier_invoice(
        self, info: Info, input: RecordSupplierInvoiceInput
    ) -> SupplierInvoicePayload:
        recorded, errors = await attempt(lambda: payables.record_supplier_invoice(
            info.context.db, info.context.user(), input.draft()))
        return await _payload(info, recorded.id if recorded else None, errors)

    @strawberry.mutation(description="Approve a MATCHED invoice for payment: at once up to the "
                                     "policy's threshold, through the approval flow over it.")
    async def approve_supplier_invoice(
        self, info: Info, input: ApproveSupplierInvoiceInput
    ) -> SupplierInvoicePayload:
        approved, errors = await attempt(lambda: payables.approve_supplier_invoice(
            info.context.db, info.context.user(), _invoice_id(input.id)))
        return await _payload(info, approved.id if approved else None, errors)

    @strawberry.mutation(description="Set the match tolerances, the approval threshold and the "
                                     "payment terms (admins and the finance director).")
    async def set_finance_policy(
        self, info: Info, input: SetFinancePolicyInput
    ) -> SetFinancePolicyPayload:
        saved, errors = await attempt(lambda: policy.set_finance_policy(
            info.context.db, info.context.user(), policy.PolicyChanges(
                input.price_tolerance_pct, input.quantity_tolerance_pct,
                input.approval_threshold, input.payment_terms_days)))
        return SetFinancePolicyPayload(
            finance_policy=FinancePolicy.from_row(saved) if saved else None, user_errors=errors)
