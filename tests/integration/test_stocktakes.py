"""Starting, counting and recounting stocktakes, and what they refuse."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.catalog.models import Product, ProductBarcode
from server.db import Database
from server.errors import DomainError, Forbidden
from server.events import Event
from server.stocktake import queries
from server.stocktake.models import StocktakeCount
from server.stocktake.service import (
    StartRequest,
    cancel_stocktake,
    record_count,
    request_recount,
    start_stocktake,
)
from tests.stocktake_setup import count, stocked_world
from tests.world import World

CASE_OF_12 = "16901234567899"


@pytest.fixture
async def world(db: Database) -> World:
    return await stocked_world(db)


def _codes(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in error.value.problems]


async def _lines(db: Database, world: World, number: str, user: str = "admin"
                 ) -> list[queries.LineView]:
    principal = world.admin if user == "admin" else world[user]
    async with db.reader() as session:
        stocktake = await queries.stocktake(session, principal, number)
        assert stocktake is not None
        return await queries.line_views(session, principal, stocktake)


async def _events(db: Database, topic: str, number: str) -> list[tuple[str, dict]]:
    async with db.reader() as session:
        rows = await session.scalars(select(Event).where(
            Event.topic == topic, Event.document_number == number).order_by(Event.id))
        return [(row.kind, row.payload) for row in rows]


async def test_start_freezes_bin_quantities_per_product_and_lot(
    db: Database, world: World
) -> None:
    stocktake = await start_stocktake(db, world["warehouse"], StartRequest("WH1", ["WH1-A-01"]))
    assert stocktake.number.startswith("ST-") and stocktake.status == "open"
    lines = await _lines(db, world, stocktake.number)
    assert [(v.location_code, v.sku, v.line.key[2], v.line.frozen, v.line.counted)
            for v in lines] == [("WH1-A-01", "P1", "", 10, None), ("WH1-A-01", "P3", "L1", 4, None)]
    kinds = [kind for kind, _ in await _events(db, "stocktake", stocktake.number)]
    assert kinds == ["STOCKTAKE_STARTED"]
    tasks = await _events(db, "stocktake_task", stocktake.number)
    assert [(kind, p["locationCode"], p["status"]) for kind, p in tasks] == [
        ("TASK_CREATED", "WH1-A-01", "open")]


async def test_start_all_takes_every_active_bin(db: Database, world: World) -> None:
    stocktake = await start_stocktake(db, world["warehouse"], StartRequest("WH1"))
    async with db.reader() as session:
        tasks = await queries.task_views(session, stocktake)
    assert [t.location_code for t in tasks] == [
        "WH1-A-01", "WH1-A-02", "WH1-QC", "WH1-RCV", "WH1-REJ", "WH1-STG"]
    assert stocktake.all_locations


async def test_start_refusals(db: Database, world: World) -> None:
    keeper = world["warehouse"]
    with pytest.raises(DomainError) as raised:
        await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01", "NOPE"]))
    assert _codes(raised) == [("NOT_FOUND", "locationCodes")]
    with pytest.raises(DomainError) as raised:
        await start_stocktake(db, keeper, StartRequest("WH9"))
    assert _codes(raised) == [("NOT_FOUND", "warehouseCode")]
    with pytest.raises(DomainError) as raised:
        await start_stocktake(db, keeper, StartRequest("WH1", []))
    assert _codes(raised) == [("INVALID_INPUT", "locationCodes")]
    with pytest.raises(Forbidden):
        await start_stocktake(db, world["sales"], StartRequest("WH1"))
    first = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"]))
    with pytest.raises(DomainError) as raised:
        await start_stocktake(db, keeper, StartRequest("WH1"))
    assert _codes(raised) == [("BIN_IN_STOCKTAKE", "locationCodes")]
    assert first.number in str(raised.value)
    async with db.reader() as session:
        page = await queries.stocktakes(session, keeper, queries.StocktakeFilter("WH1"),
                                        queries.PageRequest(50, None, 200))
    assert [row.number for row in page.rows] == [first.number]


async def test_counts_from_two_devices_add_up_and_a_device_replaces_its_own(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    number = stocktake.number
    await asyncio.gather(
        record_count(db, keeper, count(number, "WH1-A-01", 6, device="pda-1")),
        record_count(db, keeper, count(number, "WH1-A-01", 3, device="pda-2")),
    )
    await record_count(db, keeper, count(number, "WH1-A-01", 5, device="pda-1"))
    await record_count(db, keeper, count(number, "WH1-A-01", 4, sku="P3", lot="L1"))
    lines = {v.sku: v.line for v in await _lines(db, world, number)}
    assert (lines["P1"].counted, lines["P1"].variance, lines["P1"].value) == (8, -2, -200)
    assert (lines["P3"].counted, lines["P3"].variance) == (4, 0)
    statuses = [kind for kind, _ in await _events(db, "stocktake", number)]
    assert statuses == ["STOCKTAKE_STARTED", "STOCKTAKE_COUNTING"]
    tasks = [(kind, p["status"]) for kind, p in await _events(db, "stocktake_task", number)]
    assert tasks == [("TASK_CREATED", "open"), ("TASK_DONE", "counted")]


async def test_a_case_barcode_counts_its_pack_and_a_retry_counts_once(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    async with db.transaction() as session:
        p1 = await session.scalar(select(Product.id).where(Product.sku == "P1"))
        session.add(ProductBarcode(product_id=p1, barcode=CASE_OF_12, pack_quantity=12))
    first = await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 2,
                                                 barcode=CASE_OF_12, key="same"))
    again = await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 2,
                                                 barcode=CASE_OF_12, key="same"))
    assert first.id == again.id and first.quantity == 24
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 3,
                                         barcode="6901234567892"))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-01", 1, sku="P1"))
    [line, _] = await _lines(db, world, stocktake.number)
    assert line.line.counted == 28, "cases, units and a sku typed are three items of a device"
    async with db.reader() as session:
        entries = (await session.scalars(select(StocktakeCount.entry))).all()
    assert sorted(entries) == [CASE_OF_12, "6901234567892", "P1"]


async def test_a_blind_count_hides_expected_from_counters_only(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"], blind=True))
    [counter_view] = await _lines(db, world, stocktake.number, "warehouse")
    [finance_view] = await _lines(db, world, stocktake.number, "finance")
    assert not counter_view.expected_visible and finance_view.expected_visible


async def test_recount_reopens_the_bin_and_earlier_counts_stop_standing(
    db: Database, world: World
) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-02"]))
    await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 1))
    await request_recount(db, keeper, stocktake.number, ["WH1-A-02"])
    [line] = await _lines(db, world, stocktake.number)
    assert line.line.counted is None
    await record_count(db, keeper, count(stocktake.number, "WH1-A-02", 5))
    [line] = await _lines(db, world, stocktake.number)
    assert (line.line.counted, line.line.variance) == (5, 0)
    tasks = [(kind, p["round"]) for kind, p in await _events(db, "stocktake_task",
                                                             stocktake.number)]
    assert tasks == [("TASK_CREATED", 1), ("TASK_DONE", 1), ("TASK_UPDATED", 2), ("TASK_DONE", 2)]


async def test_count_refusals_change_nothing(db: Database, world: World) -> None:
    keeper = world["warehouse"]
    stocktake = await start_stocktake(db, keeper, StartRequest("WH1", ["WH1-A-01"]))
    number = stocktake.number
    cases = [
        (count(number, "WH1-A-02", 1), ("NOT_IN_STOCKTAKE", "locationCode")),
        (count(number, "NOPE", 1), ("NOT_FOUND", "locationCode")),
        (count(number, "WH1-A-01", -1), ("INVALID_INPUT", "quantity")),
        (count(number, "WH1-A-01", 1, sku="NOPE"), ("NOT_FOUND", "sku")),
        (count(number, "WH1-A-01", 1, barcode="WH1-A-02"), ("NOT_A_PRODUCT", "barcode")),
        (count("ST-0000-000000", "WH1-A-01", 1), ("NOT_FOUND", "stocktakeNumber")),
    ]
    for request, expected in cases:
        with pytest.raises(DomainError) as raised:
            await record_count(db, keeper, request)
        assert _codes(raised) == [expected]
    with pytest.raises(DomainError) as raised:
        await request_recount(db, keeper, number, ["WH1-A-02"])
    assert _codes(raised) == [("NOT_IN_STOCKTAKE", "locationCodes")]
    async with db.reader() as session:
        assert (await session.scalars(select(StocktakeCount))).all() == []
    await cancel_stocktake(db, keeper, number, "wrong bins")
    with pytest.raises(DomainError) as raised:
        await record_count(db, keeper, count(number, "WH1-A-01", 1))
    assert _codes(raised) == [("STOCKTAKE_CLOSED", "number")]
    assert Decimal(0) == sum((v.line.counted or 0 for v in await _lines(db, world, number)),
                             Decimal(0))
