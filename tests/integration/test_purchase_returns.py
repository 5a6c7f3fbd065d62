"""Purchase returns on the service layer: creating one holds the goods, refusals name the
numbers and change nothing, approval over a threshold through the PURCHASE_RETURN flow, rejection
and cancellation release the goods, and supplier users see only their own approved returns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.catalog.queries import PageRequest
from server.db import Database
from server.errors import DomainError
from server.events import Event
from server.inventory.models import Bucket
from server.purchasing import return_queries
from server.purchasing.return_events import TOPIC
from server.purchasing.return_rules import ReturnDraft
from server.purchasing.return_states import ReturnState
from server.purchasing.returns import (
    DOCUMENT_TYPE,
    cancel_purchase_return,
    create_purchase_return,
)
from tests.receiving_setup import approved_order, bins_of, level, receive, receiving_world
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


async def refusal(db: Database, world: World, request: ReturnDraft,
                  user: str = "purchaser") -> DomainError:
    before, events_before = await snapshot(db), await return_kinds(db)
    with pytest.raises(DomainError) as raised:
        await create_purchase_return(db, world[user], request)
    assert await snapshot(db) == before, "a refused return changes no stock"
    assert await return_kinds(db) == events_before, "nor writes an event"
    return raised.value


async def return_kinds(db: Database) -> list[tuple[str, str]]:
    async with db.reader() as session:
        return [(event.kind, event.payload["state"]) for event in await session.scalars(
            select(Event).where(Event.topic == TOPIC).order_by(Event.id))]


async def test_rejected_goods_are_returned_from_the_rejected_bin_and_approved_at_once(
    db: Database, world: World, goods: Goods
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED, po_number=goods.order_number)))
    assert created.number.startswith("PR-")
    assert (created.state, created.total_amount, created.currency) == (
        ReturnState.APPROVED, D(1000), "CNY")
    [returned] = created.lines
    assert (returned.quantity, returned.unit_price, returned.lot, returned.from_bucket) == (
        D(4), D(250), "L1", "rejected")
    # rejected goods are already out of sellable stock: nothing moves until they ship
    assert await level(db, "P2", REJECTED) == D(4)
    assert await return_kinds(db) == [("PR_CREATED", "pending_approval"),
                                      ("PR_APPROVED", "approved")]


async def test_available_goods_are_held_in_their_bin_so_nobody_sells_them(
    db: Database, world: World, goods: Goods
) -> None:
    await create_purchase_return(db, world["purchaser"], draft(line("P1", 3, AVAILABLE)))
    assert await level(db, "P1", AVAILABLE) == D(7)
    assert await level(db, "P1", REJECTED) == D(3)
    assert await bins_of(db, "P1") == {("WH1-RCV", "L1"): D(10)}


async def test_returning_more_than_was_received_is_refused_with_the_numbers(
    db: Database, world: World, goods: Goods
) -> None:
    error = await refusal(db, world, draft(line("P2", 5, REJECTED, po_number=goods.order_number)))
    # only 4 lie in the rejected bin too: both shortages come back at once
    assert [(p.code, p.field) for p in error.problems] == [
        ("OVER_RETURN", "lines[0].quantity"), ("INSUFFICIENT_STOCK", "lines[0].quantity")]
    problem = error.problems[0]
    assert "returning 5 P2 from rejected but only 4 received on" in problem.message
    assert "accepted 6, rejected 4, can still return 4" in problem.message


async def test_open_returns_count_against_what_may_still_go_back(
    db: Database, world: World, goods: Goods
) -> None:
    await create_purchase_return(db, world["purchaser"], draft(line("P1", 3, AVAILABLE)))
    error = await refusal(db, world, draft(line("P1", 8, AVAILABLE)))
    assert error.problems[0].code == "OVER_RETURN"
    assert "only 7 received from this supplier can go back" in error.problems[0].message


async def test_returning_more_than_lies_in_the_bucket_is_refused_with_the_numbers(
    db: Database, world: World, goods: Goods
) -> None:
    error = await refusal(db, world, draft(line("P2", 2, REJECTED, lot="L9")))
    assert [(p.code, p.field) for p in error.problems] == [
        ("INSUFFICIENT_STOCK", "lines[0].quantity")]
    assert "only 0 lie there in WH1" in error.problems[0].message
    # 4 rejected: one return holds 3 of them, so a second may take only 1
    await create_purchase_return(db, world["purchaser"], draft(line("P2", 3, REJECTED)))
    error = await refusal(db, world, draft(line("P2", 2, REJECTED)))
    assert {p.code for p in error.problems} == {"OVER_RETURN", "INSUFFICIENT_STOCK"}
    shortage = next(p for p in error.problems if p.code == "INSUFFICIENT_STOCK")
    assert "only 1 lie there in WH1 not held already (WH1-REJ 1)" in shortage.message


async def test_goods_of_another_supplier_or_unknown_names_are_refused(
    db: Database, world: World, goods: Goods
) -> None:
    error = await refusal(db, world, draft(line("P1", 1, AVAILABLE), supplier="S2"))
    assert error.problems[0].code == "OVER_RETURN"
    assert "none received" in error.problems[0].message
    error = await refusal(db, world, draft(line("P9", 1, AVAILABLE), supplier="S9"))
    assert [p.field for p in error.problems] == ["supplierCode"]
    error = await refusal(db, world, draft(line("P1", 1, AVAILABLE, po_number="PO-1999-000001")))
    assert [(p.code, p.field) for p in error.problems] == [("NOT_FOUND", "lines[0].poNumber")]


async def test_only_purchasers_create_returns(db: Database, world: World, goods: Goods) -> None:
    error = await refusal(db, world, draft(line("P1", 1, AVAILABLE)), user="warehouse")
    assert error.problems[0].code == "FORBIDDEN"


async def test_a_return_over_the_threshold_waits_for_approval_and_a_rejection_releases_it(
    db: Database, world: World, goods: Goods
) -> None:
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, "amount > 500.0", (Role.PURCHASE_MANAGER,))])
    small = await create_purchase_return(db, world["purchaser"], draft(line("P1", 2, AVAILABLE)))
    assert small.state == ReturnState.APPROVED
    large = await create_purchase_return(db, world["purchaser"], draft(line("P1", 6, AVAILABLE)))
    assert large.state == ReturnState.PENDING_APPROVAL
    assert await level(db, "P1", AVAILABLE) == D(2)
    async with db.reader() as session:
        [(task, request)] = await approvals.tasks_of(session, world["manager"])
    assert request.document_number == large.number
    await approvals.decide(db, world["manager"], task.id, False, "repair them here")
    async with db.reader() as session:
        found = await return_queries.purchase_return(session, world["purchaser"], large.number)
    assert found is not None
    assert (found.state, found.closed_comment) == (ReturnState.REJECTED, "repair them here")
    assert await level(db, "P1", AVAILABLE) == D(8)


async def test_an_approval_moves_the_return_on(db: Database, world: World, goods: Goods) -> None:
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED)))
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    async with db.reader() as session:
        found = await return_queries.purchase_return(session, world["purchaser"], created.number)
    assert found is not None and found.state == ReturnState.APPROVED


async def test_cancelling_releases_held_goods_and_is_refused_twice(
    db: Database, world: World, goods: Goods
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P1", 3, AVAILABLE), line("P2", 1, REJECTED)))
    cancelled = await cancel_purchase_return(db, world["purchaser"], created.number, "sorted")
    assert cancelled.state == ReturnState.CANCELLED
    assert await level(db, "P1", AVAILABLE) == D(10)
    assert await level(db, "P1", REJECTED) == D(0)
    with pytest.raises(DomainError) as raised:
        await cancel_purchase_return(db, world["purchaser"], created.number, "again")
    assert raised.value.problems[0].code == "INVALID_STATE"
    # cancelled returns no longer count: the whole quantity may go back again
    again = await create_purchase_return(db, world["purchaser"], draft(line("P1", 10, AVAILABLE)))
    assert again.state == ReturnState.APPROVED


async def test_one_line_spanning_bins_becomes_several_return_lines(
    db: Database, world: World, goods: Goods
) -> None:
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P2", 4, REJECTED), line("P2", 6, AVAILABLE)))
    assert [(r.request_index, r.quantity, r.from_bucket) for r in created.lines] == [
        (0, D(4), "rejected"), (1, D(6), "available")]
    assert await level(db, "P2", AVAILABLE) == D(0)


async def test_supplier_users_see_only_their_own_approved_returns(
    db: Database, world: World, goods: Goods
) -> None:
    await approvals.set_policy(db, world.admin, DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, "amount > 500.0", (Role.PURCHASE_MANAGER,))])
    approved = await create_purchase_return(db, world["purchaser"], draft(
        line("P1", 2, AVAILABLE)))
    pending = await create_purchase_return(db, world["purchaser"], draft(
        line("P1", 6, AVAILABLE)))
    page = PageRequest(first=10, after=None, max_page_size=100)
    async with db.reader() as session:
        mine = await return_queries.list_returns(session, world["s1"], page,
                                                 return_queries.ReturnFilter())
        theirs = await return_queries.list_returns(session, world["s2"], page,
                                                   return_queries.ReturnFilter())
        staff = await return_queries.list_returns(session, world["purchaser"], page,
                                                  return_queries.ReturnFilter())
        assert await return_queries.purchase_return(session, world["s2"],
                                                    approved.number) is None
        assert await return_queries.purchase_return(session, world["s1"],
                                                    pending.number) is None
    assert [r.number for r in mine.rows] == [approved.number]
    assert theirs.rows == []
    assert [r.number for r in staff.rows] == [pending.number, approved.number]


async def test_without_a_po_number_the_newest_orders_give_first(
    db: Database, world: World, goods: Goods
) -> None:
    newer = await approved_order(db, world, {"P1": 10})
    await receive(db, world, newer.number, [("P1", 10, "L1")])
    created = await create_purchase_return(db, world["purchaser"], draft(
        line("P1", 15, AVAILABLE)))
    async with db.reader() as session:
        numbers = await return_queries.order_refs_by_line_ids(
            session, [r.order_line_id for r in created.lines])
    assert [(ref and ref.po_number, r.quantity) for ref, r in zip(
        numbers, created.lines, strict=True)] == [(newer.number, D(10)),
                                                  (goods.order_number, D(5))]
    assert [r.line_no for r in created.lines] == [1, 2]
    assert {r.request_index for r in created.lines} == {0}
