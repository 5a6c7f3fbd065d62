"""Master data for stock tests: warehouses with bins, products and a warehouse keeper, written
straight into the tables so the stock tests depend on nothing but the catalog's models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server import auth
from server.auth import Principal, Role
from server.catalog.models import Location, LocationType, Product, Warehouse
from server.db import Database
from server.inventory.models import StockCost, StockLedger, StockPosition, StockQuant
from server.inventory.rules import AdjustmentRequest, BinMoveRequest


@dataclass
class StockWorld:
    keeper: Principal
    warehouses: dict[str, int] = field(default_factory=dict)
    bins: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)


async def build_stock_world(
    db: Database,
    warehouses: dict[str, list[str]] | None = None,
    skus: tuple[str, ...] = ("SKU-1", "SKU-2"),
    keeper_name: str = "keeper",
) -> StockWorld:
    """By default WH1 with bins WH1-A and WH1-B, WH2 with WH2-A, and products SKU-1, SKU-2."""
    layout = warehouses or {"WH1": ["WH1-A", "WH1-B"], "WH2": ["WH2-A"]}
    keeper = await auth.create_user(db, keeper_name, "correct-horse-9", [Role.WAREHOUSE])
    world = StockWorld(keeper)
    async with db.transaction() as session:
        for code, bin_codes in layout.items():
            warehouse = Warehouse(code=code, name=f"Warehouse {code}")
            session.add(warehouse)
            await session.flush()
            world.warehouses[code] = warehouse.id
            for bin_code in bin_codes:
                location = Location(code=bin_code, warehouse_id=warehouse.id,
                                    type=LocationType.STORAGE.value)
                session.add(location)
                await session.flush()
                world.bins[bin_code] = location.id
        for sku in skus:
            product = Product(sku=sku, name=f"Product {sku}")
            session.add(product)
            await session.flush()
            world.products[sku] = product.id
    return world


def adjustment(
    sku: str, location: str, quantity: str | int, *, warehouse: str = "WH1",
    unit_cost: str | None = None, lot: str | None = None, reason: str = "cycle count",
    key: str | None = None,
) -> AdjustmentRequest:
    return AdjustmentRequest(
        warehouse_code=warehouse, sku=sku, location_code=location, quantity=Decimal(quantity),
        reason=reason, idempotency_key=key or uuid.uuid4().hex, lot=lot,
        unit_cost=Decimal(unit_cost) if unit_cost is not None else None,
    )


def bin_move(
    sku: str, source: str, target: str, quantity: str | int, *, lot: str | None = None,
    warehouse: str | None = None, key: str | None = None,
) -> BinMoveRequest:
    return BinMoveRequest(
        sku=sku, from_location_code=source, to_location_code=target,
        quantity=Decimal(quantity), idempotency_key=key or uuid.uuid4().hex, lot=lot,
        warehouse_code=warehouse,
    )


async def snapshot(db: Database) -> dict[str, Any]:
    """Every stock row, as plain comparable values."""
    async with db.reader() as session:
        return {
            "ledger": [(r.id, r.quantity) for r in await session.scalars(
                select(StockLedger).order_by(StockLedger.id))],
            "positions": sorted(
                (r.product_id, r.warehouse_id, r.bucket, r.quantity, r.version)
                for r in await session.scalars(select(StockPosition))),
            "quants": sorted(
                (r.product_id, r.location_id, r.lot, r.bucket, r.quantity)
                for r in await session.scalars(select(StockQuant))),
            "costs": sorted(
                (r.product_id, r.warehouse_id, r.valued_quantity, r.value, r.average_cost,
                 r.version)
                for r in await session.scalars(select(StockCost))),
        }
