"""Replenishment suggestions listed, converted into draft purchase orders and dismissed, on a
real database. Suggestions are inserted directly: how they are computed is the engine's test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.catalog import service as warehouses
from server.catalog import supplier_items
from server.catalog.drafts import SupplierItemTerms
from server.catalog.models import Product, Supplier, Warehouse
from server.catalog.queries import PageRequest
from server.catalog.service import WarehouseDraft
from server.db import Database, utcnow
from server.errors import DomainError, Forbidden, NotFound
from server.events import Event
from server.planning.decisions import ConversionOverride, convert_suggestions, dismiss_suggestion
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.suggestion_events import SUGGESTION_TOPIC
from server.planning.suggestion_queries import SuggestionFilter, list_suggestions
from server.purchasing.models import PurchaseOrder
from tests.world import World, build_world

D = Decimal
TODAY = utcnow().date()
PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def world(db: Database) -> World:
    world = await build_world(db)
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "Second"))
    return world


async def suggest(
    db: Database, sku: str, supplier: str, quantity: str, *, warehouse: str = "WH1",
    price: str = "100", need: date | None = None, urgent: bool = False,
) -> int:
    async with db.transaction() as session:
        row = ReplenishmentSuggestion(
            product_id=await session.scalar(select(Product.id).where(Product.sku == sku)),
            warehouse_id=await session.scalar(select(Warehouse.id)
                                              .where(Warehouse.code == warehouse)),
            supplier_id=await session.scalar(select(Supplier.id).where(Supplier.code == supplier)),
            quantity=D(quantity), unit_price=D(price), currency="CNY", order_date=TODAY,
            need_date=need, urgent=urgent,
            explanation={"terms": [{"term": "backordered", "value": quantity, "note": ""}]})
        session.add(row)
        await session.flush()
        return row.id


@dataclass(frozen=True)
class Stored:
    status: str
    order: str | None
    decided_by: int | None
    reason: str | None


async def stored(db: Database, suggestion_id: int) -> Stored:
    async with db.reader() as session:
        row = await session.get_one(ReplenishmentSuggestion, suggestion_id)
        number = await session.scalar(select(PurchaseOrder.number)
                                      .where(PurchaseOrder.id == row.purchase_order_id))
        return Stored(row.status, number, row.decided_by_id, row.dismiss_reason)


async def order_lines(db: Database, number: str) -> tuple[Any, ...]:
    """(state, supplier, warehouse, total, [(sku, quantity, price, requested date)])."""
    async with db.reader() as session:
        order = await session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number)
                                     .options(selectinload(PurchaseOrder.lines)))
        assert order is not None
        skus = dict((await session.execute(select(Product.id, Product.sku))).all())
        supplier = await session.get_one(Supplier, order.supplier_id)
        warehouse = await session.get_one(Warehouse, order.warehouse_id)
        return (order.state, supplier.code, warehouse.code, order.total_amount,
                [(skus[line.product_id], line.quantity, line.unit_price, line.requested_date)
                 for line in order.lines])


async def suggestion_events(db: Database) -> list[dict[str, Any]]:
    async with db.reader() as session:
        return [e.payload for e in await session.scalars(
            select(Event).where(Event.topic == SUGGESTION_TOPIC).order_by(Event.id))]


async def count_orders(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(PurchaseOrder)) or 0)


async def test_two_suggestions_of_one_supplier_become_one_draft_order(
    db: Database, world: World
) -> None:
    later = TODAY + timedelta(days=10)
    p1 = await suggest(db, "P1", "S1", "10", need=later)
    p2 = await suggest(db, "P2", "S1", "4", price="250", need=TODAY - timedelta(days=3))
    done = await convert_suggestions(db, world["purchaser"], [p2, p1])
    [order] = done.orders
    assert done.order_numbers == {p1: order.number, p2: order.number}
    assert await order_lines(db, order.number) == ("draft", "S1", "WH1", D("2000.0000"), [
        ("P1", D(10), D(100), later), ("P2", D(4), D(250), TODAY)])  # a passed need: today
    for suggestion_id in (p1, p2):
        assert await stored(db, suggestion_id) == Stored(
            "converted", order.number, world["purchaser"].user_id, None)
    assert await suggestion_events(db) == [{"warehouseCode": "WH1", "opened": 0, "updated": 0,
                                            "closed": 2, "full": False, "skus": ["P1", "P2"]}]


async def test_one_draft_order_per_supplier_and_warehouse(db: Database, world: World) -> None:
    p1 = await suggest(db, "P1", "S1", "10")
    p3 = await suggest(db, "P3", "S2", "5", price="40")
    p1_wh2 = await suggest(db, "P1", "S1", "3", warehouse="WH2")
    done = await convert_suggestions(db, world["purchaser"], [p1, p3, p1_wh2])
    assert len(done.orders) == 3 == len(set(done.order_numbers.values()))
    shapes = sorted([(await order_lines(db, order.number))[1:4] for order in done.orders])
    assert shapes == [("S1", "WH1", D("1000.0000")), ("S1", "WH2", D("300.0000")),
                      ("S2", "WH1", D("200.0000"))]
    assert sorted((e["warehouseCode"], e["closed"]) for e in await suggestion_events(db)) == [
        ("WH1", 2), ("WH2", 1)]


async def test_overrides_change_quantity_and_supplier_at_that_supplier_s_price(
    db: Database, world: World
) -> None:
    await supplier_items.set_supplier_item(db, world.admin, SupplierItemTerms(
        "S2", "P1", price=D("90")))
    p1 = await suggest(db, "P1", "S1", "10")
    p3 = await suggest(db, "P3", "S2", "5", price="40")
    done = await convert_suggestions(db, world["manager"], [p1, p3], [
        ConversionOverride(p1, quantity=D("7.5"), supplier_code="S2"),
        ConversionOverride(p3, quantity=D("6"))])
    [order] = done.orders
    assert await order_lines(db, order.number) == ("draft", "S2", "WH1", D("915.0000"), [
        ("P1", D("7.5"), D(90), None), ("P3", D(6), D(40), None)])


async def test_a_converted_suggestion_is_refused_and_nothing_changes(
    db: Database, world: World
) -> None:
    p1 = await suggest(db, "P1", "S1", "10")
    p3 = await suggest(db, "P3", "S2", "5")
    [first] = (await convert_suggestions(db, world["purchaser"], [p1])).orders
    with pytest.raises(DomainError) as refused:
        await convert_suggestions(db, world["purchaser"], [p3, p1])
    assert [(p.code, p.field, p.message) for p in refused.value.problems] == [
        ("SUGGESTION_NOT_OPEN", "ids[1]",
         f"suggestion {p1} (P1) was already converted into {first.number}")]
    assert await count_orders(db) == 1
    assert (await stored(db, p3)).status == "open"
    assert len(await suggestion_events(db)) == 1


async def test_dismiss_with_a_reason_closes_the_suggestion(db: Database, world: World) -> None:
    p1 = await suggest(db, "P1", "S1", "10")
    view = await dismiss_suggestion(db, world["purchaser"], p1, "  promotion cancelled ")
    assert (view.sku, view.warehouse_code, view.row.status, view.purchase_order_number) == (
        "P1", "WH1", "dismissed", None)
    assert await stored(db, p1) == Stored("dismissed", None, world["purchaser"].user_id,
                                          "promotion cancelled")
    with pytest.raises(DomainError) as again:
        await dismiss_suggestion(db, world["purchaser"], p1, "twice")
    assert [(p.code, p.field) for p in again.value.problems] == [("SUGGESTION_NOT_OPEN", "id")]
    with pytest.raises(DomainError) as converted:
        await convert_suggestions(db, world["purchaser"], [p1])
    assert converted.value.problems[0].message == (
        f"suggestion {p1} (P1) was dismissed: promotion cancelled")
    assert (await suggestion_events(db))[0]["closed"] == 1
    assert await count_orders(db) == 0


@pytest.mark.parametrize(("ids", "overrides", "expected"), [
    ([], [], [("INVALID_INPUT", "ids")]),
    (["a", "a"], [], [("INVALID_INPUT", "ids[1]")]),
    (["a"], [("b", "1", None)], [("INVALID_INPUT", "overrides[0].id")]),
    (["a"], [("a", "0", None)], [("INVALID_INPUT", "overrides[0].quantity")]),
    (["a"], [("a", "1.00001", None)], [("INVALID_INPUT", "overrides[0].quantity")]),
    (["a", 999_999], [], [("NOT_FOUND", "ids[1]")]),
    (["a"], [("a", None, "NOPE")], [("NOT_FOUND", "overrides[0].supplierCode")]),
    (["a", "b"], [("b", None, "S2")], [("NOT_SUPPLIED", "overrides[0].supplierCode")]),
])
async def test_bad_conversions_are_refused_and_change_nothing(
    db: Database, world: World, ids: list[Any], overrides: list[tuple[str, str | None, str | None]],
    expected: list[tuple[str, str]],
) -> None:
    named = {"a": await suggest(db, "P3", "S2", "5"), "b": await suggest(db, "P1", "S1", "2")}
    with pytest.raises(DomainError) as refused:
        await convert_suggestions(
            db, world["purchaser"], [named.get(i, i) for i in ids],
            [ConversionOverride(named[i], quantity=D(q) if q else None, supplier_code=code)
             for i, q, code in overrides])
    assert [(p.code, p.field) for p in refused.value.problems] == expected
    assert await count_orders(db) == 0
    assert [(await stored(db, i)).status for i in named.values()] == ["open", "open"]
    assert await suggestion_events(db) == []


async def test_bad_dismissals_and_roles_are_refused(db: Database, world: World) -> None:
    p1 = await suggest(db, "P1", "S1", "10")
    for reason in ("   ", "x" * 501):
        with pytest.raises(DomainError) as refused:
            await dismiss_suggestion(db, world["purchaser"], p1, reason)
        assert refused.value.problems[0].field == "reason"
    with pytest.raises(NotFound):
        await dismiss_suggestion(db, world["purchaser"], 999_999, "gone")
    for user in ("sales", "warehouse", "s1"):
        with pytest.raises(Forbidden):
            await convert_suggestions(db, world[user], [p1])
        with pytest.raises(Forbidden):
            await dismiss_suggestion(db, world[user], p1, "no")
    assert (await stored(db, p1)).status == "open"


async def test_listing_filters_and_pages_open_suggestions(db: Database, world: World) -> None:
    p1 = await suggest(db, "P1", "S1", "10", urgent=True)
    p2 = await suggest(db, "P2", "S1", "4")
    p3 = await suggest(db, "P3", "S2", "5")
    wh2 = await suggest(db, "P1", "S1", "3", warehouse="WH2")
    await dismiss_suggestion(db, world["purchaser"], p2, "enough")

    async def ids(page: PageRequest = PAGE, **where: Any) -> list[int]:
        async with db.reader() as session:
            found = await list_suggestions(session, world["sales"], page,
                                           SuggestionFilter(**where))
            return [view.id for view in found.rows]

    assert await ids() == [p1, p3, wh2]
    assert await ids(warehouse_code="WH1") == [p1, p3]
    assert await ids(supplier_code="S1") == [p1, wh2]
    assert await ids(urgent_only=True) == [p1]
    assert await ids(status=SuggestionStatus.DISMISSED) == [p2]
    async with db.reader() as session:
        first = await list_suggestions(session, world["sales"],
                                       PageRequest(2, None, 200), SuggestionFilter())
        assert ([v.id for v in first.rows], first.has_next_page) == ([p1, p3], True)
        assert (first.rows[0].sku, first.rows[0].supplier_name) == ("P1", "Supplier S1")
        rest = await list_suggestions(session, world["sales"],
                                      PageRequest(2, first.cursors[-1], 200), SuggestionFilter())
        assert ([v.id for v in rest.rows], rest.has_next_page) == ([wh2], False)
        for where in (SuggestionFilter(warehouse_code="NOPE"), SuggestionFilter(
                supplier_code="NOPE")):
            with pytest.raises(NotFound):
                await list_suggestions(session, world["sales"], PAGE, where)
        with pytest.raises(Forbidden):
            await list_suggestions(session, world["s1"], PAGE, SuggestionFilter())
