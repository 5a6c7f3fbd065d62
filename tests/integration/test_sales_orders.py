"""createSalesOrder, updateSalesOrder and cancelSalesOrder on both backends: stock checked and
reserved on save (FEFO, FIFO, bin), REJECT and BACKORDER, shortage messages with expected
supply, make-to-order requisitions, LOW_STOCK, releases."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.catalog import products
from server.catalog.drafts import ProductChanges
from server.catalog.models import Product
from server.db import Database, utcnow
from server.errors import DomainError
from server.events import Event
from server.inventory.models import Bucket, StockLedger
from server.purchasing import portal
from server.purchasing.models import PurchaseOrder
from server.sales import orders
from server.sales.models import Reservation, SalesOrder, SalesOrderLine, ShortagePolicy
from server.sales.rules import (
    SalesLineDraft,
    SalesOrderChanges,
    SalesOrderDraft,
    ShortageRefused,
)
from tests.sales_setup import (
    alerts,
    count_of,
    level,
    order_for,
    purchase,
    put_stock,
    quants,
    reservations,
    sales_world,
    view_of,
)
from tests.world import World

D = Decimal
BACKORDER = ShortagePolicy.BACKORDER
TODAY = utcnow().date()
YEAR = TODAY.year


@pytest.fixture
async def world(db: Database) -> World:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 6, lot="LATE", expiry=TODAY + timedelta(90))
    await put_stock(db, world, "P1", "WH1-A-02", 4, lot="SOON", expiry=TODAY + timedelta(30),
                    unit_cost="130")
    return world


async def change(db: Database, world: World, number: str, lines: list[SalesLineDraft],
                 user: str = "sales") -> orders.OrderOutcome:
    version = (await view_of(db, number)).order.version
    return await orders.update_sales_order(db, world[user], SalesOrderChanges(
        number, version, lines))


async def test_an_order_reserves_the_first_to_expire_and_shows_each_line(
    db: Database, world: World
) -> None:
    outcome = await order_for(db, world, [("P1", 7)], notes=" rush ")
    order = outcome.view.order
    assert outcome.shortages == []
    assert order.number == f"SO-{YEAR}-000001" and order.state == "open" and order.version == 1
    assert (outcome.view.customer.code, order.region, outcome.view.salesperson) == (
        "C1", "East", "sales")
    [line] = order.lines
    assert (line.quantity, line.unit_price, line.reserved_quantity, line.backordered_quantity,
            line.picked_quantity, line.shipped_quantity) == (7, 300, 7, 0, 0, 0)
    assert line.expected_unit_cost == D(112)  # (6 × 100 + 4 × 130) / 10
    assert order.total_amount == 2100 and order.notes == "rush"
    assert await reservations(db, order.number) == {(1, "WH1-A-02", "SOON"): 4,
                                                    (1, "WH1-A-01", "LATE"): 3}
    assert await quants(db, "P1", Bucket.RESERVED) == {("WH1-A-02", "SOON"): 4,
                                                       ("WH1-A-01", "LATE"): 3}
    assert await quants(db, "P1", Bucket.AVAILABLE) == {("WH1-A-01", "LATE"): 3}
    assert (await level(db, "P1", Bucket.AVAILABLE), await level(db, "P1", Bucket.RESERVED)) \
        == (3, 7)
    async with db.reader() as session:
        ledger = (await session.scalars(select(StockLedger).where(
            StockLedger.document_number == order.number))).all()
        kinds = (await session.scalars(select(Event.kind).where(
            Event.document_number == order.number))).all()
    assert {(r.from_bucket, r.to_bucket, r.document_type, r.document_line, r.quantity)
            for r in ledger} == {("available", "reserved", "SO", 1, 4),
                                 ("available", "reserved", "SO", 1, 3)}
    assert "SO_CREATED" in kinds and "STOCK_CHANGED" in kinds


async def test_without_expiry_the_first_received_lot_goes_first_then_the_bin(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P3", "WH1-A-02", 2, lot="OLD", unit_cost="40")
    await put_stock(db, world, "P3", "WH1-A-01", 2, lot="NEW", unit_cost="40")
    await put_stock(db, world, "P3", "WH1-A-01", 2, unit_cost="40")
    outcome = await order_for(db, world, [("P3", 3)])
    assert await reservations(db, outcome.view.order.number) == {(1, "WH1-A-02", "OLD"): 2,
                                                                 (1, "WH1-A-01", "NEW"): 1}
    outcome = await order_for(db, world, [("P3", 3)])
    assert await reservations(db, outcome.view.order.number) == {(1, "WH1-A-01", "NEW"): 1,
                                                                 (1, "WH1-A-01", ""): 2}


async def test_stock_in_qc_or_rejected_bins_is_never_reserved(db: Database, world: World) -> None:
    await put_stock(db, world, "P3", "WH1-QC", 5, unit_cost="40")
    await put_stock(db, world, "P3", "WH1-REJ", 5, unit_cost="40")
    await put_stock(db, world, "P3", "WH1-STG", 1, unit_cost="40")
    await put_stock(db, world, "P3", "WH1-RCV", 1, unit_cost="40")
    with pytest.raises(ShortageRefused) as refused:
        await order_for(db, world, [("P3", 3)])
    assert refused.value.shortages[0].available == 2
    outcome = await order_for(db, world, [("P3", 2)])
    assert await reservations(db, outcome.view.order.number) == {(1, "WH1-RCV", ""): 1,
                                                                 (1, "WH1-STG", ""): 1}


async def test_reject_saves_nothing_consumes_no_number_and_says_when_more_comes(
    db: Database, world: World
) -> None:
    soon, later = TODAY + timedelta(days=5), TODAY + timedelta(days=20)
    await purchase(db, world, "P1", 8, requested=later)
    shipped = await purchase(db, world, "P1", 12)
    await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        shipped.number, [portal.NoticeLine(1, D(5))], expected_arrival=soon))
    before = (await level(db, "P1", Bucket.AVAILABLE), await count_of(db, StockLedger))

    with pytest.raises(ShortageRefused) as refused:
        await order_for(db, world, [("P1", 4), ("P3", 1), ("P1", 8)])
    assert [(p.code, p.field, p.message) for p in refused.value.problems] == [
        ("INSUFFICIENT_STOCK", "lines[1].quantity",
         "line 2: 1 P3 requested, 0 available now; no supply expected"),
        ("INSUFFICIENT_STOCK", "lines[2].quantity",
         f"line 3: 8 P1 requested, 6 available now; 5 more expected on {soon.isoformat()}"),
    ]
    assert [(s.sku, s.requested, s.available, s.expected_date, s.expected_quantity)
            for s in refused.value.shortages] == [("P3", 1, 0, None, None),
                                                  ("P1", 8, 6, soon, 5)]
    assert (await level(db, "P1", Bucket.AVAILABLE), await count_of(db, StockLedger)) == before
    assert await count_of(db, SalesOrder) == 0 and await count_of(db, Reservation) == 0
    outcome = await order_for(db, world, [("P1", 10)])
    assert outcome.view.order.number == f"SO-{YEAR}-000001"


async def test_backorder_reserves_what_there_is_and_tells_the_salesperson(
    db: Database, world: World
) -> None:
    confirmed = TODAY + timedelta(days=3)
    order = await purchase(db, world, "P1", 20, requested=TODAY + timedelta(days=9))
    await portal.confirm_purchase_order(db, world["s1"], order.number, [
        portal.LineConfirmation(1, D(15), confirmed)])
    outcome = await order_for(db, world, [("P1", 12), ("P2", 2)], policy=BACKORDER)
    number = outcome.view.order.number
    assert [(s.line_no, s.sku, s.requested, s.available, s.expected_date, s.expected_quantity)
            for s in outcome.shortages] == [(1, "P1", 12, 10, confirmed, 15),
                                            (2, "P2", 2, 0, None, None)]
    assert [(line.reserved_quantity, line.backordered_quantity)
            for line in outcome.view.order.lines] == [(10, 2), (0, 2)]
    assert await level(db, "P1", Bucket.BACKORDERED) == 2
    assert await level(db, "P2", Bucket.BACKORDERED) == 2
    shortage = await alerts(db, "SHORTAGE")
    assert [(a["orderNumber"], a["lineNo"], a["sku"], a["quantity"]) for a in shortage] == [
        (number, 1, "P1", "2.0000"), (number, 2, "P2", "2.0000")]
    assert shortage[0]["salesperson"] == "sales" and shortage[0]["region"] == "East"
    assert shortage[0]["customerCode"] == "C1"
    assert shortage[0]["salespersonId"] == world["sales"].user_id
    assert f"15 more expected on {confirmed.isoformat()}" in shortage[0]["message"]
    assert await count_of(db, PurchaseOrder) == 1, "no requisition without make-to-order"


async def test_make_to_order_shortages_become_draft_purchase_orders_per_supplier(
    db: Database, world: World
) -> None:
    for sku in ("P1", "P3"):
        await products.update_product(db, world["purchaser"], sku,
                                      ProductChanges(make_to_order=True))
    needed = TODAY + timedelta(days=7)
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C1", "WH1", [SalesLineDraft("P1", D(13), requested_date=needed),
                      SalesLineDraft("P1", D(2)), SalesLineDraft("P3", D(1)),
                      SalesLineDraft("P2", D(1))], shortage_policy=BACKORDER))
    number = outcome.view.order.number
    async with db.reader() as session:
        raised = (await session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id)
                                        .options(selectinload(PurchaseOrder.lines)))).all()
        skus = dict((await session.execute(select(Product.id, Product.sku))).all())
    assert [(po.state, po.created_by_id, po.warehouse_id == outcome.view.order.warehouse_id)
            for po in raised] == [("draft", world["sales"].user_id, True)] * 2
    assert all(number in po.notes for po in raised)
    assert [[(skus[line.product_id], line.quantity, line.unit_price, line.requested_date)
             for line in po.lines] for po in raised] == [
        [("P1", 5, 100, needed)],  # 15 wanted − 10 available, two lines merged
        [("P3", 1, 40, None)]]
    assert [p.total_amount for p in raised] == [D(500), D(40)]


async def test_region_and_salesperson_come_from_the_customer_unless_given(
    db: Database, world: World
) -> None:
    outcome = await order_for(db, world, [("P1", 1)], customer="C2")
    assert (outcome.view.order.region, outcome.view.salesperson) == ("North", "sales2")
    outcome = await order_for(db, world, [("P1", 1)], customer="C2", region="West",
                              salesperson="sales", currency="USD")
    assert (outcome.view.order.region, outcome.view.salesperson,
            outcome.view.order.currency) == ("West", "sales", "USD")


async def test_bad_input_is_refused_with_every_problem_and_changes_nothing(
    db: Database, world: World
) -> None:
    with pytest.raises(DomainError) as refused:
        await order_for(db, world, [("NOPE", 1), ("P1", 1)], customer="C9",
                        salesperson="warehouse")
    assert {(p.code, p.field) for p in refused.value.problems} == {("NOT_FOUND", "customerCode")}
    with pytest.raises(DomainError) as refused:
        await order_for(db, world, [("NOPE", 1), ("P1", 1)], salesperson="warehouse")
    assert {(p.code, p.field) for p in refused.value.problems} == {
        ("NOT_FOUND", "lines[0].sku"), ("INVALID_INPUT", "salespersonUsername")}
    with pytest.raises(DomainError) as refused:
        await order_for(db, world, [("P1", 1)], user="warehouse")
    assert refused.value.problems[0].code == "FORBIDDEN"
    assert await count_of(db, SalesOrder) == 0 and await level(db, "P1", Bucket.RESERVED) == 0


async def test_the_same_idempotency_key_takes_the_order_once(db: Database, world: World) -> None:
    key = uuid.uuid4().hex
    first = await order_for(db, world, [("P1", 2)], idempotency_key=key)
    again = await order_for(db, world, [("P1", 2)], idempotency_key=key)
    assert again.view.order.number == first.view.order.number
    assert await count_of(db, SalesOrder) == 1 and await level(db, "P1", Bucket.RESERVED) == 2


async def test_a_reservation_below_safety_stock_alerts_once_per_crossing(
    db: Database, world: World
) -> None:
    await products.update_product(db, world["purchaser"], "P1",
                                  ProductChanges(safety_stock=D(8)))
    await order_for(db, world, [("P1", 1)])  # 10 → 9: above
    crossing = await order_for(db, world, [("P1", 2)])  # 9 → 7
    await order_for(db, world, [("P1", 1)])  # 7 → 6: still below, no second alert
    low = await alerts(db, "LOW_STOCK")
    assert [(a["orderNumber"], a["sku"], a["quantity"]) for a in low] == [
        (crossing.view.order.number, "P1", "7.0000")]
    assert "below its safety stock of 8" in low[0]["message"]


async def test_more_reserves_or_backorders_less_releases_the_backorder_first(
    db: Database, world: World
) -> None:
    outcome = await order_for(db, world, [("P1", 8)], policy=BACKORDER)
    number = outcome.view.order.number
    outcome = await change(db, world, number, [SalesLineDraft("P1", D(12), D(250), line_no=1),
                                               SalesLineDraft("P3", D(1))])
    assert [(s.line_no, s.sku, s.requested, s.available) for s in outcome.shortages] == [
        (1, "P1", 4, 2), (2, "P3", 1, 0)]
    order = outcome.view.order
    assert [(line.line_no, line.quantity, line.unit_price, line.reserved_quantity,
             line.backordered_quantity) for line in order.lines] == [(1, 12, 250, 10, 2),
                                                                    (2, 1, 300, 0, 1)]
    assert order.version == 2 and order.total_amount == 3300
    outcome = await change(db, world, number, [SalesLineDraft("P1", D(9), line_no=1)])
    [line] = outcome.view.order.lines
    assert (line.quantity, line.unit_price, line.reserved_quantity, line.backordered_quantity) \
        == (9, 250, 9, 0)
    assert await level(db, "P1", Bucket.BACKORDERED) == 0
    assert await level(db, "P3", Bucket.BACKORDERED) == 0
    assert await level(db, "P1", Bucket.AVAILABLE) == 1
    assert sum((await reservations(db, number)).values()) == 9


async def test_reject_refuses_an_increase_it_cannot_reserve(db: Database, world: World) -> None:
    outcome = await order_for(db, world, [("P1", 8)])
    number = outcome.view.order.number
    with pytest.raises(ShortageRefused) as refused:
        await change(db, world, number, [SalesLineDraft("P1", D(5), line_no=1),
                                         SalesLineDraft("P1", D(6))])
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("lines[1].quantity", "line 2: 6 P1 requested, 5 available now; no supply expected")]
    view = await view_of(db, number)
    assert view.order.version == 1 and [line.reserved_quantity for line in view.order.lines] \
        == [8]
    assert await level(db, "P1", Bucket.AVAILABLE) == 2


async def test_an_update_checks_version_owner_lines_and_what_is_picked(
    db: Database, world: World
) -> None:
    number = (await order_for(db, world, [("P1", 5), ("P1", 1)])).view.order.number
    with pytest.raises(DomainError) as stale:
        await orders.update_sales_order(db, world["sales"], SalesOrderChanges(number, 7, notes="x"))
    assert stale.value.problems[0].code == "STALE_VERSION"
    with pytest.raises(DomainError) as foreign:
        await change(db, world, number, [SalesLineDraft("P1", D(1), line_no=1)], user="sales2")
    assert foreign.value.problems[0].code == "FORBIDDEN"
    async with db.transaction() as session:  # two of line 1 picked, as picking books it
        line = await session.scalar(select(SalesOrderLine).where(SalesOrderLine.line_no == 1))
        assert line is not None
        line.reserved_quantity -= 2
        line.picked_quantity += 2
    with pytest.raises(DomainError) as refused:
        await change(db, world, number, [SalesLineDraft("P1", D(1), line_no=1),
                                         SalesLineDraft("P3", D(1), line_no=2),
                                         SalesLineDraft("P1", D(1), line_no=9)])
    assert {(p.code, p.field) for p in refused.value.problems} == {
        ("INVALID_STATE", "lines[0].quantity"), ("INVALID_INPUT", "lines[1].sku"),
        ("NOT_FOUND", "lines[2].lineNo")}
    with pytest.raises(DomainError) as removing:
        await change(db, world, number, [SalesLineDraft("P1", D(1), line_no=2)])
    assert [p.code for p in removing.value.problems] == ["INVALID_STATE"]
    outcome = await change(db, world, number, [SalesLineDraft("P1", D(2), line_no=1)])
    assert [(line.line_no, line.quantity, line.reserved_quantity, line.picked_quantity)
            for line in outcome.view.order.lines] == [(1, 2, 0, 2)]
    assert await level(db, "P1", Bucket.AVAILABLE) == 4 + 3 + 1  # line 1 gave 3, line 2 its 1


async def test_cancel_releases_reservations_and_backorders(db: Database, world: World) -> None:
    outcome = await order_for(db, world, [("P1", 12), ("P3", 1)], policy=BACKORDER)
    number = outcome.view.order.number
    with pytest.raises(DomainError) as no_reason:
        await orders.cancel_sales_order(db, world["sales"], number, " ")
    assert no_reason.value.problems[0].field == "reason"
    view = await orders.cancel_sales_order(db, world["sales"], number, "customer withdrew", 1)
    assert (view.order.state, view.order.version) == ("cancelled", 2)
    assert view.order.cancelled_at is not None and "customer withdrew" in view.order.notes
    assert [(line.reserved_quantity, line.backordered_quantity) for line in view.order.lines] \
        == [(0, 0), (0, 0)]
    assert await level(db, "P1", Bucket.AVAILABLE) == 10
    assert await level(db, "P1", Bucket.RESERVED) == 0
    assert await level(db, "P1", Bucket.BACKORDERED) == 0
    assert await count_of(db, Reservation) == 0
    with pytest.raises(DomainError) as again:
        await orders.cancel_sales_order(db, world["sales"], number, "twice")
    assert again.value.problems[0].code == "INVALID_STATE"


async def test_an_order_with_a_picked_line_cannot_be_cancelled(
    db: Database, world: World
) -> None:
    number = (await order_for(db, world, [("P1", 3)])).view.order.number
    async with db.transaction() as session:
        line = await session.scalar(select(SalesOrderLine))
        assert line is not None
        line.reserved_quantity -= 1
        line.picked_quantity += 1
    with pytest.raises(DomainError) as refused:
        await orders.cancel_sales_order(db, world["sales"], number, "too late")
    assert refused.value.problems[0].code == "INVALID_STATE"
    assert (await view_of(db, number)).order.state == "open"


async def test_a_line_keeps_the_requested_date_it_was_taken_with(
    db: Database, world: World
) -> None:
    number = (await order_for(db, world, [("P1", 1)])).view.order.number
    last_week, yesterday = TODAY - timedelta(days=7), TODAY - timedelta(days=1)
    async with db.transaction() as session:  # an order taken a week ago, due yesterday
        order = await session.scalar(select(SalesOrder))
        line = await session.scalar(select(SalesOrderLine))
        assert order is not None and line is not None
        order.order_date, line.requested_date = last_week, yesterday
    outcome = await change(db, world, number, [
        SalesLineDraft("P1", D(2), requested_date=yesterday, line_no=1)])
    assert [(line.quantity, line.requested_date) for line in outcome.view.order.lines] == [
        (2, yesterday)]
    with pytest.raises(DomainError) as refused:
        await change(db, world, number, [
            SalesLineDraft("P1", D(2), requested_date=last_week - timedelta(1), line_no=1)])
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("lines[0].requestedDate", "requested date lies before the order date")]
