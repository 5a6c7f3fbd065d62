from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from server.db import Database
from server.errors import Conflict, DomainError
from server.events import Event
from server.inventory.balances import InsufficientStock
from server.inventory.models import Bucket, StockLedger, StockPosition
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.inventory.queries import StockLevel, levels_of
from tests.stock_setup import StockWorld, build_stock_world, snapshot

B = Bucket
D = Decimal


@pytest.fixture
async def world(db: Database) -> StockWorld:
    return await build_stock_world(
        db, {"WH1": ["QC", "A", "STG"], "WH2": ["X"]}, skus=("SKU-1", "SKU-2")
    )


async def post(db: Database, world: StockWorld, moves: list[Move], document: str = "TST",
               line: int | None = None) -> None:
    context = PostingContext("TST", world.keeper, document, document_line=line)
    async with db.transaction() as session:
        await post_moves(session, moves, context)


async def level(db: Database, world: StockWorld, sku: str = "SKU-1", wh: str = "WH1"
                ) -> StockLevel:
    async with db.reader() as session:
        [found] = await levels_of(session, [(world.products[sku], sku)],
                                  (world.warehouses[wh], wh))
    return found


def move(world: StockWorld, quantity: str | int, source: Bucket | None, target: Bucket | None,
         from_bin: str | None = None, to_bin: str | None = None, **extra: object) -> Move:
    return Move(
        product_id=world.products[str(extra.pop("sku", "SKU-1"))],
        warehouse_id=world.warehouses[str(extra.pop("wh", "WH1"))],
        quantity=D(quantity), from_bucket=source, to_bucket=target,
        from_location_id=world.bins[from_bin] if from_bin else None,
        to_location_id=world.bins[to_bin] if to_bin else None,
        **extra,  # type: ignore[arg-type]
    )


async def test_a_purchase_flows_through_every_bucket_and_is_costed_on_the_way_out(
    db: Database, world: StockWorld
) -> None:
    await post(db, world, [move(world, 10, None, B.ON_ORDER, unit_cost=D(5))])
    await post(db, world, [move(world, 10, B.ON_ORDER, B.IN_TRANSIT)])
    after_transit = await level(db, world)
    assert (after_transit.buckets[B.IN_TRANSIT], after_transit.on_hand) == (10, 0)
    assert after_transit.projected == 10 and after_transit.value == 0
    await post(db, world, [move(world, 10, B.IN_TRANSIT, B.PENDING_QC, to_bin="QC",
                                unit_cost=D(5))])
    await post(db, world, [move(world, 10, B.PENDING_QC, B.AVAILABLE, "QC", "A")])
    await post(db, world, [move(world, 4, B.AVAILABLE, B.RESERVED, "A", "A"),
                           move(world, 4, B.RESERVED, B.PICKED, "A", "STG")])
    await post(db, world, [move(world, 4, B.PICKED, None, from_bin="STG")])
    stock = await level(db, world)
    assert {b: q for b, q in stock.buckets.items() if q} == {B.AVAILABLE: 6}
    assert (stock.on_hand, stock.average_cost, stock.value) == (6, 5, 30)
    assert [(b.location_code, b.quantity) for b in stock.bins] == [("A", 6)]
    async with db.reader() as session:
        rows = list(await session.scalars(select(StockLedger).order_by(StockLedger.id)))
    assert [(r.from_bucket, r.to_bucket, r.quantity, r.unit_cost, r.value) for r in rows] == [
        (None, "on_order", 10, 5, None),
        ("on_order", "in_transit", 10, None, None),
        ("in_transit", "pending_qc", 10, 5, 50),
        ("pending_qc", "available", 10, None, None),
        ("available", "reserved", 4, None, None),
        ("reserved", "picked", 4, None, None),
        ("picked", None, 4, 5, 20),  # cost of goods sold, from the ledger row alone
    ]
    assert len({r.posting_id for r in rows}) == 6


async def test_moves_of_one_posting_are_netted_so_order_within_it_does_not_matter(
    db: Database, world: StockWorld
) -> None:
    await post(db, world, [move(world, 3, None, B.AVAILABLE, to_bin="A", unit_cost=D(1))])
    # reserved is empty: taken out after it is filled in the same posting, listed first
    await post(db, world, [move(world, 3, B.RESERVED, B.PICKED, "A", "STG"),
                           move(world, 3, B.AVAILABLE, B.RESERVED, "A", "A")])
    stock = await level(db, world)
    assert {b: q for b, q in stock.buckets.items() if q} == {B.PICKED: 3}
    assert [(b.location_code, b.quantity) for b in stock.bins] == [("STG", 3)]


async def test_one_event_per_product_and_warehouse_with_its_document_line(
    db: Database, world: StockWorld
) -> None:
    await post(db, world, [
        move(world, 2, None, B.AVAILABLE, to_bin="A", unit_cost=D(1), document_line=1),
        move(world, 1, None, B.AVAILABLE, to_bin="A", unit_cost=D(3), document_line=2),
        move(world, 5, None, B.AVAILABLE, to_bin="A", unit_cost=D(2), sku="SKU-2",
             document_line=3),
        move(world, 7, None, B.BACKORDERED, sku="SKU-2", wh="WH2"),
    ], document="DOC-1", line=9)
    async with db.reader() as session:
        events = list(await session.scalars(select(Event).order_by(Event.id)))
    summary = [(e.payload["sku"], e.payload["warehouseCode"], e.payload["deltas"],
                e.payload["documentLine"], e.payload["value"]) for e in events]
    assert summary == [
        ("SKU-1", "WH1", {"available": "3.0000"}, None, "5.0000"),
        ("SKU-2", "WH1", {"available": "5.0000"}, 3, "10.0000"),
        ("SKU-2", "WH2", {"backordered": "7.0000"}, 9, "0.0000"),
    ]
    assert {e.document_number for e in events} == {"DOC-1"}
    backorder = await level(db, world, "SKU-2", "WH2")
    assert (backorder.projected, backorder.on_hand, backorder.bins) == (-7, 0, [])


async def test_malformed_moves_are_refused_whole(db: Database, world: StockWorld) -> None:
    bad = [
        move(world, 1, None, B.AVAILABLE, unit_cost=D(1)),  # physical without a bin
        move(world, 1, None, B.ON_ORDER, to_bin="A"),  # memo bucket with a bin
        move(world, 1, None, B.AVAILABLE, to_bin="A"),  # inbound without a cost
        move(world, 0, B.AVAILABLE, B.RESERVED, "A", "A"),  # nothing to move
        move(world, 1, B.AVAILABLE, B.AVAILABLE, "A", "A"),  # from = to
        move(world, 1, None, None),
    ]
    with pytest.raises(DomainError) as raised:
        await post(db, world, bad)
    assert [p.message.split(":")[0] for p in raised.value.problems] == [
        "move 1", "move 2", "move 3", "move 4", "move 5", "move 6"
    ]
    with pytest.raises(DomainError, match="bin X is not in warehouse WH1"):
        await post(db, world, [move(world, 1, None, B.AVAILABLE, to_bin="X", unit_cost=D(1))])
    with pytest.raises(DomainError, match="needs at least one move"):
        await post(db, world, [])
    state = await snapshot(db)
    assert state["ledger"] == [] and state["positions"] == [] and state["quants"] == []


async def test_a_shortage_anywhere_in_a_posting_rolls_all_of_it_back(
    db: Database, world: StockWorld
) -> None:
    await post(db, world, [move(world, 2, None, B.AVAILABLE, to_bin="A", unit_cost=D(1))])
    before = await snapshot(db)
    async with db.reader() as session:
        events_before = len(list(await session.scalars(select(Event))))
    with pytest.raises(InsufficientStock, match="reserved in WH1: 0 there, 1 asked"):
        await post(db, world, [
            move(world, 5, None, B.AVAILABLE, to_bin="A", unit_cost=D(1), sku="SKU-2"),
            move(world, 1, B.RESERVED, B.PICKED, "A", "STG"),
        ])
    assert await snapshot(db) == before
    async with db.reader() as session:
        assert len(list(await session.scalars(select(Event)))) == events_before


async def test_the_database_itself_refuses_a_negative_balance(
    db: Database, world: StockWorld
) -> None:
    await post(db, world, [move(world, 1, None, B.AVAILABLE, to_bin="A", unit_cost=D(1))])
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await session.execute(update(StockPosition).values(quantity=D(-1)))
    assert (await level(db, world)).buckets[B.AVAILABLE] == 1
