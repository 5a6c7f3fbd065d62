"""Each shipment line keeps the id of the SH ledger row it posted (the margin report's COGS),
set when it ships; migration 0020's backfill finds the same rows for lines shipped before."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sqlalchemy import select, text, update

from server.db import Database
from server.inventory.models import StockLedger
from server.sales.models import Shipment, ShipmentLine
from tests.integration.test_margin_report import ship
from tests.picking_setup import picking_world, put_stock, sales_order

MIGRATION = (Path(__file__).resolve().parents[2]
             / "migrations/versions/0020_shipment_line_ledger_row.py")


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0020", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _keys(db: Database) -> dict[int, int | None]:
    async with db.reader() as session:
        rows = await session.execute(select(ShipmentLine.id, ShipmentLine.stock_ledger_id))
        return {line: key for line, key in rows}


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
    posted_keys = await _keys(db)

    async with db.transaction() as session:
        await session.execute(update(ShipmentLine).values(stock_ledger_id=None))
    assert set((await _keys(db)).values()) == {None}
    async with db.transaction() as session:
        await session.execute(text(_migration().BACKFILL))
    assert await _keys(db) == posted_keys
