"""Posting a stocktake: the variances become ledger moves with the stocktake as the document,
in one transaction, once per idempotency key. A variance value over the approval threshold goes
through the STOCKTAKE approval flow first and posts in the transaction that approves it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.approvals import service as approvals
from server.approvals.models import ApprovalRequest
from server.auth import Principal
from server.catalog.models import Warehouse
from server.db import Database, utcnow
from server.errors import InvalidInput
from server.idempotency import key_problem, run_once
from server.inventory.models import Bucket, StockCost, StockLedger
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.stocktake import events
from server.stocktake.models import Stocktake
from server.stocktake.rules import (
    StocktakeAction,
    StocktakeStatus,
    VarianceLine,
    adjustments,
    needs_approval,
    next_status,
    total_value,
)
from server.stocktake.service import APPROVAL_DOCUMENT_TYPE, COUNTERS, load_stocktake
from server.stocktake.variances import lines_of

DEFAULT_APPROVAL_THRESHOLD = Decimal(1000)


def approval_facts(warehouse_code: str, variance_value: Decimal, lines: int) -> dict[str, Any]:
    """What a STOCKTAKE approval condition may test: ``varianceValue`` (signed: a loss is
    negative), ``absVarianceValue``, ``warehouse`` and ``lines`` (lines with a variance)."""
    return {"warehouse": warehouse_code, "varianceValue": variance_value,
            "absVarianceValue": abs(variance_value), "lines": lines}


SAMPLE_FACTS = approval_facts("WH", Decimal(-1), 1)


@dataclass(frozen=True, slots=True)
class PostRequest:
    number: str
    idempotency_key: str
    zero_uncounted: bool = False


async def post_stocktake(
    db: Database, principal: Principal, request: PostRequest,
    approval_threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD,
) -> Stocktake:
    """Post the counted variances (and zero the uncounted lines when asked). Over the threshold
    the stocktake waits in PENDING_APPROVAL and posts when approved; a retry with the same key
    returns the first outcome."""
    principal.require(*COUNTERS)
    problem = key_problem(request.idempotency_key)
    if problem is not None:
        raise InvalidInput(problem.message, field=problem.field)

    async def perform(session: AsyncSession) -> dict[str, Any]:
        stocktake = await load_stocktake(session, request.number, lock=True)
        await _lock_stock(session, stocktake)
        lines = await lines_of(session, stocktake, request.zero_uncounted)
        total = total_value(lines)
        over = needs_approval(total, approval_threshold)
        after = next_status(StocktakeAction.POST, StocktakeStatus(stocktake.status),
                            stocktake.number, needs_approval=over)
        stocktake.zero_uncounted = request.zero_uncounted
        stocktake.requested_variance_value = total
        stocktake.rejection_comment = None
        if after is StocktakeStatus.POSTED:
            await _post(session, stocktake, principal)
            return {"number": stocktake.number}
        stocktake.status = after.value
        stocktake.version += 1
        await events.status_event(session, stocktake, events.PENDING_APPROVAL, principal,
                                  varianceValue=str(total))
        warehouse = await session.get_one(Warehouse, stocktake.warehouse_id)
        facts = approval_facts(warehouse.code, total, len(adjustments(lines)))
        approval = await approvals.start(session, APPROVAL_DOCUMENT_TYPE, stocktake.id,
                                         stocktake.number, facts, principal)
        if approval.status == approvals.RequestStatus.APPROVED:
            await _post(session, stocktake, principal)
        return {"number": stocktake.number}

    outcome = await run_once(db, principal, "postStocktake", request.idempotency_key, perform)
    async with db.reader() as session:
        return await load_stocktake(session, outcome.result["number"])


async def _lock_stock(session: AsyncSession, stocktake: Stocktake) -> None:
    """Hold the warehouse's postings (in the global lock order) while the lines are read and
    posted, so the expected quantities cannot change under the posting."""
    await session.execute(
        select(StockCost.product_id).where(StockCost.warehouse_id == stocktake.warehouse_id)
        .order_by(StockCost.product_id).with_for_update()
    )


def moves_of(stocktake: Stocktake, lines: list[VarianceLine]) -> list[Move]:
    """Found stock comes into the bin's available stock at the current average cost (0 for a
    product never valued); missing stock leaves from there, valued by the ledger."""
    moves = []
    by_key = {line.key: line for line in lines}
    for line_no, (key, variance) in enumerate(adjustments(lines), start=1):
        location_id, product_id, lot = key
        common: dict[str, Any] = {"product_id": product_id, "warehouse_id": stocktake.warehouse_id,
                                  "quantity": abs(variance), "lot": lot, "document_line": line_no}
        if variance > 0:
            moves.append(Move(**common, to_bucket=Bucket.AVAILABLE, to_location_id=location_id,
                              unit_cost=by_key[key].unit_cost))
        else:
            moves.append(Move(**common, from_bucket=Bucket.AVAILABLE,
                              from_location_id=location_id))
    return moves


async def _post(session: AsyncSession, stocktake: Stocktake, actor: Principal) -> None:
    """Adjust the ledger to the counts as they stand now (movements up to this moment count),
    in the caller's transaction; a stocktake without variances posts with no moves."""
    await _lock_stock(session, stocktake)
    lines = await lines_of(session, stocktake)
    stocktake.posted_after_ledger_id = await session.scalar(
        select(func.max(StockLedger.id))) or 0
    moves = moves_of(stocktake, lines)
    if moves:
        await post_moves(session, moves, PostingContext(
            events.DOCUMENT_TYPE, actor, stocktake.number, reason="stocktake variance"))
    stocktake.status = StocktakeStatus.POSTED.value
    stocktake.posted_at = utcnow()
    stocktake.version += 1
    await events.status_event(session, stocktake, events.POSTED, actor,
                              varianceValue=str(total_value(lines)), moves=len(moves))


async def _on_decided(
    session: AsyncSession, request: ApprovalRequest, principal: Principal
) -> None:
    stocktake = await session.scalar(
        select(Stocktake).where(Stocktake.id == request.document_id).with_for_update()
        .execution_options(populate_existing=True))
    if stocktake is None or stocktake.status != StocktakeStatus.PENDING_APPROVAL.value:
        return
    if request.status == approvals.RequestStatus.APPROVED:
        next_status(StocktakeAction.APPROVE, StocktakeStatus(stocktake.status), stocktake.number)
        await _post(session, stocktake, principal)
        return
    stocktake.status = next_status(StocktakeAction.REJECT, StocktakeStatus(stocktake.status),
                                   stocktake.number).value
    stocktake.rejection_comment = request.comment
    stocktake.version += 1
    await events.status_event(session, stocktake, events.REJECTED, principal,
                              comment=request.comment)


approvals.register(approvals.DocumentKind(APPROVAL_DOCUMENT_TYPE, SAMPLE_FACTS, _on_decided))
