"""Payments received from customers: recorded once per idempotency key (a double-clicked "save"
records one payment), allocated to open invoices of the paying customer at once or later from
what was left on account; each invoice's paid amount and state follow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.customers import customer_by_code
from server.catalog.models import Customer
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import NotFound
from server.finance.models import CustomerInvoice, Payment, PaymentAllocation
from server.finance.receivables import (
    FINANCE_ROLES,
    PAYMENT_PREFIX,
    ZERO,
    AllocatedAmount,
    AllocationDraft,
    OpenInvoice,
    PaymentDraft,
    allocation_draft_problems,
    allocation_problems,
    draft_problems,
    state_after_payment,
)
from server.idempotency import run_once
from server.numbering import next_number


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment: Payment
    customer_code: str
    allocations: list[AllocatedAmount]
    unallocated: Decimal


async def record_payment(db: Database, principal: Principal, draft: PaymentDraft,
                         idempotency_key: str | None = None) -> PaymentView:
    """Record a payment and allocate it, all or nothing. With a key, the same key again answers
    the payment it recorded and records nothing."""
    principal.require(*FINANCE_ROLES)
    raise_problems(*draft_problems(draft))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        customer = await customer_by_code(session, draft.customer_code.strip(), "customerCode")
        payment = Payment(
            number=await next_number(session, PAYMENT_PREFIX, utcnow().date()),
            customer_id=customer.id, amount=draft.amount, received_on=draft.received_on,
            reference=draft.reference.strip(), recorded_by_id=principal.user_id)
        session.add(payment)
        await session.flush()
        await _allocate(session, payment, customer, draft.amount, draft.allocations)
        return {"paymentNumber": payment.number}

    number = await _once(db, principal, "recordPayment", idempotency_key, perform)
    async with db.reader() as session:
        return await payment_view(session, number)


async def apply_payment(db: Database, principal: Principal, payment_number: str,
                        allocations: Sequence[AllocationDraft],
                        idempotency_key: str | None = None) -> PaymentView:
    """Allocate what a payment left on account to open invoices of its customer."""
    principal.require(*FINANCE_ROLES)
    raise_problems(*allocation_draft_problems(allocations))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        payment = await session.scalar(
            select(Payment).where(Payment.number == payment_number).with_for_update())
        if payment is None:
            raise NotFound(f"no payment {payment_number!r}", field="paymentNumber")
        customer = await session.get_one(Customer, payment.customer_id)
        await _allocate(session, payment, customer,
                        payment.amount - await _allocated(session, payment.id), allocations)
        return {"paymentNumber": payment.number}

    number = await _once(db, principal, "applyPayment", idempotency_key, perform)
    async with db.reader() as session:
        return await payment_view(session, number)


async def _once(db: Database, principal: Principal, operation: str, key: str | None,
                perform: Callable[[AsyncSession], Awaitable[dict[str, Any]]]) -> str:
    """Run ``perform`` in one transaction, at most once per key when there is one."""
    if key is None:
        async with db.transaction() as session:
            result = await perform(session)
    else:
        result = (await run_once(db, principal, operation, key, perform)).result
    number: str = result["paymentNumber"]
    return number


async def _allocated(session: AsyncSession, payment_id: int) -> Decimal:
    total = await session.scalar(select(func.sum(PaymentAllocation.amount))
                                 .where(PaymentAllocation.payment_id == payment_id))
    return total if total is not None else ZERO


async def _allocate(session: AsyncSession, payment: Payment, customer: Customer,
                    available: Decimal, allocations: Sequence[AllocationDraft]) -> None:
    """Allocate up to ``available`` of the payment; an invoice it already paid part of gets
    the new amount added to that allocation."""
    numbers = [allocation.invoice_number for allocation in allocations]
    locked = {invoice.number: invoice for invoice in await session.scalars(
        select(CustomerInvoice).where(CustomerInvoice.number.in_(numbers))
        .order_by(CustomerInvoice.id).with_for_update()
        .execution_options(populate_existing=True))} if numbers else {}
    raise_problems(*allocation_problems(
        customer.id, customer.code, available, allocations,
        {number: OpenInvoice(number, invoice.customer_id,
                             invoice.total - invoice.paid_amount - invoice.credited_amount)
         for number, invoice in locked.items()}))
    existing = {row.invoice_id: row for row in await session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))}
    for allocation in allocations:
        invoice = locked[allocation.invoice_number]
        if invoice.id in existing:
            existing[invoice.id].amount += allocation.amount
        else:
            session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                          amount=allocation.amount))
        invoice.paid_amount += allocation.amount
        invoice.state = state_after_payment(invoice.total, invoice.paid_amount,
                                            invoice.credited_amount).value
    await session.flush()


async def payment_view(session: AsyncSession, number: str) -> PaymentView:
    payment = await session.scalar(select(Payment).where(Payment.number == number))
    if payment is None:
        raise NotFound(f"no payment {number!r}", field="paymentNumber")
    customer = await session.get_one(Customer, payment.customer_id)
    rows = list(await session.execute(
        select(CustomerInvoice.number, PaymentAllocation.amount)
        .join(CustomerInvoice, CustomerInvoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment.id).order_by(PaymentAllocation.id)))
    allocations = [AllocatedAmount(payment.number, invoice_number, payment.received_on, amount)
                   for invoice_number, amount in rows]
    allocated = sum((a.amount for a in allocations), start=ZERO)
    return PaymentView(payment, customer.code, allocations, payment.amount - allocated)


async def read_payment(session: AsyncSession, principal: Principal,
                       number: str) -> PaymentView | None:
    """One payment as finance reads it; None when there is none of that number."""
    principal.require(*FINANCE_ROLES)
    try:
        return await payment_view(session, number)
    except NotFound:
        return None
