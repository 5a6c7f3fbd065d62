"""fulfilment_report on both backends, pinned by a hand-computed fixture (dates set by hand after
the fact; P1 and P3 on hand 10 each):

    SO1 C1 (East, sales) 03-01 08:00  P1 4 requested 03-05, P3 2 requested 03-02
        shipped 03-04 08:00 → P1 filled, P3 late; invoiced 03-05 20:00; paid 03-15
    SO2 C2 (West, nobody) 03-02 08:00  P3 12: 8 reserved, 4 backordered, not shipped
    SO3 C1 03-03 08:00  P1 8: 6 reserved, 2 backordered (SHORTAGE), served when 2 more come in
        shipped 03-06 20:00 in full (no requested date: filled); invoiced 03-07 08:00, unpaid

    sales / East: 2 orders, 3 lines, 2 filled (66.67 %), 1 backordered (33.33 %);
        to ship (3 + 3.5) / 2 = 3.25, to invoice (1.5 + 0.5) / 2 = 1.00,
        to pay 03-05 20:00 → 03-15 = 9.1667 → 9.17, order to cash 13.6667 → 13.67
    nobody / West: 1 order, 1 line, none filled, 1 backordered, no cycle times
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.db import Database
from server.errors import DomainError
from server.finance.fulfilment import (
    FulfilmentGroupBy,
    FulfilmentReport,
    FulfilmentRow,
    fulfilment_report,
)
from server.finance.models import CustomerInvoice
from server.finance.payments import record_payment
from server.finance.receivables import AllocationDraft, PaymentDraft
from server.sales import orders
from server.sales.models import SalesOrder, SalesOrderLine, Shipment, ShortagePolicy
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from tests.integration.test_receivables import ship_orders
from tests.picking_setup import picking_world, put_stock
from tests.world import World

D = Decimal
FROM, TO = date(2026, 3, 1), date(2026, 3, 31)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def order(db: Database, world: World, customer: str, created: datetime,
                lines: list[tuple[str, int, date | None]]) -> str:
    """An order taken by the sales user, dated ``created``; requested dates set afterwards, as
    the past ones would be refused."""
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        customer, "WH1", [SalesLineDraft(sku, D(count), D("100")) for sku, count, _ in lines],
        shortage_policy=ShortagePolicy.BACKORDER))
    number = outcome.view.order.number
    async with db.transaction() as session:
        await session.execute(update(SalesOrder).where(SalesOrder.number == number).values(
            created_at=created, order_date=created.date()))
        order_id = select(SalesOrder.id).where(SalesOrder.number == number).scalar_subquery()
        for line_no, (_, _, requested) in enumerate(lines, start=1):
            await session.execute(update(SalesOrderLine).where(
                SalesOrderLine.order_id == order_id, SalesOrderLine.line_no == line_no)
                .values(requested_date=requested))
    return number


async def shipped(db: Database, world: World, number: str, when: datetime,
                  invoiced: datetime) -> str:
    """Ship the order in full; the shipment and its invoice dated as given; the invoice number."""
    shipment = await ship_orders(db, world, number)
    async with db.transaction() as session:
        await session.execute(update(Shipment).where(Shipment.number == shipment)
                              .values(shipped_at=when))
        shipment_id = select(Shipment.id).where(Shipment.number == shipment).scalar_subquery()
        await session.execute(update(CustomerInvoice)
                              .where(CustomerInvoice.shipment_id == shipment_id)
                              .values(created_at=invoiced, invoice_date=invoiced.date()))
        invoice = await session.scalar(select(CustomerInvoice)
                                       .where(CustomerInvoice.shipment_id == shipment_id))
    assert invoice is not None
    return invoice.number


async def fulfilment_world(db: Database) -> World:
    """The orders, shipments, invoices and payment of the docstring."""
    world = await picking_world(db)
    await customers.create_customer(db, world.admin, CustomerDraft("C2", "Customer Two",
                                                                   region="West"))
    await put_stock(db, world, "P1", "WH1-A-01", 10, "50")
    await put_stock(db, world, "P3", "WH1-A-02", 10, "40")
    first = await order(db, world, "C1", at(1, 8), [("P1", 4, date(2026, 3, 5)),
                                                    ("P3", 2, date(2026, 3, 2))])
    invoice = await shipped(db, world, first, at(4, 8), at(5, 20))
    async with db.reader() as session:
        total = await session.scalar(select(CustomerInvoice.total)
                                     .where(CustomerInvoice.number == invoice))
    assert total is not None
    await record_payment(db, world["finance"], PaymentDraft(
        "C1", total, date(2026, 3, 15), "bank", [AllocationDraft(invoice, total)]))
    await order(db, world, "C2", at(2, 8), [("P3", 12, None)])
    third = await order(db, world, "C1", at(3, 8), [("P1", 8, None)])
    await put_stock(db, world, "P1", "WH1-A-01", 2, "50")
    async with db.reader() as session:
        assert await session.scalar(select(SalesOrderLine.backordered_quantity).join(
            SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .where(SalesOrder.number == third)) == 0
    await shipped(db, world, third, at(6, 20), at(7, 8))
    return world


@pytest.fixture
async def world(db: Database) -> World:
    return await fulfilment_world(db)


async def report(db: Database, world: World, group_by: FulfilmentGroupBy,
                 who: str = "finance") -> FulfilmentReport:
    async with db.reader() as session:
        return await fulfilment_report(session, world[who], FROM, TO, group_by)


def row(key: str, label: str, served: bool) -> FulfilmentRow:
    if served:
        return FulfilmentRow(key, label, 2, 3, 2, D("66.67"), 1, D("33.33"), D("3.25"),
                             D("1.00"), D("9.17"), D("13.67"))
    return FulfilmentRow(key, label, 1, 1, 0, D("0.00"), 1, D("100.00"), None, None, None, None)


async def test_by_salesperson_and_region(db: Database, world: World) -> None:
    by_person = await report(db, world, FulfilmentGroupBy.SALESPERSON)
    assert by_person.rows == [row("", "(none)", False), row("sales", "sales", True)]
    by_region = await report(db, world, FulfilmentGroupBy.REGION)
    assert by_region.rows == [row("East", "East", True), row("West", "West", False)]


async def test_sales_see_their_own_orders(db: Database, world: World) -> None:
    mine = await report(db, world, FulfilmentGroupBy.REGION, "sales")
    assert mine.rows == [row("East", "East", True)]


async def test_refusals(db: Database, world: World) -> None:
    with pytest.raises(DomainError) as raised:
        await report(db, world, FulfilmentGroupBy.REGION, "warehouse")
    assert raised.value.problems[0].code == "FORBIDDEN"
    with pytest.raises(DomainError) as raised:
        async with db.reader() as session:
            await fulfilment_report(session, world["finance"], TO, FROM,
                                    FulfilmentGroupBy.REGION)
    assert raised.value.problems[0].field == "dateFrom"


