"""``create_transfer``: reserve at the source what is to travel (``available → reserved`` in its
bins, FEFO then FIFO then bin code, as sales reserves) and put each bin and lot on the transfer's
own pick lines, each with a PICK task; the transfer is the pick list the handheld walks.

Lock order, as every posting and sales keep it: document sequence, stock cost rows, then the
transfer row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Warehouse
from server.catalog.products import product_by_sku
from server.catalog.rules import raise_problems
from server.catalog.service import warehouse_by_code
from server.db import Database, utcnow
from server.errors import DomainError, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.numbering import next_number
from server.receiving.tasks import open_pick_task, settle_putaways
from server.sales.models import PickLineStatus
from server.sales.reserve import StockPool, load_pool, lock_stock
from server.sales.rules import Shortage, ShortageRefused, StockSpot
from server.sales.supply import expected_supply, with_expected
from server.transfers import queries
from server.transfers.events import DOCUMENT_TYPE, TRANSFER_CREATED, transfer_event
from server.transfers.models import Transfer, TransferLine, TransferPick, TransferState
from server.transfers.queries import TransferView
from server.transfers.rules import TransferDraft, draft_problems

CREATORS = (Role.WAREHOUSE, Role.PURCHASER, Role.PURCHASE_MANAGER)
ZERO = Decimal(0)


async def create_transfer(db: Database, principal: Principal, draft: TransferDraft) -> TransferView:
    """A transfer with all its lines reserved at the source, or INSUFFICIENT_STOCK naming each
    short line with what is available there now (and nothing saved)."""
    principal.require(*CREATORS)
    raise_problems(*draft_problems(draft))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
        source = await warehouse_by_code(session, draft.from_warehouse_code.strip(),
                                         "fromWarehouseCode")
        destination = await warehouse_by_code(session, draft.to_warehouse_code.strip(),
                                              "toWarehouseCode")
        products = await _products(session, [line.sku.strip() for line in draft.lines])
        pairs = [(product.id, source.id) for product in products]
        await lock_stock(session, pairs)
        pool = await load_pool(session, pairs)
        await _refuse_shortages(session, draft, products, source, pool)
        transfer = Transfer(number=number, from_warehouse_id=source.id,
                            to_warehouse_id=destination.id, state=TransferState.PICKING.value,
                            note=draft.note.strip(), version=1, created_by_id=principal.user_id,
                            created_at=utcnow())
        session.add(transfer)
        await session.flush()
        moves: list[Move] = []
        for line_no, (line, product) in enumerate(zip(draft.lines, products, strict=True), 1):
            row = TransferLine(transfer_id=transfer.id, line_no=line_no, product_id=product.id,
                               requested_quantity=line.quantity, quantity=line.quantity,
                               picked_quantity=ZERO, shipped_quantity=ZERO,
                               received_quantity=ZERO)
            session.add(row)
            await session.flush()
            taken = pool.take((product.id, source.id), line.quantity)
            moves += await reserve_for_pick(session, transfer, row, product.sku, taken,
                                            next_pick_no=len(moves) + 1)
        await post_moves(session, moves, PostingContext(
            DOCUMENT_TYPE, principal, number, reason=f"reserved for transfer to "
                                                     f"{destination.code}"))
        await transfer_event(session, transfer, TRANSFER_CREATED, (source.code, destination.code))
        return {"number": number}

    outcome = await run_once(db, principal, "createTransfer", draft.idempotency_key, perform)
    async with db.reader() as session:
        return await queries.transfer_view(session, outcome.result["number"])


async def _products(session: AsyncSession, skus: Sequence[str]) -> list[Product]:
    found: list[Product] = []
    problems: list[Problem] = []
    for index, sku in enumerate(skus):
        try:
            found.append(await product_by_sku(session, sku, f"lines[{index}].sku"))
        except DomainError as error:
            problems.extend(error.problems)
    raise_problems(*problems)
    return found


async def _refuse_shortages(
    session: AsyncSession, draft: TransferDraft, products: Sequence[Product], source: Warehouse,
    pool: StockPool,
) -> None:
    shortages = [
        Shortage(index, None, product.sku, line.quantity, pool.available((product.id, source.id)))
        for index, (line, product) in enumerate(zip(draft.lines, products, strict=True))
        if pool.available((product.id, source.id)) < line.quantity
    ]
    if shortages:
        supply = await expected_supply(session, source.id, [p.id for p in products])
        raise ShortageRefused(with_expected(shortages, supply, {p.sku: p.id for p in products}))


async def reserve_for_pick(
    session: AsyncSession, transfer: Transfer, line: TransferLine, sku: str,
    taken: Sequence[tuple[StockSpot, Decimal]], next_pick_no: int,
) -> list[Move]:
    """Pick lines (and PICK tasks) for stock taken from the pool, and the moves that reserve it;
    the caller posts them. Stock taken from the receiving bin settles its putaway tasks there."""
    moves: list[Move] = []
    for offset, (spot, part) in enumerate(taken):
        pick_no = next_pick_no + offset
        task = await open_pick_task(
            session, warehouse_id=transfer.from_warehouse_id, product_id=line.product_id,
            sku=sku, location_id=spot.location_id, lot=spot.lot, quantity=part,
            pick_list_number=transfer.number)
        session.add(TransferPick(
            transfer_id=transfer.id, line_no=pick_no, transfer_line_id=line.id,
            product_id=line.product_id, location_id=spot.location_id, lot=spot.lot,
            quantity=part, picked_quantity=ZERO, short_quantity=ZERO,
            status=PickLineStatus.OPEN.value, task_id=task.id))
        moves.append(Move(product_id=line.product_id, warehouse_id=transfer.from_warehouse_id,
                          quantity=part, lot=spot.lot, from_bucket=Bucket.AVAILABLE,
                          from_location_id=spot.location_id, to_bucket=Bucket.RESERVED,
                          to_location_id=spot.location_id, document_line=line.line_no))
    await session.flush()
    await settle_putaways(session, transfer.from_warehouse_id, line.product_id,
                          [(spot.location_id, spot.lot, part) for spot, part in taken])
    return moves
