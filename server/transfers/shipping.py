"""``ship_transfer``: everything picked leaves the source (``picked`` on its staging bin →
outside) at the source's moving-average cost, and arrives in the destination's ``in_transit``
bucket in the same transaction, the ledger row there carrying the unit cost the goods left with
(the average, or what was left when they emptied the shelves: ``travelling_costs``); the
transfer's travelling lots keep it for the receipt. In transit, the goods are in neither warehouse's
valuation (which covers the stock on hand): their value is the transfer's, and comes back on
the destination's books when it receives them.

Lock order: transfer row, then the stock cost rows of both warehouses (sorted)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import InvalidState
from server.idempotency import key_problem, run_once
from server.inventory.models import Bucket, StockLedger
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.sales.reserve import lock_stock
from server.transfers import queries
from server.transfers.events import DOCUMENT_TYPE, TRANSFER_SHIPPED, transfer_event
from server.transfers.models import Transfer, TransferLine, TransferLot, TransferState
from server.transfers.queries import TransferView
from server.transfers.rules import travelling_costs

SHIPPERS = (Role.WAREHOUSE,)


@dataclass(frozen=True, slots=True)
class ShipTransferRequest:
    transfer_number: str
    idempotency_key: str
    based_on_version: int | None = None


@dataclass(frozen=True, slots=True)
class _Staged:
    """Picked stock of one transfer line, lot and staging bin."""

    line: TransferLine
    location_id: int
    lot: str
    quantity: Decimal


async def ship_transfer(
    db: Database, principal: Principal, request: ShipTransferRequest
) -> TransferView:
    """Ship a fully picked transfer; the same idempotency key again returns it unchanged."""
    principal.require(*SHIPPERS)
    raise_problems(key_problem(request.idempotency_key))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        transfer = await queries.lock_transfer(
            session, request.transfer_number, frozenset({TransferState.PICKED.value}),
            request.based_on_version)
        staged = await _staged(session, transfer)
        if not staged:
            raise InvalidState(f"nothing was picked on {transfer.number}: nothing to ship",
                               field="transferNumber")
        await lock_stock(session, [
            (stock.line.product_id, warehouse) for stock in staged
            for warehouse in (transfer.from_warehouse_id, transfer.to_warehouse_id)])
        view = (await queries.views_of(session, [transfer]))[0]
        context = PostingContext(
            DOCUMENT_TYPE, principal, transfer.number,
            reason=f"transfer {view.from_warehouse_code} → {view.to_warehouse_code}")
        outbound = await post_moves(session, [
            Move(product_id=stock.line.product_id, quantity=stock.quantity, lot=stock.lot,
                 document_line=stock.line.line_no, warehouse_id=transfer.from_warehouse_id,
                 from_bucket=Bucket.PICKED, from_location_id=stock.location_id)
            for stock in staged], context)
        costs = travelling_costs(
            [((stock.line.id, stock.lot), entry.quantity, entry.value)
             for stock, entry in zip(staged, outbound.entries, strict=True)])
        await post_moves(session, [
            Move(product_id=stock.line.product_id, quantity=stock.quantity, lot=stock.lot,
                 document_line=stock.line.line_no, warehouse_id=transfer.to_warehouse_id,
                 to_bucket=Bucket.IN_TRANSIT, unit_cost=costs[(stock.line.id, stock.lot)])
            for stock in staged], context)
        await _record_lots(session, staged, costs)
        transfer.state = TransferState.IN_TRANSIT.value
        transfer.shipped_at = utcnow()
        transfer.version += 1
        await session.flush()
        await transfer_event(session, transfer, TRANSFER_SHIPPED,
                             (view.from_warehouse_code, view.to_warehouse_code))
        return {"number": transfer.number}

    outcome = await run_once(db, principal, "shipTransfer", request.idempotency_key, perform)
    async with db.reader() as session:
        return await queries.transfer_view(session, outcome.result["number"])


async def _staged(session: AsyncSession, transfer: Transfer) -> list[_Staged]:
    """Where each pick line's stock lies: the staging bin and lot its pick postings took it to,
    read from the ledger, merged per transfer line."""
    line_of_pick = {pick.line_no: pick.transfer_line_id for pick in transfer.picks}
    lines = {line.id: line for line in transfer.lines}
    rows = await session.execute(
        select(StockLedger.document_line, StockLedger.to_location_id, StockLedger.lot,
               func.sum(StockLedger.quantity))
        .where(StockLedger.document_type == DOCUMENT_TYPE,
               StockLedger.document_number == transfer.number,
               StockLedger.to_bucket == Bucket.PICKED.value)
        .group_by(StockLedger.document_line, StockLedger.to_location_id, StockLedger.lot))
    merged: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for pick_no, location_id, lot, quantity in rows:
        merged[(line_of_pick[pick_no], location_id, lot)] += Decimal(quantity)
    return [_Staged(lines[line_id], location_id, lot, quantity)
            for (line_id, location_id, lot), quantity in sorted(merged.items())
            if quantity > 0]


async def _record_lots(
    session: AsyncSession, staged: list[_Staged], costs: dict[tuple[int, str], Decimal]
) -> None:
    """A travelling lot per line and lot, at the unit cost its goods left the source at."""
    lots: dict[tuple[int, str], TransferLot] = {}
    for stock in staged:
        key = (stock.line.id, stock.lot)
        if key not in lots:
            lots[key] = TransferLot(transfer_line_id=stock.line.id, lot=stock.lot,
                                    quantity=Decimal(0), unit_cost=costs[key],
                                    received_quantity=Decimal(0))
            session.add(lots[key])
        lots[key].quantity += stock.quantity
        stock.line.shipped_quantity += stock.quantity
    await session.flush()
