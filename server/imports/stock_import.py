"""Importing opening stock (the warehouse role, as ``adjustStock``): every row counts its
quantity into its bin and lot as available stock at its unit cost, all rows in ONE posting
through ``post_moves`` under one OPN document number, in one transaction.

Opening stock is for a product that has none yet in the warehouse: a row for a product and
warehouse with stock on hand is refused, so importing the same file twice cannot double it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Location, Product, Warehouse
from server.db import Database, utcnow
from server.imports.report import ImportOutcome, RowError
from server.imports.stock_rows import OPENING_REASON, parse_opening_stock
from server.imports.table import Parsed, read_sheet, settle
from server.imports.writing import KEYS_PER_QUERY, Progress, rows_by_key
from server.inventory.models import Bucket, StockCost
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.inventory.rules import AdjustmentRequest, lot_of
from server.inventory.service import STOCK_KEEPERS
from server.numbering import next_number

OPENING = "OPN"


@dataclass(frozen=True, slots=True)
class _Catalog:
    """The products, warehouses and bins a file names, looked up once, and which of its
    product × warehouse pairs already have stock on hand."""

    products: dict[str, Product]
    warehouses: dict[str, Warehouse]
    locations: dict[str, Location]
    stocked: set[tuple[int, int]]


async def import_opening_stock(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """Post the file's rows as one opening-stock posting; ``imported`` counts the rows."""
    principal.require(*STOCK_KEEPERS)
    parsed = parse_opening_stock(*read_sheet(data))
    async with db.transaction() as session:
        catalog = await _catalog(session, parsed)
        parsed.errors.extend(_reference_errors(parsed, catalog))
        requests, skipped = settle(parsed, skip_bad_rows)
        if requests:
            number = await next_number(session, OPENING, utcnow().date())
            moves = [_move(request, catalog) for request in requests]
            await post_moves(session, moves, PostingContext(
                OPENING, principal, number, reason=OPENING_REASON))
            if on_progress is not None:
                on_progress(len(requests), len(requests))
    return ImportOutcome(imported=len(requests), created=len(requests), skipped=skipped)


async def _catalog(session: AsyncSession, parsed: Parsed[AdjustmentRequest]) -> _Catalog:
    requests = [request for _, request in parsed.rows]
    products = await rows_by_key(session, Product, Product.sku, (r.sku for r in requests))
    warehouses = await rows_by_key(session, Warehouse, Warehouse.code,
                                   (r.warehouse_code for r in requests))
    locations = await rows_by_key(session, Location, Location.code,
                                  (r.location_code for r in requests))
    product_ids = sorted({product.id for product in products.values()})
    stocked: set[tuple[int, int]] = set()
    for offset in range(0, len(product_ids), KEYS_PER_QUERY):
        stocked.update((product_id, warehouse_id) for product_id, warehouse_id in
                       await session.execute(select(StockCost.product_id, StockCost.warehouse_id)
                       .where(StockCost.product_id.in_(product_ids[offset:offset + KEYS_PER_QUERY]),
                              StockCost.valued_quantity > 0)))
    return _Catalog(products, warehouses, locations, stocked)


def _reference_errors(parsed: Parsed[AdjustmentRequest], catalog: _Catalog) -> list[RowError]:
    """What ``adjustStock`` would refuse about the row's product, warehouse and bin, and a
    product that already has stock in the warehouse."""
    errors: list[RowError] = []
    for row, request in parsed.rows:
        product = catalog.products.get(request.sku)
        warehouse = catalog.warehouses.get(request.warehouse_code)
        location = catalog.locations.get(request.location_code)
        if request.sku and product is None:
            errors.append(RowError(row, "sku", f"no product {request.sku!r}", "NOT_FOUND"))
        elif product is not None and not product.active:
            errors.append(RowError(row, "sku", f"product {request.sku} is inactive"))
        if request.warehouse_code and warehouse is None:
            errors.append(RowError(row, "warehouse", f"no warehouse {request.warehouse_code!r}",
                                   "NOT_FOUND"))
        elif warehouse is not None and not warehouse.active:
            errors.append(RowError(row, "warehouse", f"warehouse {warehouse.code} is inactive"))
        if request.location_code and location is None:
            errors.append(RowError(row, "location", f"no bin {request.location_code!r}",
                                   "NOT_FOUND"))
        elif location is not None and warehouse is not None \
                and location.warehouse_id != warehouse.id:
            errors.append(RowError(row, "location", f"bin {location.code} is not in warehouse "
                                                    f"{warehouse.code}"))
        elif location is not None and not location.active:
            errors.append(RowError(row, "location", f"bin {location.code} is inactive"))
        if product is not None and warehouse is not None \
                and (product.id, warehouse.id) in catalog.stocked:
            errors.append(RowError(row, "sku", f"{product.sku} already has stock in "
                                   f"{warehouse.code}: opening stock is for products without "
                                   "any; count differences in with adjustStock", "INVALID_STATE"))
    return errors


def _move(request: AdjustmentRequest, catalog: _Catalog) -> Move:
    return Move(product_id=catalog.products[request.sku].id,
                warehouse_id=catalog.warehouses[request.warehouse_code].id,
                quantity=request.quantity, lot=lot_of(request.lot),
                to_bucket=Bucket.AVAILABLE,
                to_location_id=catalog.locations[request.location_code].id,
                unit_cost=request.unit_cost)
