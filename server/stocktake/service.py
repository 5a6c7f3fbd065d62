"""Stocktake use cases up to posting: start (freeze the bins), record a device's count, ask for
a recount, cancel. Each runs in one transaction and tells its events in it; posting and the
approval callback are in ``server.stocktake.closing``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.approvals import service as approvals
from server.auth import Principal, Role
from server.catalog.models import Location, Product
from server.catalog.products import product_by_sku
from server.catalog.rules import raise_problems
from server.catalog.service import warehouse_by_code
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, NotFound, Problem
from server.idempotency import run_once
from server.inventory.models import StockCost, StockLedger, StockQuant
from server.inventory.rules import lot_of
from server.numbering import next_number
from server.receiving.barcodes import BarcodeKind, resolve_in_session
from server.receiving.tasks import TASK_CREATED, TASK_DONE, TASK_UPDATED
from server.stocktake import events
from server.stocktake.models import Stocktake, StocktakeBin, StocktakeCount, StocktakeFrozen
from server.stocktake.rules import (
    BinStatus,
    CountRequest,
    StocktakeAction,
    StocktakeStatus,
    count_problems,
    next_status,
)

COUNTERS = (Role.WAREHOUSE,)
STOCKTAKE_PREFIX = "ST"
APPROVAL_DOCUMENT_TYPE = "STOCKTAKE"
_RUNNING = (StocktakeStatus.OPEN.value, StocktakeStatus.COUNTING.value,
            StocktakeStatus.PENDING_APPROVAL.value)


@dataclass(frozen=True, slots=True)
class StartRequest:
    """``location_codes`` None counts every active bin of the warehouse."""

    warehouse_code: str
    location_codes: Sequence[str] | None = None
    blind: bool = False


async def start_stocktake(db: Database, principal: Principal, request: StartRequest) -> Stocktake:
    """Freeze what each chosen bin holds per product and lot (every physical bucket) and open a
    count task per bin. Postings on those products wait while the freeze reads, so the frozen
    quantities and the ledger position they stand at agree."""
    principal.require(*COUNTERS)
    if request.location_codes is not None and not request.location_codes:
        raise InvalidInput("name the bins to count, or leave locationCodes out to count all",
                           field="locationCodes")
    async with db.transaction() as session:
        warehouse = await warehouse_by_code(session, request.warehouse_code, "warehouseCode")
        bins = await _bins_to_count(session, warehouse.id, warehouse.code, request.location_codes)
        await _refuse_bins_in_running_counts(session, bins)
        number = await next_number(session, STOCKTAKE_PREFIX, utcnow().date())
        await session.execute(
            select(StockCost.product_id).where(StockCost.warehouse_id == warehouse.id)
            .order_by(StockCost.product_id).with_for_update()
        )
        last_ledger_id = await session.scalar(select(func.max(StockLedger.id))) or 0
        stocktake = Stocktake(
            number=number, warehouse_id=warehouse.id, status=StocktakeStatus.OPEN.value,
            blind=request.blind, all_locations=request.location_codes is None,
            frozen_after_ledger_id=last_ledger_id, zero_uncounted=False,
            started_by_id=principal.user_id, started_at=utcnow(), version=1,
        )
        session.add(stocktake)
        await session.flush()
        held = (
            select(StockQuant.location_id, StockQuant.product_id, StockQuant.lot,
                   func.sum(StockQuant.quantity))
            .where(StockQuant.location_id.in_([b.id for b in bins]))
            .group_by(StockQuant.location_id, StockQuant.product_id, StockQuant.lot)
            .having(func.sum(StockQuant.quantity) > 0)
        )
        session.add_all(
            StocktakeFrozen(stocktake_id=stocktake.id, location_id=location_id,
                            product_id=product_id, lot=lot, quantity=quantity)
            for location_id, product_id, lot, quantity in await session.execute(held)
        )
        tasks = [StocktakeBin(stocktake_id=stocktake.id, location_id=b.id,
                              status=BinStatus.OPEN.value, round=1, updated_at=utcnow())
                 for b in bins]
        session.add_all(tasks)
        await session.flush()
        await events.status_event(session, stocktake, events.STARTED, principal,
                                  blind=stocktake.blind, bins=[b.code for b in bins])
        for task, location in zip(tasks, bins, strict=True):
            await events.count_task_event(session, stocktake, task, TASK_CREATED, location.code)
        return stocktake


async def _bins_to_count(
    session: AsyncSession, warehouse_id: int, warehouse_code: str, codes: Sequence[str] | None
) -> list[Location]:
    stmt = select(Location).where(Location.warehouse_id == warehouse_id,
                                  Location.active.is_(True)).order_by(Location.code)
    if codes is None:
        found = list(await session.scalars(stmt))
        if not found:
            raise InvalidInput(f"warehouse {warehouse_code} has no bins", field="warehouseCode")
        return found
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    by_code = {loc.code: loc for loc in await session.scalars(
        select(Location).where(Location.code.in_(wanted)))}
    problems = []
    for code in wanted:
        location = by_code.get(code)
        if location is None:
            problems.append(Problem("NOT_FOUND", f"no bin with code {code!r}", "locationCodes"))
        elif location.warehouse_id != warehouse_id:
            problems.append(Problem("INVALID_INPUT", f"bin {code} is not in warehouse "
                                    f"{warehouse_code}", "locationCodes"))
        elif not location.active:
            problems.append(Problem("INVALID_INPUT", f"bin {code} is inactive", "locationCodes"))
    raise_problems(*problems)
    return sorted((by_code[code] for code in wanted), key=lambda loc: loc.code)


async def _refuse_bins_in_running_counts(session: AsyncSession, bins: Sequence[Location]) -> None:
    """A bin is counted by one stocktake at a time: two would post the same variance twice."""
    taken = (await session.execute(
        select(Location.code, Stocktake.number)
        .join(StocktakeBin, StocktakeBin.location_id == Location.id)
        .join(Stocktake, Stocktake.id == StocktakeBin.stocktake_id)
        .where(Location.id.in_([b.id for b in bins]), Stocktake.status.in_(_RUNNING))
        .order_by(Location.code)
    )).all()
    raise_problems(*(Problem("BIN_IN_STOCKTAKE", f"bin {code} is being counted by {number}",
                             "locationCodes") for code, number in taken))


async def load_stocktake(session: AsyncSession, number: str, *, lock: bool = False,
                         field: str = "number") -> Stocktake:
    stmt = select(Stocktake).where(Stocktake.number == number.strip())
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    stocktake = await session.scalar(stmt)
    if stocktake is None:
        raise NotFound(f"no stocktake {number!r}", field=field)
    return stocktake


async def _task_of(
    session: AsyncSession, stocktake: Stocktake, location_code: str, field: str
) -> tuple[StocktakeBin, Location]:
    location = await session.scalar(select(Location).where(Location.code == location_code.strip()))
    if location is None:
        raise NotFound(f"no bin with code {location_code!r}", field=field)
    task = await session.scalar(
        select(StocktakeBin).where(StocktakeBin.stocktake_id == stocktake.id,
                                   StocktakeBin.location_id == location.id).with_for_update()
    )
    if task is None:
        raise DomainError(f"bin {location.code} is not counted in {stocktake.number}",
                          field=field, code="NOT_IN_STOCKTAKE")
    return task, location


async def _counted_item(
    session: AsyncSession, request: CountRequest
) -> tuple[Product, Decimal, str]:
    """The product counted, the units (a case barcode counts its pack size per unit typed) and
    the lot: the one typed, else the one on a GS1 label, else none."""
    if request.sku is not None:
        product = await product_by_sku(session, request.sku.strip())
        return product, request.quantity, lot_of(request.lot)
    assert request.barcode is not None
    resolution = await resolve_in_session(session, request.barcode, field="barcode")
    if resolution.kind is not BarcodeKind.PRODUCT or resolution.product is None:
        raise DomainError(f"{request.barcode} is a {resolution.kind.lower().replace('_', ' ')}, "
                          "not a product", field="barcode", code="NOT_A_PRODUCT")
    pack = resolution.pack_quantity or Decimal(1)
    return (resolution.product, request.quantity * pack,
            lot_of(request.lot if request.lot is not None else resolution.read.lot))


async def record_count(db: Database, principal: Principal, request: CountRequest) -> StocktakeCount:
    """Record what a device counted of one item (a barcode, or a sku) in one bin. Devices count
    in parallel; the same device counting the same item in the same round again replaces its
    count. The first count of a round finishes the bin's count task."""
    principal.require(*COUNTERS)
    raise_problems(*count_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        stocktake = await load_stocktake(session, request.stocktake_number, lock=True,
                                         field="stocktakeNumber")
        status = StocktakeStatus(stocktake.status)
        after = next_status(StocktakeAction.COUNT, status, stocktake.number)
        task, location = await _task_of(session, stocktake, request.location_code,
                                        "locationCode")
        product, units, lot = await _counted_item(session, request)
        if not product.active:
            raise InvalidInput(f"product {product.sku} is inactive", field="sku")
        entry = (request.barcode or request.sku or "").strip()
        count = await session.scalar(select(StocktakeCount).where(
            StocktakeCount.stocktake_id == stocktake.id,
            StocktakeCount.location_id == location.id,
            StocktakeCount.device_id == request.device_id.strip(),
            StocktakeCount.round == task.round, StocktakeCount.entry == entry,
            StocktakeCount.lot == lot))
        if count is None:
            count = StocktakeCount(
                stocktake_id=stocktake.id, location_id=location.id, product_id=product.id,
                lot=lot, device_id=request.device_id.strip(), round=task.round, entry=entry,
                quantity=units)
            session.add(count)
        count.quantity = units
        count.counted_by_id, count.counted_at = principal.user_id, utcnow()
        if after is not status:
            stocktake.status = after.value
            stocktake.version += 1
            await events.status_event(session, stocktake, events.COUNTING, principal)
        if task.status == BinStatus.OPEN.value:
            task.status, task.updated_at = BinStatus.COUNTED.value, utcnow()
            await session.flush()
            await events.count_task_event(session, stocktake, task, TASK_DONE, location.code)
        await session.flush()
        return {"countId": count.id}

    outcome = await run_once(db, principal, "recordCount", request.idempotency_key, perform)
    async with db.reader() as session:
        return await session.get_one(StocktakeCount, outcome.result["countId"])


async def request_recount(
    db: Database, principal: Principal, number: str, location_codes: Sequence[str]
) -> Stocktake:
    """Reopen bins for another count: a new round starts there, and what was counted in the
    earlier rounds no longer stands."""
    principal.require(*COUNTERS)
    if not location_codes:
        raise InvalidInput("name the bins to count again", field="locationCodes")
    async with db.transaction() as session:
        stocktake = await load_stocktake(session, number, lock=True)
        after = next_status(StocktakeAction.RECOUNT, StocktakeStatus(stocktake.status),
                            stocktake.number)
        codes = list(dict.fromkeys(code.strip() for code in location_codes))
        for code in codes:
            task, location = await _task_of(session, stocktake, code, "locationCodes")
            task.round += 1
            task.status, task.updated_at = BinStatus.OPEN.value, utcnow()
            await session.flush()
            await events.count_task_event(session, stocktake, task, TASK_UPDATED, location.code)
        stocktake.status = after.value
        stocktake.version += 1
        await events.status_event(session, stocktake, events.RECOUNT_REQUESTED, principal,
                                  bins=codes)
        return stocktake


async def cancel_stocktake(
    db: Database, principal: Principal, number: str, reason: str
) -> Stocktake:
    """Drop a stocktake that has not posted; nothing is adjusted, a pending approval closes."""
    principal.require(*COUNTERS)
    if not reason.strip():
        raise InvalidInput("give a reason for cancelling", field="reason")
    async with db.transaction() as session:
        stocktake = await load_stocktake(session, number, lock=True)
        after = next_status(StocktakeAction.CANCEL, StocktakeStatus(stocktake.status),
                            stocktake.number)
        await approvals.withdraw(session, APPROVAL_DOCUMENT_TYPE, stocktake.id)
        stocktake.status, stocktake.cancelled_at = after.value, utcnow()
        stocktake.version += 1
        await events.status_event(session, stocktake, events.CANCELLED, principal,
                                  reason=reason.strip())
        return stocktake
