"""Shipping purchase returns: the held goods leave at their moving-average cost, the PO lines'
counts follow, a debit note credits the supplier (set against what its invoices billed, the
rest open), retries replay, refusals change nothing; and the e2e from QC rejection to credit."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database, utcnow
from server.errors import DomainError
from server.events import Event
from server.finance import payables
from server.finance.match_rules import InvoiceLineDraft
from server.finance.models import MatchResult, SupplierInvoiceState
from server.finance.payables import SupplierInvoiceDraft
from server.finance.returns import ship_purchase_return, supplier_account
from server.finance.scorecard import supplier_scorecard
from server.inventory.models import Bucket, StockLedger
from server.purchasing.return_events import TOPIC
from server.purchasing.return_states import ReturnState
from server.purchasing.returns import DOCUMENT_TYPE, create_purchase_return
from tests.ledger_invariants import assert_ledger_consistent
from tests.receiving_setup import level, order_line, receiving_world
from tests.return_setup import Goods, draft, goods_to_return, line
from tests.stock_setup import snapshot
from tests.world import World

D = Decimal
AVAILABLE, REJECTED = Bucket.AVAILABLE, Bucket.REJECTED


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


@pytest.fixture
async def goods(db: Database, world: World) -> Goods:
    return await goods_to_return(db, world)


async def invoice_accepted_goods(db: Database, world: World, order_number: str) -> None:
    """S1 bills what was accepted: P1 10 at 100 (line 1) and P2 6 at 250 (line 2)."""
    recorded = await payables.record_supplier_invoice(db, world["finance"], SupplierInvoiceDraft(
        "S1", "INV-1", date(2026, 11, 20), lines=[InvoiceLineDraft(order_number, 1, D(10), D(100)),
                                                 InvoiceLineDraft(order_number, 2, D(6), D(250))]))
    assert recorded.state == SupplierInvoiceState.MATCHED
    approved = await payables.approve_supplier_invoice(db, world["finance"], recorded.id)
    assert approved.state == SupplierInvoiceState.APPROVED


async def ship(db: Database, world: World, number: str, key: str | None = None,
               user: str = "warehouse") -> object:
    return await ship_purchase_return(db, world[user], number, key or uuid.uuid4().hex)


async def test_shipping_moves_the_goods_out_at_cost_and_the_po_lines_follow(
    db: Database, world: World, goods: Goods
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED), line("P1", 2, AVAILABLE)))
    shipped = await ship_purchase_return(db, world["warehouse"], created.number, "k-1")
    assert shipped.purchase_return.state == ReturnState.SHIPPED
    assert [(r.quantity, r.unit_cost) for r in shipped.purchase_return.lines] == [
        (D(4), D(250)), (D(2), D(100))]
    assert await level(db, "P2", REJECTED) == D(0)
    assert await level(db, "P1", REJECTED) == D(0)
    assert await level(db, "P1", AVAILABLE) == D(8)
    async with db.reader() as session:
        out = list(await session.scalars(select(StockLedger).where(
            StockLedger.document_number == created.number, StockLedger.to_bucket.is_(None))))
    assert sorted((row.quantity, row.value) for row in out) == [(D(2), D(200)), (D(4), D(1000))]
    p1 = await order_line(db, goods.order_number, "P1")
    p2 = await order_line(db, goods.order_number, "P2")
    assert (p1.received_quantity, p1.accepted_quantity, p1.rejected_quantity) == (
        D(10), D(8), D(2))
    assert (p2.received_quantity, p2.accepted_quantity, p2.rejected_quantity) == (
        D(10), D(6), D(4))
    async with db.reader() as session:
        [event] = await session.scalars(select(Event).where(
            Event.topic == TOPIC, Event.kind == "PR_SHIPPED"))
    assert event.payload["debitNote"] == shipped.debit_note.number
    assert event.payload["visibleToSupplier"] == 1
    await assert_ledger_consistent(db)


async def test_the_debit_note_lowers_what_is_owed_by_what_invoices_billed(
    db: Database, world: World, goods: Goods
) -> None:
    await invoice_accepted_goods(db, world, goods.order_number)
    async with db.reader() as session:
        before = await supplier_account(session, world["finance"], "S1")
    assert (before.invoiced, before.owed, before.open_credit) == (D(2500), D(2500), D(0))
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED), line("P1", 2, AVAILABLE)))
    note = (await ship(db, world, created.number)).debit_note  # type: ignore[attr-defined]
    assert note.number.startswith("DN-")
    assert (note.amount, note.applied_amount) == (D(1200), D(200))
    # the rejected P2 were never billed (open credit); the billed P1 sent back are credited
    assert [(n.quantity, n.amount, n.applied_quantity, n.supplier_invoice_id is not None)
            for n in note.lines] == [(D(4), D(1000), D(0), False), (D(2), D(200), D(2), True)]
    async with db.reader() as session:
        after = await supplier_account(session, world["s1"], "S1")
    assert (after.invoiced, after.credited, after.owed, after.open_credit) == (
        D(2500), D(200), D(2300), D(1000))
    # the goods sent back can no longer be billed: a new invoice for them does not match
    again = await payables.record_supplier_invoice(db, world["finance"], SupplierInvoiceDraft(
        "S1", "INV-2", date(2026, 11, 21),
        lines=[InvoiceLineDraft(goods.order_number, 1, D(2), D(100))]))
    assert [line.result for line in again.lines] == [MatchResult.NOT_RECEIVED]


async def test_a_retry_with_the_same_key_replays_and_ships_nothing_again(
    db: Database, world: World, goods: Goods
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(line("P1", 2, AVAILABLE)))
    first = await ship_purchase_return(db, world["warehouse"], created.number, "same-key")
    before = await snapshot(db)
    again = await ship_purchase_return(db, world["warehouse"], created.number, "same-key")
    assert await snapshot(db) == before
    assert again.debit_note.number == first.debit_note.number
    with pytest.raises(DomainError) as raised:
        await ship(db, world, created.number)
    assert raised.value.problems[0].code == "INVALID_STATE"


async def test_a_return_waiting_for_approval_or_asked_by_the_wrong_role_does_not_ship(
    db: Database, world: World, goods: Goods
) -> None:
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    created = await create_purchase_return(db, world["purchaser"], draft(line("P1", 2, AVAILABLE)))
    before = await snapshot(db)
    for user, code in [("warehouse", "INVALID_STATE"), ("purchaser", "FORBIDDEN"),
                       ("s1", "FORBIDDEN")]:
        with pytest.raises(DomainError) as raised:
            await ship(db, world, created.number, user=user)
        assert raised.value.problems[0].code == code
    with pytest.raises(DomainError) as raised:
        await ship(db, world, "PR-1999-000001")
    assert raised.value.problems[0].code == "NOT_FOUND"
    assert await snapshot(db) == before


async def test_supplier_users_read_only_their_own_account(
    db: Database, world: World, goods: Goods
) -> None:
    async with db.reader() as session:
        with pytest.raises(DomainError) as raised:
            await supplier_account(session, world["s2"], "S1")
        assert raised.value.problems[0].code == "NOT_FOUND"
        with pytest.raises(DomainError) as raised:
            await supplier_account(session, world["sales"], "S1")
        assert raised.value.problems[0].code == "FORBIDDEN"


async def test_e2e_qc_rejected_goods_go_back_to_the_supplier_with_a_credit(
    db: Database, world: World
) -> None:
    """Order → receipt → QC rejects 4 of 10 → invoice of the 6 accepted → over-threshold return
    approved by a manager → shipped: the stock leaves, the supplier has its debit note and sees
    the return, and the ledger is consistent."""
    goods = await goods_to_return(db, world)
    await invoice_accepted_goods(db, world, goods.order_number)
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, "amount > 500.0", (Role.PURCHASE_MANAGER,))])
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED, po_number=goods.order_number, reason="cracked housings")))
    assert created.state == ReturnState.PENDING_APPROVAL
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    shipped = await ship_purchase_return(db, world["warehouse"], created.number, "e2e")
    assert (shipped.debit_note.amount, shipped.debit_note.applied_amount) == (D(1000), D(0))
    assert await level(db, "P2", REJECTED) == D(0)
    assert await level(db, "P2", AVAILABLE) == D(6)
    async with db.reader() as session:
        account = await supplier_account(session, world["s1"], "S1")
        kinds = [event.kind for event in await session.scalars(
            select(Event).where(Event.topic == TOPIC).order_by(Event.id))]
    assert (account.owed, account.open_credit) == (D(2500), D(1000))
    assert kinds == ["PR_CREATED", "PR_APPROVED", "PR_SHIPPED"]
    today = utcnow().date()
    async with db.reader() as session:
        [row] = (await supplier_scorecard(session, world["finance"], today, today, "S1")).rows
    # 20 received (10 P1, 10 P2), 4 of them sent back
    assert (row.returned_quantity, row.return_rate_pct) == (D(4), D("20.00"))
    assert row.reject_rate_pct == D("40.00")  # QC: 4 of the 10 P2 inspected
    await assert_ledger_consistent(db)
