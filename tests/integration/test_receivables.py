"""Receivables on both backends: a shipment raises its customer invoice, payments are allocated
to invoices all or nothing, and the ageing buckets open amounts by days overdue."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.db import Database
from server.errors import DomainError
from server.finance.ageing import AgeingGroup, AgeingRow, receivables_ageing
from server.finance.models import CustomerInvoice, FinancePolicy, Payment, PaymentAllocation
from server.finance.payments import record_payment
from server.finance.receivables import AllocationDraft, PaymentDraft, customer_invoice
from server.sales import orders
from server.sales.models import PickList, Shipment
from server.sales.pick_rules import PickRequest
from server.sales.picking import confirm_pick, release_picking
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from server.sales.shipping import ShipmentRequest, confirm_shipment
from tests.picking_setup import picking_world, put_stock, sales_order
from tests.world import World

D = Decimal


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 20, "50")
    await put_stock(db, world, "P3", "WH1-A-02", 10, "40")
    return world


async def ship(db: Database, world: World, lines: dict[str, int], unit_price: str) -> str:
    """Order, release, pick in full and ship; the shipment number."""
    order = await sales_order(db, world, lines, unit_price=unit_price)
    return await ship_orders(db, world, order)


async def ship_orders(db: Database, world: World, *orders: str) -> str:
    """Release these orders on one pick list, pick it in full and ship it."""
    view = await release_picking(db, world["warehouse"], list(orders), uuid.uuid4().hex)
    for line in view.lines:
        view = await confirm_pick(db, world["warehouse"], PickRequest(
            pick_list_number=view.pick_list.number, line_no=line.line.line_no,
            bin_barcode=line.bin_code, quantity=line.line.quantity, sku=line.sku,
            lot=line.line.lot or None, idempotency_key=uuid.uuid4().hex))
    shipped = await confirm_shipment(db, world["warehouse"], ShipmentRequest(
        view.pick_list.number, "SF Express", "SF1", uuid.uuid4().hex))
    return shipped.shipment.number


async def invoice_of(db: Database, shipment: str) -> CustomerInvoice:
    async with db.reader() as session:
        found = await session.scalar(select(CustomerInvoice).where(
            CustomerInvoice.shipment_id == select(Shipment.id).where(
                Shipment.number == shipment).scalar_subquery()))
        assert found is not None
        return found


async def invoices(db: Database) -> list[tuple[str, Decimal, str]]:
    async with db.reader() as session:
        rows = await session.execute(select(
            CustomerInvoice.number, CustomerInvoice.paid_amount, CustomerInvoice.state)
            .order_by(CustomerInvoice.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def refused(action: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(DomainError) as error:
        await action
    return [(p.code, p.field) for p in error.value.problems]


def payment(amount: str, *allocations: tuple[str, str], customer: str = "C1",
            received_on: date = date(2026, 6, 1)) -> PaymentDraft:
    return PaymentDraft(customer, D(amount), received_on, "bank ref 42",
                        [AllocationDraft(number, D(value)) for number, value in allocations])


async def test_a_shipment_raises_its_invoice_at_the_order_prices_with_vat(
    db: Database, world: World
) -> None:
    shipment = await ship(db, world, {"P1": 3, "P3": 2}, "123.45")
    invoice = await invoice_of(db, shipment)
    assert invoice.number.startswith("INV-") and invoice.number.endswith("-000001")
    # 3 × 123.45 = 370.35 and 2 × 123.45 = 246.90; VAT 13 % of 617.25 = 80.2425 → 80.24.
    assert (invoice.subtotal, invoice.tax, invoice.total, invoice.paid_amount, invoice.state) == (
        D("617.25"), D("80.24"), D("697.49"), D(0), "open")
    assert (invoice.region, invoice.currency) == ("East", "CNY")
    assert invoice.salesperson_id == world["sales"].user_id
    assert invoice.due_date == invoice.invoice_date + timedelta(days=30)
    async with db.reader() as session:
        view = await customer_invoice(session, world["finance"], invoice.number)
    assert view is not None and view.customer_code == "C1" and view.shipment_number == shipment
    assert [(v.sku, v.line.quantity, v.line.unit_price, v.line.amount) for v in view.lines] == [
        ("P1", D(3), D("123.45"), D("370.35")), ("P3", D(2), D("123.45"), D("246.90"))]


async def test_the_policy_sets_the_payment_terms(db: Database, world: World) -> None:
    async with db.transaction() as session:
        session.add(FinancePolicy(id=1, payment_terms_days=45))
    invoice = await invoice_of(db, await ship(db, world, {"P1": 1}, "100"))
    assert invoice.due_date == invoice.invoice_date + timedelta(days=45)


async def test_a_payment_pays_several_invoices_in_part_or_in_full(
    db: Database, world: World
) -> None:
    first = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    second = (await invoice_of(db, await ship(db, world, {"P1": 1}, "2000"))).number
    paid = await record_payment(db, world["finance"],
                                payment("1500", (first, "1130"), (second, "370")))
    assert paid.payment.number.startswith("PAY-") and paid.unallocated == 0
    assert await invoices(db) == [(first, D(1130), "paid"), (second, D(370), "partially_paid")]
    again = await record_payment(db, world.admin, payment("2000", (second, "1890")))
    assert again.unallocated == D(110)
    assert await invoices(db) == [(first, D(1130), "paid"), (second, D(2260), "paid")]
    async with db.reader() as session:
        view = await customer_invoice(session, world["finance"], second)
    assert view is not None
    assert [(a.payment_number, a.amount) for a in view.allocations] == [
        (paid.payment.number, D(370)), (again.payment.number, D(1890))]


async def test_over_allocation_is_refused_and_changes_nothing(
    db: Database, world: World
) -> None:
    first = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    second = (await invoice_of(db, await ship(db, world, {"P1": 1}, "100"))).number
    await customers.create_customer(db, world.admin, CustomerDraft("C2", "Customer Two"))
    assert await refused(record_payment(db, world["finance"], payment(
        "2000", (first, "1130.01"), (second, "100")))) == [
        ("OVER_ALLOCATED", "allocations[0].amount")]
    assert await refused(record_payment(db, world["finance"], payment(
        "1000", (first, "1000"), (second, "100")))) == [("OVER_ALLOCATED", "allocations")]
    assert await refused(record_payment(db, world["finance"], payment(
        "100", (first, "100"), customer="C2"))) == [
        ("INVALID_INPUT", "allocations[0].invoiceNumber")]
    assert await refused(record_payment(db, world["finance"], payment(
        "100", ("INV-1999-000001", "100")))) == [
        ("NOT_FOUND", "allocations[0].invoiceNumber")]
    assert await refused(record_payment(db, world["finance"], payment(
        "0.001", (first, "50"), (first, "50")))) == [
        ("INVALID_INPUT", "amount"), ("INVALID_INPUT", "allocations[1].invoiceNumber")]
    assert await refused(record_payment(db, world["sales"], payment("100"))) == [
        ("FORBIDDEN", None)]
    assert await invoices(db) == [(first, D(0), "open"), (second, D(0), "open")]
    async with db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 0
        assert await session.scalar(select(func.count()).select_from(PaymentAllocation)) == 0
    paid = await record_payment(db, world["finance"], payment("50", (first, "50")))
    assert paid.payment.number.endswith("-000001")  # refusals took no number


async def test_a_pick_list_of_two_customers_is_not_released(db: Database, world: World) -> None:
    # A pick list becomes one shipment and one invoice: it is refused before anyone picks.
    await customers.create_customer(db, world.admin, CustomerDraft(
        "C2", "Customer Two", salesperson="sales"))
    first = await sales_order(db, world, {"P1": 1})
    second = (await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C2", "WH1", [SalesLineDraft("P1", D(1), unit_price=D(100))]))).view.order.number
    assert await refused(ship_orders(db, world, first, second)) == [
        ("INVALID_INPUT", "salesOrderNumbers")]
    async with db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(PickList)) == 0
        assert await session.scalar(select(func.count()).select_from(Shipment)) == 0
        assert await session.scalar(select(func.count()).select_from(CustomerInvoice)) == 0


AS_OF = date(2026, 6, 30)


async def test_ageing_buckets_open_amounts_by_days_overdue(db: Database, world: World) -> None:
    # Totals with VAT: 113, 226, 339, 452, 565; due 0, 30, 31, 90 and 91 days before AS_OF.
    numbers = []
    for price, days_overdue in [("100", 0), ("200", 30), ("300", 31), ("400", 90), ("500", 91)]:
        number = (await invoice_of(db, await ship(db, world, {"P1": 1}, price))).number
        due = AS_OF - timedelta(days=days_overdue)
        async with db.transaction() as session:
            await session.execute(update(CustomerInvoice).where(
                CustomerInvoice.number == number).values(
                invoice_date=due - timedelta(days=30), due_date=due))
        numbers.append(number)
    later = (await invoice_of(db, await ship(db, world, {"P1": 1}, "1000"))).number
    async with db.transaction() as session:
        await session.execute(update(CustomerInvoice).where(
            CustomerInvoice.number == later).values(invoice_date=AS_OF + timedelta(days=1),
                                                    due_date=AS_OF + timedelta(days=31)))
        # The 452 invoice has no salesperson: it ages apart when grouped by salesperson.
        await session.execute(update(CustomerInvoice).where(
            CustomerInvoice.number == numbers[3]).values(salesperson_id=None))
    # Paid by AS_OF: 26 of the 226 invoice. Paid after AS_OF: the 565 invoice in full, which
    # still counts as open on AS_OF.
    await record_payment(db, world["finance"], payment(
        "26", (numbers[1], "26"), received_on=AS_OF))
    await record_payment(db, world["finance"], payment(
        "565", (numbers[4], "565"), received_on=AS_OF + timedelta(days=2)))
    async with db.reader() as session:
        by_customer = await receivables_ageing(session, world["finance"], AS_OF)
        by_salesperson = await receivables_ageing(
            session, world["finance"], AS_OF, AgeingGroup.SALESPERSON)
        of_sales = await receivables_ageing(session, world["sales"], AS_OF)
    assert by_customer == [AgeingRow("C1", "Customer One", D(113), D(200), D(339), D(452),
                                     D(565))]
    assert by_customer[0].total == D(1669)
    assert by_salesperson == [
        AgeingRow("", "", D(0), D(0), D(0), D(452), D(0)),
        AgeingRow("sales", by_salesperson[1].name, D(113), D(200), D(339), D(0), D(565))]
    assert of_sales == [AgeingRow("C1", "Customer One", D(113), D(200), D(339), D(0), D(565))]
    async with db.reader() as session:
        assert await receivables_ageing(session, world["finance"], date(2020, 1, 1)) == []
