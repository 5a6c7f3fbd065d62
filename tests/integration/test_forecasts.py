from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.catalog import service as warehouses
from server.catalog.models import Product
from server.catalog.service import WarehouseDraft
from server.db import Database
from server.errors import DomainError, Forbidden, InvalidInput
from server.events import Event
from server.planning import forecasts as planning
from server.planning.forecasts import MAX_ENTRIES, ForecastEntry
from server.planning.models import Forecast
from tests.world import World, build_world


@pytest.fixture
async def world(db: Database) -> World:
    world = await build_world(db)
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "Second"))
    return world


def entry(sku: str, week: str, quantity: str, warehouse: str = "WH1") -> ForecastEntry:
    return ForecastEntry(sku=sku, warehouse_code=warehouse, week=week, quantity=Decimal(quantity))


async def stored(db: Database) -> dict[tuple[str, int, date], Decimal]:
    async with db.reader() as session:
        rows = await session.execute(
            select(Product.sku, Forecast.warehouse_id, Forecast.week_start, Forecast.quantity)
            .join(Product, Product.id == Forecast.product_id))
        return {(sku, warehouse, monday): quantity for sku, warehouse, monday, quantity in rows}


async def forecast_events(db: Database) -> list[Event]:
    async with db.reader() as session:
        return list(await session.scalars(
            select(Event).where(Event.kind == "FORECASTS_SET").order_by(Event.id)))


async def test_bulk_set_then_a_second_call_replaces_and_adds(db: Database, world: World) -> None:
    sales = world["sales"]
    written = await planning.set_forecasts(db, sales, [
        entry("P1", "2026-W48", "10"), entry("P1", "2026-W49", "12.5"),
        entry("P2", "2026-W48", "3"), entry("P1", "2026-W48", "7", warehouse="WH2"),
    ])
    assert written == 4
    again = await planning.set_forecasts(db, world["purchaser"], [
        entry("P1", "2026-W48", "20.1234"), entry("P3", "2026-W50", "0"),
    ])
    assert again == 2
    async with db.reader() as session:
        rows = await planning.forecasts(session, sales, "WH1")
        assert [(r.sku, r.week, r.quantity, r.updated_by) for r in rows] == [
            ("P1", "2026-W48", Decimal("20.1234"), "purchaser"),
            ("P1", "2026-W49", Decimal("12.5"), "sales"),
            ("P2", "2026-W48", Decimal("3"), "sales"),
            ("P3", "2026-W50", Decimal("0"), "purchaser"),
        ]
        assert rows[0].week_start == date(2026, 11, 23)
        assert rows[0].updated_at.tzinfo is not None
        other = await planning.forecasts(session, sales, "WH2")
        assert [(r.sku, r.week, r.quantity) for r in other] == [("P1", "2026-W48", Decimal(7))]
        assert await session.scalar(select(func.count()).select_from(Forecast)) == 5

    events = await forecast_events(db)
    assert [e.topic for e in events] == ["planning", "planning"]
    async with db.reader() as session:
        p1, p3 = [await session.scalar(select(Product.id).where(Product.sku == sku))
                  for sku in ("P1", "P3")]
    assert events[1].payload == {"count": 2, "productIds": sorted([p1, p3])}
    assert events[0].warehouse_id is None  # two warehouses in one call
    assert events[1].warehouse_id is not None


async def test_one_bad_call_writes_nothing_and_lists_every_problem(
    db: Database, world: World
) -> None:
    await planning.set_forecasts(db, world["sales"], [entry("P1", "2026-W48", "5")])
    before = await stored(db)
    with pytest.raises(DomainError) as raised:
        await planning.set_forecasts(db, world["sales"], [
            entry("P1", "2026-W48", "99"),              # fine, but must not be written
            entry("NOPE", "2026-W48", "1"),
            entry("P2", "2026-W48", "1", warehouse="WH9"),
            entry("P2", "2026-48", "1"),
            entry("P3", "2026-W48", "-1"),
            entry("P3", "2026-W49", "1.00001"),
            entry("P1", "2026-W48", "4"),               # repeats entry 0
        ])
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("entries[1].sku", "NOT_FOUND"),
        ("entries[2].warehouseCode", "NOT_FOUND"),
        ("entries[3].week", "INVALID_INPUT"),
        ("entries[4].quantity", "INVALID_INPUT"),
        ("entries[5].quantity", "INVALID_INPUT"),
        ("entries[6].week", "DUPLICATE"),
    ]
    assert [p.message.split(":")[0] for p in raised.value.problems] == [
        "entry 1", "entry 2", "entry 3", "entry 4", "entry 5", "entry 6"]
    assert "repeats entry 0" in raised.value.problems[-1].message
    assert await stored(db) == before
    assert len(await forecast_events(db)) == 1


async def test_too_many_entries_are_refused(db: Database, world: World) -> None:
    with pytest.raises(InvalidInput, match="at most 5000"):
        await planning.set_forecasts(db, world["sales"],
                                     [entry("P1", "2026-W48", "1")] * (MAX_ENTRIES + 1))


async def test_a_full_call_of_5000_entries_is_written(db: Database, world: World) -> None:
    weeks = [f"{year}-W{week:02d}" for year in range(2026, 2076) for week in range(1, 51)]
    entries = [entry(sku, w, "1", warehouse=wh)
               for w in weeks[:1250] for sku, wh in [("P1", "WH1"), ("P2", "WH1"),
                                                    ("P1", "WH2"), ("P3", "WH2")]]
    assert await planning.set_forecasts(db, world["sales"], entries) == MAX_ENTRIES
    async with db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Forecast)) == MAX_ENTRIES
    [event] = await forecast_events(db)
    assert event.payload["count"] == MAX_ENTRIES


@pytest.mark.parametrize("username", ["sales", "purchaser", "manager"])
async def test_planning_roles_may_set(db: Database, world: World, username: str) -> None:
    assert await planning.set_forecasts(db, world[username], [entry("P1", "2026-W48", "1")]) == 1


@pytest.mark.parametrize("username", ["warehouse", "qc", "finance", "s1"])
async def test_other_roles_may_not_set(db: Database, world: World, username: str) -> None:
    with pytest.raises(Forbidden):
        await planning.set_forecasts(db, world[username], [entry("P1", "2026-W48", "1")])
    assert await stored(db) == {}


async def test_internal_users_read_suppliers_do_not(db: Database, world: World) -> None:
    await planning.set_forecasts(db, world.admin, [entry("P1", "2026-W48", "1")])
    async with db.reader() as session:
        assert len(await planning.forecasts(session, world["warehouse"], "WH1")) == 1
        with pytest.raises(Forbidden):
            await planning.forecasts(session, world["s1"], "WH1")


async def test_reading_a_range_of_weeks_and_some_skus(db: Database, world: World) -> None:
    await planning.set_forecasts(db, world["sales"], [
        entry(sku, week, "1") for sku in ("P1", "P2", "P3")
        for week in ("2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02")
    ])
    async with db.reader() as session:
        rows = await planning.forecasts(session, world["sales"], "WH1", ["P3", "P1"],
                                        "2026-W52", "2027-W01")
        assert [(r.sku, r.week) for r in rows] == [
            ("P1", "2026-W52"), ("P1", "2026-W53"), ("P1", "2027-W01"),
            ("P3", "2026-W52"), ("P3", "2026-W53"), ("P3", "2027-W01"),
        ]
        assert len(await planning.forecasts(session, world["sales"], "WH1",
                                            from_week="2027-W02")) == 3
        with pytest.raises(InvalidInput) as raised:
            await planning.forecasts(session, world["sales"], "WH1", from_week="2027-W02",
                                     to_week="2026-W52")
        assert raised.value.problems[0].field == "toWeek"
        with pytest.raises(InvalidInput):
            await planning.forecasts(session, world["sales"], "WH1", from_week="2027W2")
        with pytest.raises(DomainError) as missing:
            await planning.forecasts(session, world["sales"], "WH9")
        assert missing.value.problems[0].code == "NOT_FOUND"
