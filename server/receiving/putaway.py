"""``putaway``: carry available stock from where it lies (the receiving bin, usually) into the bin
whose barcode was scanned, through the ledger, advancing the open putaway tasks for that stock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Location, Product, Warehouse
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import InvalidInput, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.inventory.queries import StockMovement, movement_of
from server.inventory.rules import lot_of
from server.numbering import next_number
from server.receiving.models import WarehouseTask
from server.receiving.task_rules import (
    Bin,
    PutawayRequest,
    advance,
    putaway_problems,
    putaway_source_problem,
    putaway_target_problem,
)
from server.receiving.tasks import open_putaways_at, progress, tasks_by_ids

STOCK_KEEPERS = (Role.WAREHOUSE,)
DOCUMENT_TYPE = "PA"


@dataclass(frozen=True, slots=True)
class Putaway:
    """The bin move as posted, and the tasks it advanced (oldest first; empty without one)."""

    movement: StockMovement
    tasks: list[WarehouseTask]


@dataclass(frozen=True, slots=True)
class _Resolved:
    product: Product
    warehouse: Warehouse
    source: Location
    target: Location


async def putaway(db: Database, principal: Principal, request: PutawayRequest) -> Putaway:
    """Put stock away by scan; the same idempotency key again returns the first answer."""
    principal.require(*STOCK_KEEPERS)
    raise_problems(*putaway_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        found = await _resolve(session, request)
        lot = lot_of(request.lot)
        number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
        tasks = await open_putaways_at(session, found.warehouse.id, found.product.id, lot,
                                       found.source.id)
        move = Move(
            product_id=found.product.id, warehouse_id=found.warehouse.id,
            quantity=request.quantity, lot=lot,
            from_bucket=Bucket.AVAILABLE, from_location_id=found.source.id,
            to_bucket=Bucket.AVAILABLE, to_location_id=found.target.id,
        )
        posting = await post_moves(session, [move], PostingContext(
            DOCUMENT_TYPE, principal, number, reason=f"put away into {found.target.code}"))
        shares = advance([task.quantity - task.done_quantity for task in tasks],
                         request.quantity)
        advanced = []
        for task, share in zip(tasks, shares, strict=True):
            if share > 0:
                await progress(session, task, share, found.product.sku)
                advanced.append(task.id)
        return {"documentNumber": number, "postingId": posting.posting_id, "taskIds": advanced}

    outcome = await run_once(db, principal, "putaway", request.idempotency_key, perform)
    result = outcome.result
    async with db.reader() as session:
        movement = await movement_of(session, result["postingId"], result["documentNumber"])
        tasks = await tasks_by_ids(session, result["taskIds"])
    return Putaway(movement, [task for task in tasks if task is not None])


async def _resolve(session: AsyncSession, request: PutawayRequest) -> _Resolved:
    """The product, the warehouse (named, else the source bin's) and both bins; a target that is
    no active storage or staging bin of that warehouse is INVALID_LOCATION."""
    problems: list[Problem | None] = []
    product = await session.scalar(select(Product).where(Product.sku == request.sku))
    if product is None:
        problems.append(Problem("NOT_FOUND", f"no product with sku {request.sku!r}", "sku"))
    source = await session.scalar(
        select(Location).where(Location.code == request.from_location_code))
    target = await session.scalar(
        select(Location).where(Location.code == request.to_location_barcode))
    warehouse = None
    if request.warehouse_code is not None:
        warehouse = await session.scalar(
            select(Warehouse).where(Warehouse.code == request.warehouse_code))
        if warehouse is None:
            problems.append(Problem("NOT_FOUND", f"no warehouse with code "
                                    f"{request.warehouse_code!r}", "warehouseCode"))
    elif source is not None:
        warehouse = await session.get_one(Warehouse, source.warehouse_id)
    if source is None:
        problems.append(Problem("NOT_FOUND", f"no bin with code {request.from_location_code!r}",
                                "fromLocationCode"))
    elif warehouse is not None:
        problems.append(putaway_source_problem(
            Bin(source.code, source.type, source.active, source.warehouse_id),
            warehouse.id, warehouse.code))
    if target is None:
        problems.append(Problem("NOT_FOUND", f"no bin with barcode "
                                f"{request.to_location_barcode!r}", "toLocationBarcode"))
    elif warehouse is not None:
        problems.append(putaway_target_problem(
            Bin(target.code, target.type, target.active, target.warehouse_id),
            warehouse.id, warehouse.code))
    found = [p for p in problems if p is not None]
    if found:
        raise InvalidInput.of(found)
    assert product and warehouse and source and target  # a missing one added a problem
    return _Resolved(product, warehouse, source, target)
