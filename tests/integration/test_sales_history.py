"""Sales history on both backends: shipments add to the shipped row of their week and region,
and CSV imports write every row or none, a re-import replacing the imported quantity."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.catalog.models import Product, Warehouse
from server.db import Database, utcnow
from server.errors import Forbidden
from server.imports.report import FileRejected
from server.sales import orders
from server.sales.history_import import ROWS_PER_BATCH, ImportSummary, import_sales_history
from server.sales.models import SalesHistory, ShortagePolicy
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from server.sales.shipping import confirm_shipment
from server.weeks import monday_of, week_label
from tests.integration.test_shipping import pick_all, release, shipment_request
from tests.picking_setup import picking_world, put_stock, sales_order
from tests.world import World

D = Decimal
History = dict[tuple[str, str, date, str, str], Decimal]


@pytest.fixture
async def world(db: Database) -> World:
    return await picking_world(db)


async def history(db: Database) -> History:
    async with db.reader() as session:
        rows = await session.execute(
            select(Product.sku, Warehouse.code, SalesHistory.week_start, SalesHistory.region,
                   SalesHistory.source, SalesHistory.quantity)
            .join(Product, Product.id == SalesHistory.product_id)
            .join(Warehouse, Warehouse.id == SalesHistory.warehouse_id))
        return {(sku, code, monday, region, source): quantity
                for sku, code, monday, region, source, quantity in rows}


async def ship(db: Database, world: World, number: str) -> None:
    picked = await pick_all(db, world, await release(db, world, number))
    await confirm_shipment(db, world["warehouse"], shipment_request(picked.pick_list.number))


async def west_order(db: Database, world: World, lines: dict[str, int]) -> str:
    """An order of C1 (region East) delivered to region West instead."""
    outcome = await orders.create_sales_order(db, world["sales"], SalesOrderDraft(
        "C1", "WH1", [SalesLineDraft(sku, D(quantity), unit_price=D(300))
                      for sku, quantity in lines.items()],
        shortage_policy=ShortagePolicy.BACKORDER, region="West"))
    return outcome.view.order.number


async def test_shipments_add_to_the_history_of_their_week_and_region(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 20, "100")
    await put_stock(db, world, "P3", "WH1-A-02", 10, "40")
    assert await history(db) == {}
    await ship(db, world, await sales_order(db, world, {"P1": 4, "P3": 2}))
    monday = monday_of(utcnow().date())
    assert await history(db) == {("P1", "WH1", monday, "East", "shipped"): D(4),
                                 ("P3", "WH1", monday, "East", "shipped"): D(2)}
    east = await sales_order(db, world, {"P1": 3})
    west = await west_order(db, world, {"P1": 5, "P3": 1})
    picked = await pick_all(db, world, await release(db, world, east, west))
    await confirm_shipment(db, world["warehouse"], shipment_request(picked.pick_list.number))
    assert await history(db) == {("P1", "WH1", monday, "East", "shipped"): D(7),
                                 ("P3", "WH1", monday, "East", "shipped"): D(2),
                                 ("P1", "WH1", monday, "West", "shipped"): D(5),
                                 ("P3", "WH1", monday, "West", "shipped"): D(1)}


def csv_file(*rows: str, header: str = "week,sku,warehouse,region,quantity") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


async def test_an_import_writes_every_row_and_a_reimport_replaces_the_quantity(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 20, "100")
    await ship(db, world, await sales_order(db, world, {"P1": 4}))
    this_week = monday_of(utcnow().date())
    summary = await import_sales_history(db, world["manager"], csv_file(
        "2025-W07,P1,WH1,East,10", "2025-02-12,P1,WH1,,2.5", "2025-W09,P3,WH1,North,0",
        f"{week_label(this_week)},P1,WH1,East,6"))
    assert summary == ImportSummary(rows=4, products=2, warehouses=1, first_week="2025-W07",
                                    last_week=week_label(this_week))
    imported_before = {("P1", "WH1", date(2025, 2, 10), "East", "imported"): D(10),
                       ("P1", "WH1", date(2025, 2, 10), "", "imported"): D("2.5"),
                       ("P3", "WH1", date(2025, 2, 24), "North", "imported"): D(0),
                       ("P1", "WH1", this_week, "East", "imported"): D(6)}
    shipped = {("P1", "WH1", this_week, "East", "shipped"): D(4)}
    assert await history(db) == imported_before | shipped

    await import_sales_history(db, world.admin, csv_file(
        "East,7,P1,WH1,2025-W07", header="region,quantity,sku,warehouse,week"))
    assert await history(db) == imported_before | shipped | {
        ("P1", "WH1", date(2025, 2, 10), "East", "imported"): D(7)}


async def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(
    db: Database, world: World
) -> None:
    await import_sales_history(db, world["manager"], csv_file("2025-W01,P1,WH1,East,1"))
    before = await history(db)
    with pytest.raises(FileRejected) as rejected:
        await import_sales_history(db, world["manager"], csv_file(
            "2025-W01,P1,WH1,East,50",       # row 2: good, would replace 1
            "2025-W02,NOPE,WH1,East,1",      # row 3: unknown sku
            "2025-W02,P1,WH9,East,1",        # row 4: unknown warehouse
            "2025-W99,P1,WH1,East,1",        # row 5: bad week
            "2025-W03,P3,WH1,East,1.00001",  # row 6: too many decimals
            "2025-01-01,P1,WH1,East,5",      # row 7: the same week as row 2
            "2025-W04,GONE,WH1,East,x"))     # row 8: unknown sku and a bad quantity
    assert [(e.row, e.column, e.code) for e in rejected.value.errors] == [
        (3, "sku", "NOT_FOUND"), (4, "warehouse", "NOT_FOUND"), (5, "week", "INVALID_INPUT"),
        (6, "quantity", "INVALID_INPUT"), (7, "week", "DUPLICATE"),
        (8, "quantity", "INVALID_INPUT"), (8, "sku", "NOT_FOUND")]
    assert rejected.value.problems[0].message == "row 3, sku: no product 'NOPE'"
    assert await history(db) == before


async def test_only_purchase_managers_and_admins_import(db: Database, world: World) -> None:
    with pytest.raises(Forbidden):
        await import_sales_history(db, world["sales"], csv_file("2025-W01,P1,WH1,East,1"))
    assert await history(db) == {}


async def test_a_file_larger_than_one_batch_is_written_batch_by_batch(
    db: Database, world: World
) -> None:
    first = date(2000, 1, 3)
    count = ROWS_PER_BATCH * 2 + 7
    rows = [f"{monday_of(first + timedelta(weeks=n // 3))},P{1 + n % 3},WH1,R,{n}"
            for n in range(count)]
    written: list[int] = []
    summary = await import_sales_history(db, world.admin, csv_file(*rows),
                                         on_progress=written.append)
    assert (summary.rows, summary.products, summary.first_week) == (count, 3, "2000-W01")
    assert written == [ROWS_PER_BATCH, ROWS_PER_BATCH, 7]
    found = await history(db)
    assert len(found) == count
    assert sum(found.values()) == sum(range(count))
