"""Payables on the service layer: supplier invoices matched against a PO received at two
receipts, duplicates refused, approval for payment under and over the policy threshold."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database
from server.errors import DomainError
from server.finance import payables
from server.finance.match_rules import InvoiceLineDraft
from server.finance.models import MatchResult, SupplierInvoice, SupplierInvoiceState
from server.finance.payables import SupplierInvoiceDraft
from server.finance.policy import PolicyChanges, set_finance_policy
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult
from tests.receiving_setup import approved_order, order_line, receive, receiving_world
from tests.world import World

D = Decimal
TODAY = date(2026, 11, 20)


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


@pytest.fixture
async def received_order(db: Database, world: World) -> str:
    """An order of 10 P1 at 100 and 4 P2 at 250: P1 received 6 then 4 at two receipts (no QC),
    P2 received 3 at the first and passed QC: accepted 10 and 3."""
    order = await approved_order(db, world, {"P1": 10, "P2": 4})
    first = await receive(db, world, order.number, [("P1", 6, "L1"), ("P2", 3, "L1")])
    await receive(db, world, order.number, [("P1", 4, "L2")])
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=first.task_of(2).id, result=InspectionResult.PASS,
        idempotency_key=uuid.uuid4().hex, accepted_quantity=D(3)))
    assert (await order_line(db, order.number, "P1")).accepted_quantity == D(10)
    assert (await order_line(db, order.number, "P2")).accepted_quantity == D(3)
    return order.number


def invoice(number: str, *lines: tuple[str, int, str, str], supplier: str = "S1",
            tax: str = "0") -> SupplierInvoiceDraft:
    return SupplierInvoiceDraft(
        supplier, number, TODAY, tax=D(tax),
        lines=[InvoiceLineDraft(po, line_no, D(quantity), D(price))
               for po, line_no, quantity, price in lines])


async def refused(db: Database, world: World, draft: SupplierInvoiceDraft) -> DomainError:
    before = await invoice_count(db)
    with pytest.raises(DomainError) as raised:
        await payables.record_supplier_invoice(db, world["finance"], draft)
    assert await invoice_count(db) == before, "a refused invoice changes nothing"
    return raised.value


async def invoice_count(db: Database) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(SupplierInvoice)) or 0


async def test_price_variance_and_invoiced_beyond_receipt(
    db: Database, world: World, received_order: str
) -> None:
    recorded = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-001", (received_order, 1, 10, "104.50"), (received_order, 2, 4, "250"),
        tax="265.85"))
    async with db.reader() as session:
        saved = await payables.load_invoice(session, recorded.id)
    assert saved.state == SupplierInvoiceState.VARIANCE
    price_line, quantity_line = saved.lines
    # 10 × (104.50 − 100) = 45.00
    assert (price_line.result, price_line.price_variance, price_line.quantity_variance) == (
        MatchResult.PRICE_VARIANCE, D("45.00"), D(0))
    assert (price_line.ordered_quantity, price_line.accepted_quantity,
            price_line.order_price) == (D(10), D(10), D(100))
    # 4 invoiced, 3 accepted: 1 × 250 = 250.00
    assert (quantity_line.result, quantity_line.price_variance,
            quantity_line.quantity_variance) == (MatchResult.QUANTITY_VARIANCE, D(0), D("250.00"))
    # 10 × 104.50 + 4 × 250 = 2045.00, + 265.85 tax
    assert (saved.subtotal, saved.tax, saved.total) == (D("2045.00"), D("265.85"), D("2310.85"))

    corrected = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-001-C", (received_order, 1, 10, "100"), (received_order, 2, 3, "250")))
    assert corrected.state == SupplierInvoiceState.MATCHED, "the held invoice bills nothing"
    again = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-002", (received_order, 1, 1, "100")))
    assert again.state == SupplierInvoiceState.VARIANCE
    [line] = again.lines
    assert (line.result, line.quantity_variance) == (MatchResult.NOT_RECEIVED, D("100.00")), \
        "the 10 accepted were invoiced already: the same receipt is not invoiced twice"


async def test_two_invoices_share_the_accepted_quantity(
    db: Database, world: World, received_order: str
) -> None:
    first = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-010", (received_order, 1, 6, "100")))
    second = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-011", (received_order, 1, 4, "100"), (received_order, 1, 1, "100")))
    assert first.state == SupplierInvoiceState.MATCHED
    assert [line.result for line in second.lines] == [MatchResult.MATCHED,
                                                      MatchResult.NOT_RECEIVED]


async def test_duplicate_and_unknown_references_are_refused(
    db: Database, world: World, received_order: str
) -> None:
    await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-020", (received_order, 1, 1, "100")))
    duplicate = await refused(db, world, invoice("F-020", (received_order, 1, 1, "100")))
    assert duplicate.problems[0].code == "DUPLICATE_INVOICE"
    unknown_order = await refused(db, world, invoice("F-021", ("PO-1999-000001", 1, 1, "100")))
    assert (unknown_order.problems[0].code, unknown_order.problems[0].field) == (
        "NOT_FOUND", "lines[0].poNumber")
    unknown_line = await refused(db, world, invoice("F-021", (received_order, 9, 1, "100")))
    assert (unknown_line.problems[0].code, unknown_line.problems[0].field) == (
        "NOT_FOUND", "lines[0].lineNo")
    foreign = await refused(db, world, invoice("F-021", (received_order, 1, 1, "100"),
                                               supplier="S2"))
    assert foreign.problems[0].code == "WRONG_SUPPLIER"
    with pytest.raises(DomainError) as forbidden:
        await payables.record_supplier_invoice(db, world["purchaser"], invoice(
            "F-022", (received_order, 1, 1, "100")))
    assert forbidden.value.problems[0].code == "FORBIDDEN"


async def test_approval_under_the_threshold_is_immediate(
    db: Database, world: World, received_order: str
) -> None:
    held = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-030", (received_order, 1, 1, "120")))
    with pytest.raises(DomainError) as not_matched:
        await payables.approve_supplier_invoice(db, world["finance"], held.id)
    assert not_matched.value.problems[0].code == "NOT_MATCHED"
    matched = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-031", (received_order, 1, 5, "100"), tax="65"))
    approved = await payables.approve_supplier_invoice(db, world["finance"], matched.id)
    assert approved.state == SupplierInvoiceState.APPROVED
    assert approved.decided_at is not None


@pytest.mark.parametrize("approve", [True, False])
async def test_approval_over_the_threshold_goes_through_the_flow(
    db: Database, world: World, received_order: str, approve: bool
) -> None:
    await set_finance_policy(db, world["finance"], PolicyChanges(approval_threshold=D(500)))
    await approvals.set_policy(db, world.admin, payables.DOCUMENT_TYPE, [
        StepSpec("finance", Mode.ANY, "amount > 500", (Role.FINANCE_DIRECTOR,))])
    matched = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-040", (received_order, 1, 10, "100"), tax="130"))
    pending = await payables.approve_supplier_invoice(db, world.admin, matched.id)
    assert pending.state == SupplierInvoiceState.PENDING_APPROVAL
    async with db.reader() as session:
        [(task, request)] = await approvals.tasks_of(session, world["finance"])
    assert (request.document_type, request.document_number) == ("SUPPLIER_INVOICE", "F-040")
    await approvals.decide(db, world["finance"], task.id, approve, None if approve else "no")
    async with db.reader() as session:
        decided = await payables.load_invoice(session, matched.id)
    assert decided.state == (SupplierInvoiceState.APPROVED if approve
                             else SupplierInvoiceState.REJECTED)
    assert decided.decided_at is not None


async def test_policy_tolerances_apply_to_the_match(
    db: Database, world: World, received_order: str
) -> None:
    await set_finance_policy(db, world["finance"], PolicyChanges(
        price_tolerance_pct=D(2), quantity_tolerance_pct=D(10)))
    within = await payables.record_supplier_invoice(db, world["finance"], invoice(
        "F-050", (received_order, 1, 11, "102")))
    assert within.state == SupplierInvoiceState.MATCHED
    with pytest.raises(DomainError) as forbidden:
        await set_finance_policy(db, world["manager"], PolicyChanges(approval_threshold=D(1)))
    assert forbidden.value.problems[0].code == "FORBIDDEN"
    with pytest.raises(DomainError) as invalid:
        await set_finance_policy(db, world["finance"], PolicyChanges(price_tolerance_pct=D(-1)))
    assert invalid.value.problems[0].field == "priceTolerancePct"


async def test_concurrent_invoices_of_the_same_goods_match_one_after_the_other(
    db: Database, world: World, received_order: str
) -> None:
    first, second = await asyncio.gather(*(
        payables.record_supplier_invoice(db, world["finance"], invoice(
            number, (received_order, 1, 10, "100"))) for number in ("F-060", "F-061")))
    assert sorted([first.state, second.state]) == [SupplierInvoiceState.MATCHED,
                                                   SupplierInvoiceState.VARIANCE]
    assert {first.lines[0].result, second.lines[0].result} == {MatchResult.MATCHED,
                                                               MatchResult.NOT_RECEIVED}
