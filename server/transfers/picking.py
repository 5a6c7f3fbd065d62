"""``confirm_transfer_pick``: the handheld confirms one pick line of a transfer, with #6's scan
and quantity rules: ``reserved`` in the bin → ``picked`` on the source's staging bin. A short
pick writes the missing stock off at the average (it was not in the bin), reserves the shortfall
again from other bins onto new pick lines, and what no bin can give leaves the transfer line
(a transfer moves what there is; nobody waits for it as for a sales backorder).

Lock order: transfer row, stock cost rows, task row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.db import Database
from server.errors import NotFound
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.receiving.tasks import lock_task, progress
from server.sales.pick_queries import staging_bin
from server.sales.pick_rules import (
    PickRequest,
    PickTarget,
    all_decided,
    line_status,
    over_pick_problem,
    pick_request_problems,
    scan_problems,
)
from server.sales.picking import read_scan
from server.sales.reserve import load_pool, lock_stock
from server.transfers import queries
from server.transfers.events import DOCUMENT_TYPE, TRANSFER_PICKED, transfer_event
from server.transfers.models import Transfer, TransferLine, TransferPick, TransferState
from server.transfers.queries import TransferView
from server.transfers.service import reserve_for_pick

PICKERS = (Role.WAREHOUSE,)


async def confirm_transfer_pick(
    db: Database, principal: Principal, request: PickRequest
) -> TransferView:
    """``request.pick_list_number`` is the transfer number; ``line_no`` a pick line of it. The
    same idempotency key again returns the transfer and changes nothing; every confirmation
    bumps the transfer's version."""
    principal.require(*PICKERS)
    raise_problems(*pick_request_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        transfer = await queries.lock_transfer(
            session, request.pick_list_number, frozenset({TransferState.PICKING.value}),
            request.based_on_version)
        pick = next((p for p in transfer.picks if p.line_no == request.line_no), None)
        if pick is None:
            raise NotFound(f"{transfer.number} has no pick line {request.line_no}",
                           field="lineNo")
        line = next(line for line in transfer.lines if line.id == pick.transfer_line_id)
        view = await queries.views_of(session, [transfer])
        target = next(PickTarget(p.pick.location_id, p.bin_code, p.pick.product_id, p.sku,
                                 p.pick.lot) for p in view[0].picks if p.pick.id == pick.id)
        remaining = pick.quantity - pick.picked_quantity - pick.short_quantity
        raise_problems(
            *scan_problems(target, await read_scan(session, request),
                           picking=request.quantity > 0),
            over_pick_problem(remaining, request.quantity, request.short_quantity))
        await lock_stock(session, [(pick.product_id, transfer.from_warehouse_id)])
        task = await lock_task(session, pick.task_id) if pick.task_id is not None else None
        if request.quantity > 0:
            await _pick(session, principal, transfer, line, pick, request.quantity)
        if request.short_quantity > 0:
            await _short(session, principal, transfer, line, pick, target,
                         request.short_quantity, (request.short_reason or "").strip())
        if task is not None:
            await progress(session, task, request.quantity + request.short_quantity, target.sku)
        pick.status = line_status(pick.quantity, pick.picked_quantity, pick.short_quantity).value
        transfer.version += 1
        await session.flush()
        if all_decided(p.status for p in transfer.picks):
            transfer.state = TransferState.PICKED.value
            await session.flush()
            await transfer_event(session, transfer, TRANSFER_PICKED,
                                 (view[0].from_warehouse_code, view[0].to_warehouse_code))
        return {"number": transfer.number}

    outcome = await run_once(db, principal, "confirmTransferPick", request.idempotency_key,
                             perform)
    async with db.reader() as session:
        return await queries.transfer_view(session, outcome.result["number"])


def _context(principal: Principal, transfer: Transfer, pick: TransferPick,
             reason: str) -> PostingContext:
    return PostingContext(DOCUMENT_TYPE, principal, transfer.number, document_line=pick.line_no,
                          reason=reason)


def _from_bin(transfer: Transfer, pick: TransferPick, quantity: Decimal, **to: Any) -> Move:
    return Move(product_id=pick.product_id, warehouse_id=transfer.from_warehouse_id,
                quantity=quantity, lot=pick.lot, from_bucket=Bucket.RESERVED,
                from_location_id=pick.location_id, **to)


async def _pick(session: AsyncSession, principal: Principal, transfer: Transfer,
                line: TransferLine, pick: TransferPick, quantity: Decimal) -> None:
    staging = await staging_bin(session, transfer.from_warehouse_id)
    await post_moves(session, [_from_bin(transfer, pick, quantity, to_bucket=Bucket.PICKED,
                                         to_location_id=staging.id)],
                     _context(principal, transfer, pick,
                              f"picked for {transfer.number} into {staging.code}"))
    pick.picked_quantity += quantity
    line.picked_quantity += quantity


async def _short(session: AsyncSession, principal: Principal, transfer: Transfer,
                 line: TransferLine, pick: TransferPick, target: PickTarget,
                 quantity: Decimal, reason: str) -> None:
    await post_moves(session, [_from_bin(transfer, pick, quantity)],
                     _context(principal, transfer, pick, f"short pick: {reason}"))
    pick.short_quantity += quantity
    pick.short_reason = reason
    # The bin's record proved wrong: pick again from other bins only.
    pair = (pick.product_id, transfer.from_warehouse_id)
    pool = await load_pool(session, [pair], exclude_bins=(pick.location_id,))
    taken = pool.take(pair, quantity)
    next_no = max(p.line_no for p in transfer.picks) + 1
    moves = await reserve_for_pick(session, transfer, line, target.sku, taken, next_no)
    if moves:
        await post_moves(session, moves, PostingContext(
            DOCUMENT_TYPE, principal, transfer.number, reason=f"re-reserved after a short pick "
            f"at {target.bin_code} ({reason})"))
    found = sum((part for _, part in taken), Decimal(0))
    line.quantity -= quantity - found
    await session.flush()
    await session.refresh(transfer, ["picks"])

