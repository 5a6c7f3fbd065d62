"""Receivables ageing: what customers owe on a day, by how long it is overdue, per customer or per
salesperson, in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Numeric, and_, case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, User
from server.catalog.models import Customer
from server.finance.models import (
    CreditApplication,
    CustomerCreditNote,
    CustomerInvoice,
    Payment,
    PaymentAllocation,
)
from server.finance.receivables import READER_ROLES, money, readable_invoices

AMOUNT = Numeric(18, 4)
UNASSIGNED = ""


class AgeingGroup(StrEnum):
    CUSTOMER = "customer"
    SALESPERSON = "salesperson"


@dataclass(frozen=True, slots=True)
class AgeingRow:
    """Open amounts of one customer or salesperson (code "" and name "" for invoices without a
    salesperson) by days overdue on the day asked about."""

    code: str
    name: str
    current: Decimal  # not yet due
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal

    @property
    def total(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90


async def receivables_ageing(
    session: AsyncSession, principal: Principal, as_of: date,
    group_by: AgeingGroup = AgeingGroup.CUSTOMER,
) -> list[AgeingRow]:
    """Invoices raised by ``as_of``, less the payments received and the credit notes for returns
    raised by then, bucketed by how many
    days past their due date ``as_of`` is; groups owing nothing are left out, the rest ordered
    by code."""
    principal.require(*READER_ROLES)
    paid = (select(PaymentAllocation.invoice_id,
                   func.sum(PaymentAllocation.amount).label("amount"))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(Payment.received_on <= as_of)
            .group_by(PaymentAllocation.invoice_id).subquery())
    credited = (select(CreditApplication.invoice_id,
                       func.sum(CreditApplication.amount).label("amount"))
                .join(CustomerCreditNote, CustomerCreditNote.id == CreditApplication.credit_note_id)
                .where(CustomerCreditNote.credit_date <= as_of)
                .group_by(CreditApplication.invoice_id).subquery())
    open_amount = type_coerce(CustomerInvoice.total - func.coalesce(paid.c.amount, 0)
                              - func.coalesce(credited.c.amount, 0), AMOUNT)

    def bucket(*conditions: Any) -> Any:
        return type_coerce(func.coalesce(func.sum(
            case((and_(*conditions), open_amount), else_=literal(0))), 0), AMOUNT)

    due = CustomerInvoice.due_date

    def overdue(fewest_days: int, most_days: int | None = None) -> Any:
        """Open amounts ``fewest_days`` to ``most_days`` (no limit when None) days overdue."""
        latest_due = due <= as_of - timedelta(days=fewest_days)
        if most_days is None:
            return bucket(latest_due)
        return bucket(latest_due, due >= as_of - timedelta(days=most_days))

    buckets = [bucket(due >= as_of), overdue(1, 30), overdue(31, 60), overdue(61, 90),
               overdue(91)]
    if group_by is AgeingGroup.CUSTOMER:
        code, name = Customer.code, Customer.name
    else:
        code = func.coalesce(User.username, UNASSIGNED)
        name = func.coalesce(User.display_name, UNASSIGNED)
    stmt = readable_invoices(principal, select(code, name, *buckets)
                             .select_from(CustomerInvoice)
                             .outerjoin(paid, paid.c.invoice_id == CustomerInvoice.id)
                             .outerjoin(credited, credited.c.invoice_id == CustomerInvoice.id))
    stmt = (stmt.join(Customer, Customer.id == CustomerInvoice.customer_id)
            if group_by is AgeingGroup.CUSTOMER
            else stmt.outerjoin(User, User.id == CustomerInvoice.salesperson_id))
    rows = await session.execute(
        stmt.where(CustomerInvoice.invoice_date <= as_of)
        .group_by(code, name).having(func.sum(open_amount) > 0).order_by(code))
    return [AgeingRow(row_code, row_name, *(money(Decimal(str(value))) for value in values))
            for row_code, row_name, *values in rows]
