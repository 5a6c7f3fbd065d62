"""Customer credit notes: raised by sales return receipts, applied to the order's open
invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.pagination import Connection, connection
from server.finance import credit_notes
from server.finance.credit_notes import CreditNoteView
from server.finance.receivables import money


@strawberry.type(description="So much of a credit note taken off one invoice.")
class CreditApplication:
    invoice_number: str
    amount: Decimal


@strawberry.type(description="The credit for goods back on one sales return receipt: returned "
                             "quantities at the order prices, 13 % VAT; the customer owes that "
                             "much less.")
class CustomerCreditNote:
    number: str = strawberry.field(description="CN-YYYY-NNNNNN.")
    customer_code: str
    return_number: str
    receipt_number: str
    credit_date: date
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    applied_amount: Decimal = strawberry.field(description="Taken off open invoices.")
    unapplied_amount: Decimal = strawberry.field(
        description="Owed back to the customer: the invoices were paid already.")
    applications: list[CreditApplication]

    @classmethod
    def from_view(cls, view: CreditNoteView) -> CustomerCreditNote:
        row = view.row
        return cls(
            number=row.number, customer_code=view.customer_code,
            return_number=view.return_number, receipt_number=view.receipt_number,
            credit_date=row.credit_date, currency=row.currency, subtotal=money(row.subtotal),
            tax=money(row.tax), total=money(row.total),
            applied_amount=money(row.applied_amount), unapplied_amount=money(view.unapplied),
            applications=[CreditApplication(invoice_number=a.invoice_number,
                                            amount=money(a.amount))
                          for a in view.applications])


@strawberry.type
class CreditNoteQuery:
    @strawberry.field(description="Credit notes oldest first, of one customer or one sales "
                                  "return when asked; a salesperson sees their own customers'.")
    async def customer_credit_notes(
        self, info: Info, customer_code: str | None = None, return_number: str | None = None,
        first: int = 50, after: str | None = None,
    ) -> Connection[CustomerCreditNote]:
        page = await credit_notes.list_credit_notes(
            info.context.session, info.context.user(), page_request(info, first, after),
            customer_code, return_number)
        return connection(page, CustomerCreditNote.from_view)
