"""Purchase orders through approval to the supplier and into transit, on the service layer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec, TaskStatus
from server.auth import Role
from server.catalog.models import Product
from server.db import Database, utcnow
from server.errors import DomainError
from server.inventory.models import Bucket, StockPosition
from server.purchasing import orders, portal
from server.purchasing.models import PurchaseOrder
from server.purchasing.orders import OrderChanges, OrderDraft
from server.purchasing.rules import LineDraft
from server.purchasing.states import PoState
from tests.world import World, build_world

MANAGER_STEP = StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))
FINANCE_STEP = StepSpec("finance", Mode.ALL, "amount >= 50000", (Role.FINANCE_DIRECTOR,))


@pytest.fixture
async def world(db: Database) -> World:
    world = await build_world(db)
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE,
                               [MANAGER_STEP, FINANCE_STEP])
    return world


async def level(db: Database, sku: str, bucket: Bucket) -> Decimal:
    async with db.reader() as session:
        quantity = await session.scalar(
            select(StockPosition.quantity).join(Product, Product.id == StockPosition.product_id)
            .where(Product.sku == sku, StockPosition.bucket == bucket.value))
    return quantity or Decimal(0)


async def pending_task(db: Database, world: World, username: str) -> int:
    async with db.reader() as session:
        tasks = await approvals.tasks_of(session, world[username])
    assert len(tasks) == 1, tasks
    return tasks[0][0].id


async def approved_order(db: Database, world: World, units: int) -> PurchaseOrder:
    """An order of P1 from S1 that the manager approved (so sent to the supplier)."""
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(units))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    await approvals.decide(db, world["manager"], await pending_task(db, world, "manager"),
                           True, None)
    return order


def order_of(amount_units: int) -> OrderDraft:
    return OrderDraft("S1", "WH1", [LineDraft("P1", Decimal(amount_units))])


async def test_60000_order_needs_manager_and_finance_then_ships(db: Database, world: World) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(600))
    assert order.number.startswith(f"PO-{utcnow().year}-")
    assert order.total_amount == Decimal("60000")
    order = await orders.submit_purchase_order(db, world["purchaser"], order.number)
    assert order.state == PoState.PENDING_APPROVAL

    await approvals.decide(db, world["manager"], await pending_task(db, world, "manager"),
                           True, "ok")
    assert await level(db, "P1", Bucket.ON_ORDER) == 0, "not on order before finance approves"
    await approvals.decide(db, world["finance"], await pending_task(db, world, "finance"),
                           True, None)
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(600)

    supplier = world["s1"]
    delivery = utcnow().date() + timedelta(days=10)
    order = await portal.confirm_purchase_order(
        db, supplier, order.number, [portal.LineConfirmation(1, Decimal(600), delivery)])
    assert order.state == PoState.CONFIRMED
    assert order.lines[0].confirmed_date == delivery
    notice, order = await portal.create_shipment_notice(db, supplier, portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(300), lot="L1")], carrier="SF"))
    assert notice.number.startswith("ASN-")
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(300)
    assert await level(db, "P1", Bucket.IN_TRANSIT) == Decimal(300)


async def test_30000_order_needs_only_the_manager(db: Database, world: World) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(300))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    request = await approvals.decide(db, world["manager"],
                                     await pending_task(db, world, "manager"), True, None)
    assert request.status == "approved"
    async with db.reader() as session:
        assert await approvals.tasks_of(session, world["finance"]) == []
        final = await orders.load_order(session, order.number)
    assert final.state == PoState.SENT


async def test_any_step_finishes_on_first_approval_and_withdraws_the_others(
    db: Database, world: World
) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(10))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    await approvals.decide(db, world["manager2"], await pending_task(db, world, "manager2"),
                           True, None)
    async with db.reader() as session:
        others = await approvals.tasks_of(session, world["manager"], status=None)
        final = await orders.load_order(session, order.number)
    assert [t.status for t, _ in others] == [TaskStatus.WITHDRAWN]
    assert final.state == PoState.SENT


async def test_all_step_needs_every_approver(db: Database, world: World) -> None:
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE,
                               [StepSpec("managers", Mode.ALL, None, (Role.PURCHASE_MANAGER,))])
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(10))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    for username in ("manager", "manager2"):
        request = await approvals.decide(db, world[username],
                                         await pending_task(db, world, username), True, None)
        assert request.status == "pending"
    request = await approvals.decide(db, world["manager3"],
                                     await pending_task(db, world, "manager3"), True, None)
    assert request.status == "approved"


async def test_rejection_returns_the_order_to_draft_with_the_comment(
    db: Database, world: World
) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(600))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    await approvals.decide(db, world["manager"], await pending_task(db, world, "manager"),
                           True, None)
    with pytest.raises(DomainError, match="comment"):
        await approvals.decide(db, world["finance"], await pending_task(db, world, "finance"),
                               False, "  ")
    await approvals.decide(db, world["finance"], await pending_task(db, world, "finance"),
                           False, "too expensive")
    async with db.reader() as session:
        final = await orders.load_order(session, order.number)
    assert (final.state, final.rejection_comment) == (PoState.DRAFT, "too expensive")
    assert await level(db, "P1", Bucket.ON_ORDER) == 0


async def test_policy_version_is_kept_by_a_running_request(db: Database, world: World) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(10))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE, [
        StepSpec("finance only", Mode.ANY, None, (Role.FINANCE_DIRECTOR,))])
    request = await approvals.decide(db, world["manager"],
                                     await pending_task(db, world, "manager"), True, None)
    assert request.status == "approved"


async def test_self_approval_is_refused(db: Database, world: World) -> None:
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE,
                               [StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    only_manager_left = world["manager"]
    order = await orders.create_purchase_order(db, only_manager_left, order_of(10))
    await orders.submit_purchase_order(db, only_manager_left, order.number)
    async with db.reader() as session:
        assert await approvals.tasks_of(session, only_manager_left) == []


async def test_editing_beyond_the_approved_amount_sends_it_back(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, 100)
    smaller = await orders.update_purchase_order(db, world["purchaser"], OrderChanges(
        order.number, lines=[LineDraft("P1", Decimal(80))], line_numbers=[1]))
    assert smaller.state == PoState.SENT
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(80)
    bigger = await orders.update_purchase_order(db, world["purchaser"], OrderChanges(
        order.number, based_on_version=smaller.version,
        lines=[LineDraft("P1", Decimal(120))], line_numbers=[1]))
    assert bigger.state == PoState.PENDING_APPROVAL
    assert await level(db, "P1", Bucket.ON_ORDER) == 0
    await approvals.decide(db, world["manager"], await pending_task(db, world, "manager"),
                           True, None)
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(120)


async def test_stale_version_and_bad_transitions_are_typed_errors(
    db: Database, world: World
) -> None:
    order = await orders.create_purchase_order(db, world["purchaser"], order_of(10))
    with pytest.raises(DomainError) as stale:
        await orders.submit_purchase_order(db, world["purchaser"], order.number,
                                           based_on_version=order.version + 5)
    assert stale.value.problems[0].code == "STALE_VERSION"
    with pytest.raises(DomainError) as not_sent:
        await portal.confirm_purchase_order(db, world["purchaser"], order.number, [
            portal.LineConfirmation(1, Decimal(10), utcnow().date())])
    assert not_sent.value.problems[0].code == "INVALID_STATE"


async def test_cancel_releases_what_was_on_order(db: Database, world: World) -> None:
    order = await approved_order(db, world, 10)
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(10)
    cancelled = await orders.cancel_purchase_order(db, world["purchaser"], order.number,
                                                   "customer withdrew")
    assert cancelled.state == PoState.CANCELLED
    assert await level(db, "P1", Bucket.ON_ORDER) == 0


async def test_over_shipment_beyond_tolerance_is_refused(db: Database, world: World) -> None:
    order = await approved_order(db, world, 100)
    with pytest.raises(DomainError) as over:
        await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
            order.number, [portal.NoticeLine(1, Decimal(106))]))
    assert over.value.problems[0].code == "OVER_SHIPMENT"
    await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(105))]))
    assert await level(db, "P1", Bucket.IN_TRANSIT) == Decimal(105)
    assert await level(db, "P1", Bucket.ON_ORDER) == 0


async def test_another_suppliers_order_is_not_found(db: Database, world: World) -> None:
    order = await approved_order(db, world, 10)
    for action in (
        portal.confirm_purchase_order(db, world["s2"], order.number, [
            portal.LineConfirmation(1, Decimal(10), utcnow().date())]),
        portal.decline_purchase_order(db, world["s2"], order.number, "no"),
        portal.create_shipment_notice(db, world["s2"], portal.NoticeDraft(
            order.number, [portal.NoticeLine(1, Decimal(1))])),
    ):
        with pytest.raises(DomainError) as hidden:
            await action
        assert hidden.value.problems[0].code == "NOT_FOUND"


async def test_closing_a_line_short_releases_the_rest_and_closes_the_order(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, 100)
    await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(60))]))
    assert await level(db, "P1", Bucket.ON_ORDER) == Decimal(40)
    closed = await orders.close_line_short(db, world["purchaser"], order.number, 1,
                                           "supplier out of stock")
    assert closed.state == PoState.CLOSED
    assert await level(db, "P1", Bucket.ON_ORDER) == 0
    assert await level(db, "P1", Bucket.IN_TRANSIT) == Decimal(60)
    with pytest.raises(DomainError) as again:
        await orders.close_line_short(db, world["purchaser"], order.number, 1, "again")
    assert again.value.problems[0].code == "INVALID_STATE"
