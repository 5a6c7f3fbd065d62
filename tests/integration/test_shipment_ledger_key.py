"""Each shipment line keeps the id of the SH ledger row it posted and that row's value (the
margin report's COGS), set when it ships; the backfills of migrations 0020 (the id) and 0022 (the
value) find the same for lines shipped before."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import InstrumentedAttribute

from server.db import Database
from server.inventory.models import StockLedger
from server.sales.models import Shipment, ShipmentLine
from tests.integration.test_margin_report import ship
from tests.picking_setup import picking_world, put_stock, sales_order

D = Decimal

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations/versions"


def _migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _per_line(db: Database, column: InstrumentedAttribute[Any]) -> dict[int, Any]:
    async with db.reader() as session:
        rows = await session.execute(select(ShipmentLine.id, column))
        return {line: value for line, value in rows}


async def _wiped_then_backfilled(db: Database, column: InstrumentedAttribute[Any],
                                 migration: str) -> dict[int, Any]:
    """``column`` of every line once it is set to NULL and ``migration``'s backfill has run."""
    async with db.transaction() as session:
        await session.execute(update(ShipmentLine).values({column: None}))
    assert set((await _per_line(db, column)).values()) == {None}
    async with db.transaction() as session:
        await session.execute(text(_migration(migration).BACKFILL))
    return await _per_line(db, column)


async def test_shipment_lines_point_at_their_ledger_rows_and_the_backfill_agrees(
    db: Database,
) -> None:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P3", "WH1-A-02", 10, "40")
    await ship(db, world, await sales_order(db, world, {"P1": 4, "P3": 2}))
    await ship(db, world, await sales_order(db, world, {"P3": 5}))
    async with db.reader() as session:
        lines = (await session.execute(
            select(Shipment.number, ShipmentLine.product_id, ShipmentLine.quantity,
                   StockLedger.document_type, StockLedger.document_number,
                   StockLedger.product_id, StockLedger.quantity, StockLedger.value,
                   ShipmentLine.quantity * ShipmentLine.unit_cost)
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .join(StockLedger, StockLedger.id == ShipmentLine.stock_ledger_id)
            .order_by(ShipmentLine.id))).all()
    assert len(lines) == 3
    for number, product, quantity, kind, document, posted_product, posted, value, cost in lines:
        assert (kind, document, posted_product, posted) == ("SH", number, product, quantity)
        assert value == cost
    posted_keys = await _per_line(db, ShipmentLine.stock_ledger_id)
    assert await _wiped_then_backfilled(
        db, ShipmentLine.stock_ledger_id, "0020_shipment_line_ledger_row") == posted_keys


async def test_shipment_lines_keep_their_ledger_rows_value_and_the_backfill_agrees(
    db: Database,
) -> None:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 4, "121.37")
    await put_stock(db, world, "P3", "WH1-A-02", 10, "40")
    await ship(db, world, await sales_order(db, world, {"P1": 5, "P3": 2}))
    async with db.reader() as session:
        pairs = (await session.execute(
            select(ShipmentLine.cogs, StockLedger.value)
            .join(StockLedger, StockLedger.id == ShipmentLine.stock_ledger_id)
            .order_by(ShipmentLine.id))).all()
    # P1 leaves at the average of 100 and 121.37 over 7 (112.2114 to 4 places), P3 at 40.
    assert [value for _, value in pairs] == [D("561.0570"), D("80.0000")]
    assert [cogs for cogs, _ in pairs] == [value for _, value in pairs]
    stored = await _per_line(db, ShipmentLine.cogs)
    assert await _wiped_then_backfilled(
        db, ShipmentLine.cogs, "0022_shipment_line_cogs") == stored
