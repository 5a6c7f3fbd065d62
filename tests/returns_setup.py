"""Shipped orders to return from, for sales return tests: tests/picking_setup.py's world (C1 of
the sales user), stock counted in at a cost, an order taken, picked in full and shipped through
the real use cases; and short-hands for the three return steps."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select

from server.db import Database
from server.receiving.models import TaskKind, TaskStatus, WarehouseTask
from server.sales.pick_rules import PickRequest
from server.sales.picking import confirm_pick, release_picking
from server.sales.return_receiving import (
    ReturnInspectionRequest,
    ReturnReceiptOutcome,
    inspect_sales_return,
    receive_sales_return,
)
from server.sales.return_rules import (
    ReturnedLine,
    ReturnLineDraft,
    ReturnReceiptRequest,
    SalesReturnDraft,
)
from server.sales.returns import ReturnView, create_sales_return
from server.sales.shipping import ShipmentRequest, confirm_shipment
from tests.picking_setup import sales_order
from tests.world import World

D = Decimal


async def ship_order(db: Database, world: World, lines: Mapping[str, int | str],
                     unit_price: str = "300") -> str:
    """An order of C1 reserved from stock already counted in, picked in full and shipped."""
    number = await sales_order(db, world, lines, unit_price=unit_price)
    view = await release_picking(db, world["warehouse"], [number], uuid.uuid4().hex)
    for line in view.lines:
        view = await confirm_pick(db, world["warehouse"], PickRequest(
            pick_list_number=view.pick_list.number, line_no=line.line.line_no,
            bin_barcode=line.bin_code, quantity=line.line.quantity, sku=line.sku,
            lot=line.line.lot or None, idempotency_key=uuid.uuid4().hex))
    await confirm_shipment(db, world["warehouse"], ShipmentRequest(
        view.pick_list.number, "SF Express", "SF1", uuid.uuid4().hex))
    return number


def return_draft(order_number: str, lines: Mapping[str, int | str],
                 reason: str = "damaged in transit") -> SalesReturnDraft:
    return SalesReturnDraft(order_number, [ReturnLineDraft(sku, D(q)) for sku, q in lines.items()],
                            reason, uuid.uuid4().hex)


async def create_return(db: Database, world: World, order_number: str,
                        lines: Mapping[str, int | str]) -> ReturnView:
    return await create_sales_return(db, world["sales"], return_draft(order_number, lines))


def receipt_request(return_number: str, lines: Mapping[str, int | str],
                    warehouse: str = "WH1") -> ReturnReceiptRequest:
    return ReturnReceiptRequest(return_number, warehouse, uuid.uuid4().hex,
                                [ReturnedLine(D(q), sku=sku) for sku, q in lines.items()])


async def receive_return(db: Database, world: World, return_number: str,
                         lines: Mapping[str, int | str]) -> ReturnReceiptOutcome:
    return await receive_sales_return(db, world["warehouse"],
                                      receipt_request(return_number, lines))


async def qc_tasks(db: Database, receipt_number: str) -> list[WarehouseTask]:
    async with db.reader() as session:
        return list(await session.scalars(select(WarehouseTask).where(
            WarehouseTask.document_number == receipt_number,
            WarehouseTask.kind == TaskKind.QC.value).order_by(WarehouseTask.id)))


async def open_putaways(db: Database, receipt_number: str) -> list[WarehouseTask]:
    async with db.reader() as session:
        return list(await session.scalars(select(WarehouseTask).where(
            WarehouseTask.document_number == receipt_number,
            WarehouseTask.kind == TaskKind.PUTAWAY.value,
            WarehouseTask.status == TaskStatus.OPEN.value).order_by(WarehouseTask.id)))


async def inspect(db: Database, world: World, task_id: int, restock: int | str = 0,
                  scrap: int | str = 0) -> ReturnView:
    return await inspect_sales_return(db, world["qc"], ReturnInspectionRequest(
        task_id, uuid.uuid4().hex, restock_quantity=D(restock), scrap_quantity=D(scrap)))
