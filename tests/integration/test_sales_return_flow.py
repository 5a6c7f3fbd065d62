"""End to end on both backends (issue #11): a customer returns part of a shipped order; the goods
come back by scan, half are restocked (serving a waiting backorder first) and half scrapped; the
credit note takes the returned revenue off the invoice, the margin report nets it out, and the
ledger's invariants hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.catalog.queries import PageRequest
from server.db import Database
from server.errors import DomainError
from server.finance.ageing import receivables_ageing
from server.finance.credit_notes import list_credit_notes
from server.finance.margin import MarginGroupBy, margin_report
from server.finance.models import CustomerInvoice
from server.finance.payments import record_payment
from server.finance.receivables import AllocationDraft, PaymentDraft
from server.inventory.models import Bucket
from tests.ledger_invariants import assert_ledger_consistent
from tests.picking_setup import (
    average_cost,
    events,
    picking_world,
    put_stock,
    reservations,
    sales_order,
)
from tests.receiving_setup import level
from tests.returns_setup import create_return, inspect, qc_tasks, receive_return, ship_order
from tests.world import World

D = Decimal
TODAY = datetime.now(UTC).date()
PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    return world


async def invoice_of(db: Database) -> CustomerInvoice:
    async with db.reader() as session:
        [invoice] = await session.scalars(select(CustomerInvoice))
        return invoice


async def test_part_of_a_shipped_order_comes_back_half_restocked_half_scrapped(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 10}, unit_price="300")
    invoice = await invoice_of(db)
    assert (invoice.subtotal, invoice.total) == (D(3000), D(3390))
    waiting = await sales_order(db, world, {"P1": 3}, unit_price="300")  # all backordered
    assert await level(db, "P1", Bucket.BACKORDERED) == D(3)

    rma = await create_return(db, world, order, {"P1": 4})
    received = await receive_return(db, world, rma.row.number, {"P1": 4})
    assert await level(db, "P1", Bucket.PENDING_QC) == D(4)
    assert await average_cost(db, "P1") == D("100.0000")  # back at the cost it left with

    async with db.reader() as session:
        page = await list_credit_notes(session, world["finance"], PAGE,
                                       return_number=rma.row.number)
    [note] = page.rows
    assert (note.row.subtotal, note.row.tax, note.row.total, note.row.applied_amount) == (
        D(1200), D(156), D(1356), D(1356))
    assert [(a.invoice_number, a.amount) for a in note.applications] == [
        (invoice.number, D(1356))]
    invoice = await invoice_of(db)
    assert (invoice.credited_amount, invoice.state) == (D(1356), "partially_paid")
    async with db.reader() as session:
        [owed] = await receivables_ageing(session, world["finance"], TODAY)
    assert owed.total == D(3390) - D(1356)

    [task] = await qc_tasks(db, received.receipt.number)
    await inspect(db, world, task.id, restock=2)
    # The restocked goods went to the waiting backorder first, straight from the dock.
    assert await reservations(db, waiting) == {(1, "WH1-RCV", ""): D(2)}
    assert await level(db, "P1", Bucket.BACKORDERED) == D(1)
    assert await level(db, "P1", Bucket.AVAILABLE) == D(0)
    closed = await inspect(db, world, task.id, scrap=2)
    assert closed.row.state == "closed"
    assert await level(db, "P1", Bucket.REJECTED) == D(2)
    assert [kind for kind, _ in await events(db, "sales_return")] == [
        "RETURN_CREATED", "RETURN_RECEIVED", "RETURN_INSPECTED", "RETURN_INSPECTED"]

    async with db.reader() as session:
        report = await margin_report(session, world["finance"], TODAY, TODAY,
                                     MarginGroupBy.PRODUCT)
    [row] = report.rows
    assert (row.key, row.revenue, row.cogs, row.margin) == ("P1", D(1800), D(800), D(1000))
    assert (row.returned_revenue, row.restocked_cogs, row.scrap_loss) == (
        D(1200), D(200), D(200))
    assert (row.expected_cogs, row.expected_margin) == (D(800), D(1000))
    assert (report.total.revenue, report.total.margin) == (D(1800), D(1000))
    await assert_ledger_consistent(db)


async def test_a_paid_invoice_leaves_the_credit_unapplied_owed_back(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 2}, unit_price="300")
    invoice = await invoice_of(db)
    await record_payment(db, world["finance"], PaymentDraft(
        "C1", invoice.total, TODAY, allocations=[AllocationDraft(invoice.number, invoice.total)]))
    rma = await create_return(db, world, order, {"P1": 1})
    await receive_return(db, world, rma.row.number, {"P1": 1})
    async with db.reader() as session:
        [note] = (await list_credit_notes(session, world["finance"], PAGE, customer_code="C1")).rows
    assert (note.row.total, note.row.applied_amount, note.unapplied, note.applications) == (
        D(339), D(0), D(339), [])
    invoice = await invoice_of(db)
    assert (invoice.credited_amount, invoice.state) == (D(0), "paid")


async def test_a_credit_and_a_payment_together_settle_the_invoice(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 2}, unit_price="300")
    rma = await create_return(db, world, order, {"P1": 1})
    await receive_return(db, world, rma.row.number, {"P1": 1})
    invoice = await invoice_of(db)
    open_amount = invoice.total - invoice.credited_amount
    assert open_amount == D(339)
    refused = record_payment(db, world["finance"], PaymentDraft(
        "C1", D(678), TODAY, allocations=[AllocationDraft(invoice.number, D(678))]))
    with pytest.raises(DomainError, match="has only 339"):
        await refused
    await record_payment(db, world["finance"], PaymentDraft(
        "C1", open_amount, TODAY, allocations=[AllocationDraft(invoice.number, open_amount)],
        reference=uuid.uuid4().hex[:8]))
    assert (await invoice_of(db)).state == "paid"
