"""``receive_transfer``: the destination's handheld scans the transfer number and then the goods,
as it receives a purchase order (#5): what was counted moves ``in_transit`` → ``available`` in
the receiving bin at the unit cost that travelled, and a putaway task per line and lot suggests a
bin. Transferred goods were inspected where they came from, so they do not wait for QC again.
Counting more than is still on the road (per line, or per lot when one is scanned) is refused
with the numbers, a product not on the transfer likewise, and nothing is posted.

Lock order: transfer row, then the destination's stock cost rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Location, Product
from server.catalog.products import product_by_sku
from server.catalog.rules import raise_problems
from server.catalog.service import receiving_bin
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.receiving.barcodes import resolve_in_session
from server.receiving.models import TaskKind, TaskStatus, WarehouseTask
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine, request_problems
from server.receiving.tasks import TASK_CREATED, suggested_bins, task_event
from server.sales.reserve import lock_stock
from server.transfers import queries
from server.transfers.events import DOCUMENT_TYPE, TRANSFER_RECEIVED, transfer_event
from server.transfers.models import Transfer, TransferLine, TransferLot
from server.transfers.queries import TransferView
from server.transfers.rules import (
    RECEIVABLE,
    OverReceipt,
    TravellingLot,
    spread_over_lots,
    state_after_receipt,
)

RECEIVERS = (Role.WAREHOUSE,)


@dataclass(frozen=True, slots=True)
class TransferReceiptRequest:
    transfer_number: str
    warehouse_code: str
    idempotency_key: str
    lines: Sequence[ReceiveLine]
    based_on_version: int | None = None


@dataclass(frozen=True, slots=True)
class _Counted:
    line: TransferLine
    sku: str
    quantity: Decimal
    lot: str | None


async def receive_transfer(
    db: Database, principal: Principal, request: TransferReceiptRequest
) -> TransferView:
    """Receive counted goods of a shipped transfer at its destination; the same idempotency key
    again returns the transfer and posts nothing."""
    principal.require(*RECEIVERS)
    problems = request_problems(ReceiptRequest(
        request.transfer_number, request.warehouse_code, request.idempotency_key,
        request.lines, request.based_on_version))
    if not request.lines:
        problems.append(Problem("INVALID_INPUT", "scan at least one product", "lines"))
    raise_problems(*(Problem(p.code, "scan the transfer number", "transferNumber")
                     if p.field == "document" else p for p in problems))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        transfer = await queries.lock_transfer(
            session, request.transfer_number, RECEIVABLE, request.based_on_version)
        view = (await queries.views_of(session, [transfer]))[0]
        if view.to_warehouse_code != request.warehouse_code.strip():
            raise InvalidInput(f"{transfer.number} goes to {view.to_warehouse_code}, not "
                               f"{request.warehouse_code.strip()}", field="warehouseCode")
        counted = await _counted(session, transfer, request.lines)
        lots = {lot.id: lot for line in view.lines for lot in line.lots}
        taken = _spread(counted, view, lots)
        dock = await receiving_bin(session, transfer.to_warehouse_id)
        await lock_stock(session, {(c.line.product_id, transfer.to_warehouse_id)
                                   for c in counted})
        moves = [Move(product_id=line.product_id, warehouse_id=transfer.to_warehouse_id,
                      quantity=part, lot=lot.lot, from_bucket=Bucket.IN_TRANSIT,
                      to_bucket=Bucket.AVAILABLE, to_location_id=dock.id,
                      unit_cost=lot.unit_cost, document_line=line.line_no)
                 for line, lot, part in taken]
        await post_moves(session, moves, PostingContext(
            DOCUMENT_TYPE, principal, transfer.number,
            reason=f"received from {view.from_warehouse_code} into {dock.code}"))
        for line, lot, part in taken:
            lot.received_quantity += part
            line.received_quantity += part
        await _open_putaways(session, transfer, dock, taken)
        shipped = sum((line.shipped_quantity for line in transfer.lines), Decimal(0))
        received = sum((line.received_quantity for line in transfer.lines), Decimal(0))
        transfer.state = state_after_receipt(shipped, received).value
        transfer.received_at = utcnow()
        transfer.version += 1
        await session.flush()
        await transfer_event(session, transfer, TRANSFER_RECEIVED,
                             (view.from_warehouse_code, view.to_warehouse_code))
        return {"number": transfer.number}

    outcome = await run_once(db, principal, "receiveTransfer", request.idempotency_key, perform)
    async with db.reader() as session:
        return await queries.transfer_view(session, outcome.result["number"])


async def _counted(
    session: AsyncSession, transfer: Transfer, lines: Sequence[ReceiveLine]
) -> list[_Counted]:
    """Each input line's product (by SKU or scanned barcode, its label's lot kept) and the
    transfer line carrying it; NOT_ON_ORDER for a product the transfer does not carry."""
    by_product = {line.product_id: line for line in transfer.lines}
    problems: list[Problem] = []
    counted: list[_Counted] = []
    for index, line in enumerate(lines):
        field = f"lines[{index}].{'sku' if line.sku is not None else 'barcode'}"
        try:
            product, lot = await _identify(session, line, field)
        except DomainError as error:
            problems.extend(Problem(p.code, p.message, field) for p in error.problems)
            continue
        if product.id not in by_product:
            problems.append(Problem("NOT_ON_ORDER", f"{product.sku} is not on "
                                    f"{transfer.number}", field))
            continue
        counted.append(_Counted(by_product[product.id], product.sku, line.quantity, lot))
    raise_problems(*problems)
    return counted


async def _identify(
    session: AsyncSession, line: ReceiveLine, field: str
) -> tuple[Product, str | None]:
    if line.sku is not None:
        return await product_by_sku(session, line.sku, field), line.lot
    assert line.barcode is not None  # request_problems wants one of the two
    found = await resolve_in_session(session, line.barcode, field=field)
    if found.product is None:
        raise InvalidInput(f"{line.barcode!r} is a {found.kind.value.lower()}, not a product",
                           field=field)
    if line.lot is not None and found.read.lot is not None and line.lot != found.read.lot:
        raise InvalidInput(f"lot {line.lot!r} differs from the label's lot {found.read.lot!r}",
                           field=field)
    return found.product, line.lot if line.lot is not None else found.read.lot


def _spread(
    counted: Sequence[_Counted], view: queries.TransferView, lots: dict[int, TransferLot]
) -> list[tuple[TransferLine, TransferLot, Decimal]]:
    """The counted quantities over the travelling lots (see ``spread_over_lots``), several
    counts of one line drawing down the same lots; OVER_RECEIPT names each line that does not
    fit."""
    received = {lot_id: lot.received_quantity for lot_id, lot in lots.items()}
    line_lots = {line.line.id: [lot.id for lot in line.lots] for line in view.lines}
    taken: list[tuple[TransferLine, TransferLot, Decimal]] = []
    problems: list[Problem] = []
    for index, count in enumerate(counted):
        travelling = [TravellingLot(i, lots[i].lot, lots[i].quantity, received[i])
                      for i in line_lots[count.line.id]]
        try:
            parts = spread_over_lots(count.quantity, count.lot, travelling)
        except OverReceipt as error:
            problems.append(Problem("OVER_RECEIPT", f"{count.sku}: {error}",
                                    f"lines[{index}].quantity"))
            continue
        for lot, part in parts:
            received[lot.lot_id] += part
            taken.append((count.line, lots[lot.lot_id], part))
    raise_problems(*problems)
    return taken


async def _open_putaways(
    session: AsyncSession, transfer: Transfer, dock: Location,
    taken: Sequence[tuple[TransferLine, TransferLot, Decimal]],
) -> None:
    """A putaway task per product and lot received, with a suggested bin, as after a receipt."""
    quantities: dict[tuple[int, str], Decimal] = {}
    for line, lot, part in taken:
        key = (line.product_id, lot.lot)
        quantities[key] = quantities.get(key, Decimal(0)) + part
    bins = await suggested_bins(session, transfer.to_warehouse_id,
                                sorted({product_id for product_id, _ in quantities}))
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({product_id for product_id, _ in quantities})))).all())
    for (product_id, lot), quantity in quantities.items():
        task = WarehouseTask(
            kind=TaskKind.PUTAWAY.value, status=TaskStatus.OPEN.value,
            warehouse_id=transfer.to_warehouse_id, product_id=product_id, lot=lot,
            location_id=dock.id, bucket=Bucket.AVAILABLE.value,
            suggested_location_id=bins.get(product_id), quantity=quantity,
            done_quantity=Decimal(0), document_number=transfer.number, created_at=utcnow())
        session.add(task)
        await session.flush()
        await task_event(session, task, TASK_CREATED, skus[product_id])
