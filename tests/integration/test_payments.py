"""Payments on both backends: recorded once per idempotency key, and money left on account
applied to invoices later (invoices of test_receivables.py's world: totals with 13 % VAT)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from server.db import Database
from server.finance.models import Payment, PaymentAllocation
from server.finance.payments import PaymentView, apply_payment, read_payment, record_payment
from server.finance.receivables import AllocationDraft
from tests.integration.test_receivables import (
    invoice_of,
    invoices,
    payment,
    refused,
    ship,
    world,
)
from tests.world import World

D = Decimal
__all__ = ["world"]  # the fixture, imported for these tests


async def counts(db: Database) -> tuple[int | None, int | None]:
    async with db.reader() as session:
        return (await session.scalar(select(func.count()).select_from(Payment)),
                await session.scalar(select(func.count()).select_from(PaymentAllocation)))


def seen(view: PaymentView) -> tuple[object, ...]:
    return (view.payment.number, view.customer_code, view.allocations, view.unallocated)


async def test_the_same_key_records_one_payment(db: Database, world: World) -> None:
    first = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    key = uuid.uuid4().hex
    recorded = await record_payment(db, world["finance"], payment("500", (first, "500")), key)
    again = await record_payment(db, world["finance"], payment("500", (first, "500")), key)
    assert again.payment.number == recorded.payment.number
    assert [(a.invoice_number, a.amount) for a in again.allocations] == [(first, D(500))]
    assert await counts(db) == (1, 1)
    assert await invoices(db) == [(first, D(500), "partially_paid")]
    # Another user, or another operation, may not reuse the key.
    assert await refused(record_payment(db, world.admin, payment("1"), key)) == [
        ("CONFLICT", "idempotencyKey")]
    # A refused payment releases its key: corrected, it records.
    fresh = uuid.uuid4().hex
    assert await refused(record_payment(db, world["finance"], payment(
        "5000", (first, "5000")), fresh)) == [("OVER_ALLOCATED", "allocations[0].amount")]
    fixed = await record_payment(db, world["finance"], payment("630", (first, "630")), fresh)
    assert fixed.unallocated == 0
    assert await invoices(db) == [(first, D(1130), "paid")]


async def test_money_on_account_is_applied_later(db: Database, world: World) -> None:
    first = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    second = (await invoice_of(db, await ship(db, world, {"P1": 1}, "100"))).number
    received = await record_payment(db, world["finance"], payment("1200", (first, "1000")))
    assert received.unallocated == D(200)
    number = received.payment.number
    applied = await apply_payment(db, world["finance"], number, [
        AllocationDraft(first, D(130)), AllocationDraft(second, D(20))])
    # The second allocation to the first invoice adds to the payment's allocation there.
    assert [(a.invoice_number, a.amount) for a in applied.allocations] == [
        (first, D(1130)), (second, D(20))]
    assert applied.unallocated == D(50)
    assert await invoices(db) == [(first, D(1130), "paid"), (second, D(20), "partially_paid")]
    key = uuid.uuid4().hex
    rest = await apply_payment(db, world["finance"], number, [AllocationDraft(second, D(50))],
                               key)
    replayed = await apply_payment(db, world["finance"], number,
                                   [AllocationDraft(second, D(50))], key)
    assert seen(replayed) == seen(rest)
    assert rest.unallocated == 0
    async with db.reader() as session:
        read = await read_payment(session, world["finance"], number)
        assert read is not None and seen(read) == seen(rest)
        assert await read_payment(session, world["finance"], "PAY-1999-000001") is None
    assert await invoices(db) == [(first, D(1130), "paid"), (second, D(70), "partially_paid")]


async def test_applying_more_than_is_on_account_changes_nothing(
    db: Database, world: World
) -> None:
    first = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    received = await record_payment(db, world["finance"], payment("100"))
    number = received.payment.number
    before = (await counts(db), await invoices(db))
    assert await refused(apply_payment(db, world["finance"], number,
                                       [AllocationDraft(first, D("100.01"))])) == [
        ("OVER_ALLOCATED", "allocations")]
    assert await refused(apply_payment(db, world["finance"], "PAY-1999-000001",
                                       [AllocationDraft(first, D(1))])) == [
        ("NOT_FOUND", "paymentNumber")]
    assert await refused(apply_payment(db, world["finance"], number, [
        AllocationDraft(first, D(1)), AllocationDraft(first, D(-1))])) == [
        ("INVALID_INPUT", "allocations[1].amount"),
        ("INVALID_INPUT", "allocations[1].invoiceNumber")]
    assert await refused(apply_payment(db, world["sales"], number,
                                       [AllocationDraft(first, D(1))])) == [("FORBIDDEN", None)]
    assert (await counts(db), await invoices(db)) == before
