from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from server.auth import Role
from server.catalog.models import Location, Product
from server.db import Database
from server.errors import DomainError, Forbidden
from server.events import Event
from server.inventory.balances import InsufficientStock
from server.inventory.models import Bucket
from server.inventory.service import adjust_stock, move_stock
from tests.conftest import UserFactory
from tests.stock_setup import StockWorld, adjustment, bin_move, build_stock_world, snapshot

YEAR = datetime.now(UTC).year


@pytest.fixture
async def world(db: Database) -> StockWorld:
    return await build_stock_world(db)


async def test_increase_comes_in_at_its_cost_and_shows_in_the_bin(
    db: Database, world: StockWorld
) -> None:
    movement = await adjust_stock(
        db, world.keeper, adjustment("SKU-1", "WH1-A", 10, unit_cost="2.5", reason="opening")
    )
    assert movement.document_number == f"ADJ-{YEAR}-000001"
    [entry] = movement.entries
    assert (entry.row.from_bucket, entry.row.to_bucket) == (None, "available")
    assert (entry.from_location_code, entry.to_location_code) == (None, "WH1-A")
    assert (entry.row.quantity, entry.row.unit_cost, entry.row.value) == (10, Decimal("2.5"), 25)
    assert (entry.row.reason, entry.actor, entry.sku) == ("opening", "keeper", "SKU-1")
    level = movement.level
    assert level.buckets[Bucket.AVAILABLE] == 10
    assert (level.on_hand, level.projected, level.average_cost, level.value) == (10, 10, 2.5, 25)
    assert [(b.location_code, b.lot, b.quantity) for b in level.bins] == [("WH1-A", "", 10)]


async def test_increase_without_cost_takes_the_average_and_decrease_goes_out_at_it(
    db: Database, world: StockWorld
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 3, unit_cost="1"))
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 1, unit_cost="2"))
    again = await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-B", 2))
    assert again.entries[0].row.unit_cost == Decimal("1.25")
    taken = await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-B", -1))
    [entry] = taken.entries
    assert (entry.row.from_bucket, entry.row.to_bucket) == ("available", None)
    assert (entry.row.unit_cost, entry.row.value) == (Decimal("1.25"), Decimal("1.25"))
    assert (taken.level.on_hand, taken.level.value) == (5, Decimal("6.25"))
    assert [(b.location_code, b.quantity) for b in taken.level.bins] == [
        ("WH1-A", 4), ("WH1-B", 1)
    ]


async def test_first_increase_needs_a_unit_cost(db: Database, world: StockWorld) -> None:
    with pytest.raises(DomainError) as raised:
        await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 5))
    assert [(p.code, p.field) for p in raised.value.problems] == [("INVALID_INPUT", "unitCost")]
    assert (await snapshot(db))["ledger"] == []


async def test_taking_more_than_there_is_names_what_is_there_and_writes_nothing(
    db: Database, world: StockWorld
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 4, unit_cost="1"))
    before = await snapshot(db)
    with pytest.raises(InsufficientStock) as raised:
        await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", "-4.5"))
    assert raised.value.code == "INSUFFICIENT_STOCK"
    message = str(raised.value)
    assert "SKU-1" in message and "available" in message and "WH1" in message
    assert "4 there, 4.5 asked" in message
    assert (raised.value.available, raised.value.requested) == (4, Decimal("4.5"))
    assert await snapshot(db) == before


async def test_taking_from_a_bin_that_holds_too_little_names_the_bin(
    db: Database, world: StockWorld
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 4, unit_cost="1"))
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-B", 1, unit_cost="1"))
    before = await snapshot(db)
    with pytest.raises(InsufficientStock, match=r"in WH1 bin WH1-B: 1 there, 2 asked"):
        await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-B", -2))
    with pytest.raises(InsufficientStock, match=r"bin WH1-A \(lot L7\): 0 there, 1 asked"):
        await move_stock(db, world.keeper, bin_move("SKU-1", "WH1-A", "WH1-B", 1, lot="L7"))
    assert await snapshot(db) == before


async def test_bad_input_is_refused_with_every_problem_and_writes_nothing(
    db: Database, world: StockWorld
) -> None:
    async with db.transaction() as session:
        await session.execute(update(Product).where(Product.sku == "SKU-2").values(active=False))
        await session.execute(update(Location).where(Location.code == "WH1-B").values(active=False))
    cases = [
        (adjustment("NOPE", "WH1-A", 1, unit_cost="1"), [("NOT_FOUND", "sku")]),
        (adjustment("SKU-1", "WH1-A", 1, unit_cost="1", warehouse="WH9"),
         [("NOT_FOUND", "warehouseCode")]),
        (adjustment("SKU-1", "NOBIN", 1, unit_cost="1"), [("NOT_FOUND", "locationCode")]),
        (adjustment("SKU-1", "WH2-A", 1, unit_cost="1"), [("INVALID_INPUT", "locationCode")]),
        (adjustment("SKU-2", "WH1-B", 1, unit_cost="1"),
         [("INVALID_INPUT", "sku"), ("INVALID_INPUT", "locationCode")]),
        (adjustment("SKU-1", "WH1-A", 0, reason="  "),
         [("INVALID_INPUT", "quantity"), ("INVALID_INPUT", "reason")]),
        (adjustment("SKU-1", "WH1-A", "1.00001", unit_cost="-1"),
         [("INVALID_INPUT", "quantity"), ("INVALID_INPUT", "unitCost")]),
        (adjustment("SKU-1", "WH1-A", -1, unit_cost="1"), [("INVALID_INPUT", "unitCost")]),
        (adjustment("SKU-1", "WH1-A", 1, unit_cost="1", key=" "),
         [("INVALID_INPUT", "idempotencyKey")]),
        (bin_move("SKU-1", "WH1-A", "WH1-A", 1), [("INVALID_INPUT", "toLocationCode")]),
        (bin_move("SKU-1", "WH1-A", "WH2-A", 1), [("INVALID_INPUT", "toLocationCode")]),
        (bin_move("SKU-1", "WH1-A", "WH1-B", 1, warehouse="WH2"),
         [("INVALID_INPUT", "fromLocationCode"), ("INVALID_INPUT", "toLocationCode")]),
        (bin_move("SKU-1", "WH1-A", "WH1-C", 0),
         [("INVALID_INPUT", "quantity")]),
        (bin_move("SKU-1", "WH1-A", "WH1-C", 1), [("NOT_FOUND", "toLocationCode")]),
    ]
    for request, expected in cases:
        use_case = adjust_stock if hasattr(request, "reason") else move_stock
        with pytest.raises(DomainError) as raised:
            await use_case(db, world.keeper, request)  # type: ignore[arg-type]
        assert [(p.code, p.field) for p in raised.value.problems] == expected, request
    state = await snapshot(db)
    assert state["ledger"] == [] and state["positions"] == [] and state["costs"] == []


async def test_only_warehouse_staff_and_admins_move_stock(
    db: Database, world: StockWorld, make_user: UserFactory
) -> None:
    sales = await make_user(Role.SALES)
    with pytest.raises(Forbidden):
        await adjust_stock(db, sales, adjustment("SKU-1", "WH1-A", 1, unit_cost="1"))
    with pytest.raises(Forbidden):
        await move_stock(db, sales, bin_move("SKU-1", "WH1-A", "WH1-B", 1))
    admin = await make_user(Role.ADMIN)
    movement = await adjust_stock(db, admin, adjustment("SKU-1", "WH1-A", 1, unit_cost="1"))
    assert movement.level.on_hand == 1


async def test_move_carries_a_lot_between_bins_without_touching_value_or_buckets(
    db: Database, world: StockWorld
) -> None:
    await adjust_stock(db, world.keeper,
                       adjustment("SKU-1", "WH1-A", 6, unit_cost="3", lot="L1"))
    moved = await move_stock(db, world.keeper, bin_move("SKU-1", "WH1-A", "WH1-B", 2, lot="L1"))
    assert moved.document_number == f"MOV-{YEAR}-000001"
    [entry] = moved.entries
    assert (entry.row.from_bucket, entry.row.to_bucket, entry.row.lot) == (
        "available", "available", "L1"
    )
    assert (entry.from_location_code, entry.to_location_code) == ("WH1-A", "WH1-B")
    assert (entry.row.unit_cost, entry.row.value) == (None, None)
    level = moved.level
    assert (level.buckets[Bucket.AVAILABLE], level.value, level.average_cost) == (6, 18, 3)
    assert [(b.location_code, b.lot, b.quantity) for b in level.bins] == [
        ("WH1-A", "L1", 4), ("WH1-B", "L1", 2)
    ]


async def test_each_posting_writes_a_stock_changed_event_by_the_contract(
    db: Database, world: StockWorld
) -> None:
    await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 5, unit_cost="2"))
    await move_stock(db, world.keeper, bin_move("SKU-1", "WH1-A", "WH1-B", 1))
    taken = await adjust_stock(db, world.keeper,
                               adjustment("SKU-1", "WH1-B", -1, reason="damaged"))
    async with db.reader() as session:
        events = list(await session.scalars(select(Event).order_by(Event.id)))
    assert [(e.topic, e.kind, e.document_type) for e in events] == [
        ("stock", "STOCK_CHANGED", "ADJ"), ("stock", "STOCK_CHANGED", "MOV"),
        ("stock", "STOCK_CHANGED", "ADJ"),
    ]
    assert events[1].payload["deltas"] == {}
    last = events[2]
    assert last.warehouse_id == world.warehouses["WH1"]
    assert last.document_number == taken.document_number
    payload = dict(last.payload)
    posted_at = datetime.fromisoformat(payload.pop("postedAt"))
    stored = taken.entries[0].row.posted_at
    # SQLite hands the stored UTC time back without its offset.
    assert posted_at == (stored if stored.tzinfo else stored.replace(tzinfo=UTC))
    assert payload == {
        "productId": world.products["SKU-1"], "sku": "SKU-1",
        "warehouseId": world.warehouses["WH1"], "warehouseCode": "WH1",
        "deltas": {"available": "-1.0000"},
        "levels": {"on_order": "0.0000", "in_transit": "0.0000", "pending_qc": "0.0000",
                   "available": "4.0000", "reserved": "0.0000", "picked": "0.0000",
                   "rejected": "0.0000", "backordered": "0.0000"},
        "onHand": "4.0000", "averageCost": "2.0000", "value": "8.0000",
        "positionVersion": 3, "documentType": "ADJ",
        "documentNumber": taken.document_number, "documentLine": None,
        "reason": "damaged", "actor": "keeper",
    }
