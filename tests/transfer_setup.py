"""A world to transfer in: tests/world.py's master data, a second warehouse WH2 (receiving bin,
two storage bins, staging), stock counted into WH1 through adjustments, and the calls of the
transfer flow with sensible defaults."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.catalog import service as warehouses
from server.catalog.models import LocationType, Product
from server.catalog.service import LocationDraft, WarehouseDraft
from server.db import Database
from server.inventory.models import StockCost, StockPosition
from server.receiving.receipt_rules import ReceiveLine
from server.sales.pick_rules import PickRequest
from server.transfers.picking import confirm_transfer_pick
from server.transfers.queries import TransferView
from server.transfers.receipts import TransferReceiptRequest, receive_transfer
from server.transfers.rules import TransferDraft, TransferLineDraft
from server.transfers.service import create_transfer
from server.transfers.shipping import ShipTransferRequest, ship_transfer
from tests.picking_setup import picking_world
from tests.world import World

D = Decimal


async def transfer_world(db: Database) -> World:
    world = await picking_world(db)
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "North"))
    for code, kind in [("WH2-RCV", LocationType.RECEIVING), ("WH2-A-01", LocationType.STORAGE),
                       ("WH2-A-02", LocationType.STORAGE), ("WH2-STG", LocationType.STAGING)]:
        await warehouses.create_location(db, world.admin, LocationDraft(code, "WH2", kind))
    return world


async def new_transfer(db: Database, world: World, lines: Mapping[str, int | str],
                       source: str = "WH1", destination: str = "WH2",
                       user: str = "warehouse", key: str | None = None) -> TransferView:
    return await create_transfer(db, world[user], TransferDraft(
        source, destination, [TransferLineDraft(sku, D(q)) for sku, q in lines.items()],
        key or uuid.uuid4().hex, note="rebalance"))


def pick_of(view: TransferView, line_no: int, quantity: int | str, **changes: Any
            ) -> PickRequest:
    """A confirmation at the pick line's own bin with its product (and lot) unless changed."""
    pick = next(p for p in view.picks if p.pick.line_no == line_no)
    values: dict[str, Any] = {
        "pick_list_number": view.transfer.number, "line_no": line_no,
        "bin_barcode": pick.bin_code, "quantity": D(quantity), "sku": pick.sku,
        "lot": pick.pick.lot or None, "idempotency_key": uuid.uuid4().hex}
    values.update(changes)
    return PickRequest(**values)


async def pick_all(db: Database, world: World, view: TransferView) -> TransferView:
    for pick in view.picks:
        view = await confirm_transfer_pick(db, world["warehouse"], pick_of(
            view, pick.pick.line_no, pick.pick.quantity))
    return view


async def ship(db: Database, world: World, view: TransferView,
               key: str | None = None) -> TransferView:
    return await ship_transfer(db, world["warehouse"], ShipTransferRequest(
        view.transfer.number, key or uuid.uuid4().hex))


async def receive(db: Database, world: World, number: str, *lines: ReceiveLine,
                  warehouse: str = "WH2", key: str | None = None,
                  based_on_version: int | None = None) -> TransferView:
    return await receive_transfer(db, world["warehouse"], TransferReceiptRequest(
        number, warehouse, key or uuid.uuid4().hex, list(lines), based_on_version))


async def levels(db: Database, sku: str, warehouse_code: str) -> dict[str, Decimal]:
    """bucket → quantity of a product in a warehouse, zero ones left out."""
    async with db.reader() as session:
        warehouse_id = await _warehouse_id(db, warehouse_code)
        rows = await session.execute(
            select(StockPosition.bucket, StockPosition.quantity)
            .join(Product, Product.id == StockPosition.product_id)
            .where(Product.sku == sku, StockPosition.warehouse_id == warehouse_id,
                   StockPosition.quantity != 0))
        return {bucket: quantity for bucket, quantity in rows}


async def valuation(db: Database, sku: str, warehouse_code: str
                    ) -> tuple[Decimal, Decimal, Decimal | None]:
    """(valued quantity, value, average cost) of a product in a warehouse."""
    warehouse_id = await _warehouse_id(db, warehouse_code)
    async with db.reader() as session:
        row = (await session.execute(
            select(StockCost.valued_quantity, StockCost.value, StockCost.average_cost)
            .join(Product, Product.id == StockCost.product_id)
            .where(Product.sku == sku, StockCost.warehouse_id == warehouse_id))).first()
        return (row[0], row[1], row[2]) if row else (D(0), D(0), None)


async def _warehouse_id(db: Database, code: str) -> int:
    async with db.reader() as session:
        return (await warehouses.warehouse_by_code(session, code)).id
