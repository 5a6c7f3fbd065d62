"""Manual stock movements: ``adjust_stock`` and ``move_stock``. Each checks the role and the input
first, then runs at most once per idempotency key, posting through ``post_moves`` in one
transaction together with its document number."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Location, Product, Warehouse
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import InvalidInput, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket, StockCost
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.inventory.queries import StockMovement, movement_of
from server.inventory.rules import (
    AdjustmentRequest,
    BinMoveRequest,
    adjustment_problems,
    bin_move_problems,
    lot_of,
)
from server.numbering import next_number

STOCK_KEEPERS = (Role.WAREHOUSE,)
ADJUSTMENT = "ADJ"
BIN_MOVE = "MOV"

Perform = Callable[[AsyncSession], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class _Resolved:
    product: Product
    warehouse: Warehouse
    locations: list[Location]


async def adjust_stock(
    db: Database, principal: Principal, request: AdjustmentRequest
) -> StockMovement:
    """Bring stock into a bin from outside (positive) or take it out (negative), with a reason.
    An increase comes in at ``unit_cost``, or at the current average when none is given."""
    principal.require(*STOCK_KEEPERS)
    raise_problems(*adjustment_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        found = await _resolve(
            session, request.sku, request.warehouse_code, [("locationCode", request.location_code)]
        )
        [location] = found.locations
        number = await next_number(session, ADJUSTMENT, utcnow().date())
        quantity = abs(request.quantity)
        inside = {"product_id": found.product.id, "warehouse_id": found.warehouse.id,
                  "quantity": quantity, "lot": lot_of(request.lot)}
        if request.quantity > 0:
            unit_cost = request.unit_cost
            if unit_cost is None:
                unit_cost = await _average_cost(session, found)
            move = Move(**inside, to_bucket=Bucket.AVAILABLE, to_location_id=location.id,
                        unit_cost=unit_cost)
        else:
            move = Move(**inside, from_bucket=Bucket.AVAILABLE, from_location_id=location.id)
        context = PostingContext(ADJUSTMENT, principal, number, reason=request.reason.strip())
        posting = await post_moves(session, [move], context)
        return {"documentNumber": number, "postingId": posting.posting_id}

    return await _movement(db, principal, "adjustStock", request.idempotency_key, perform)


async def move_stock(db: Database, principal: Principal, request: BinMoveRequest) -> StockMovement:
    """Carry available stock of one product (and lot) from one bin to another bin of the same
    warehouse; the stock stays available and keeps its value."""
    principal.require(*STOCK_KEEPERS)
    raise_problems(*bin_move_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        found = await _resolve(session, request.sku, request.warehouse_code, [
            ("fromLocationCode", request.from_location_code),
            ("toLocationCode", request.to_location_code),
        ])
        source, target = found.locations
        number = await next_number(session, BIN_MOVE, utcnow().date())
        move = Move(
            product_id=found.product.id, warehouse_id=found.warehouse.id,
            quantity=request.quantity, lot=lot_of(request.lot),
            from_bucket=Bucket.AVAILABLE, from_location_id=source.id,
            to_bucket=Bucket.AVAILABLE, to_location_id=target.id,
        )
        posting = await post_moves(session, [move], PostingContext(BIN_MOVE, principal, number))
        return {"documentNumber": number, "postingId": posting.posting_id}

    return await _movement(db, principal, "moveStock", request.idempotency_key, perform)


async def _movement(
    db: Database, principal: Principal, operation: str, key: str, perform: Perform
) -> StockMovement:
    outcome = await run_once(db, principal, operation, key, perform)
    async with db.reader() as session:
        return await movement_of(
            session, outcome.result["postingId"], outcome.result["documentNumber"]
        )


async def _resolve(
    session: AsyncSession, sku: str, warehouse_code: str | None,
    bins: Sequence[tuple[str, str]],
) -> _Resolved:
    """The product, warehouse and bins named by the request, all active and belonging together;
    every problem is reported at once. Without a warehouse code, the first bin's warehouse."""
    problems: list[Problem] = []
    product = await session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        problems.append(Problem("NOT_FOUND", f"no product with sku {sku!r}", "sku"))
    elif not product.active:
        problems.append(Problem("INVALID_INPUT", f"product {sku} is inactive", "sku"))
    codes = [code for _, code in bins]
    found = {loc.code: loc for loc in await session.scalars(
        select(Location).where(Location.code.in_(codes))
    )}
    warehouse = None
    if warehouse_code is not None:
        warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            problems.append(Problem(
                "NOT_FOUND", f"no warehouse with code {warehouse_code!r}", "warehouseCode"
            ))
    elif codes[0] in found:
        warehouse = await session.get(Warehouse, found[codes[0]].warehouse_id)
    if warehouse is not None and not warehouse.active:
        problems.append(Problem(
            "INVALID_INPUT", f"warehouse {warehouse.code} is inactive", "warehouseCode"
        ))
    for field, code in bins:
        location = found.get(code)
        if location is None:
            problems.append(Problem("NOT_FOUND", f"no bin with code {code!r}", field))
        elif warehouse is not None and location.warehouse_id != warehouse.id:
            problems.append(Problem(
                "INVALID_INPUT", f"bin {code} is not in warehouse {warehouse.code}", field
            ))
        elif not location.active:
            problems.append(Problem("INVALID_INPUT", f"bin {code} is inactive", field))
    if problems:
        raise InvalidInput.of(problems)
    assert product is not None and warehouse is not None  # a missing one added a problem
    return _Resolved(product, warehouse, [found[code] for code in codes])


async def _average_cost(session: AsyncSession, found: _Resolved) -> Decimal:
    average = await session.scalar(select(StockCost.average_cost).where(
        StockCost.product_id == found.product.id, StockCost.warehouse_id == found.warehouse.id
    ))
    if average is None:
        raise InvalidInput(
            f"{found.product.sku} has no average cost in {found.warehouse.code} yet: "
            "give unitCost", field="unitCost",
        )
    return average
