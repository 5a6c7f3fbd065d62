"""Returned goods at the dock: ``receive_sales_return`` scans the return number (it resolves as a
barcode, like a PO) and the products, and puts them into the receiving bin's ``pending_qc`` at the
cost they left with, one QC task per line; ``inspect_sales_return`` decides a task's goods:
restocked to ``available`` (backorders waiting on the product are served first, by the allocation
listener of every posting that grows ``available``) or scrapped to a ``rejected`` bin.

Lock order: sequence row (receipt number), return row, stock rows; inspections lock the return
row before the task, so a return's receipts and decisions take turns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Warehouse
from server.catalog.products import product_by_sku
from server.catalog.rules import raise_problems
from server.catalog.service import receiving_bin, reject_location
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, NotFound, Problem
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import lock_stock, post_moves
from server.numbering import next_number
from server.receiving.barcodes import BarcodeKind, register_document_finder, resolve_in_session
from server.receiving.models import TaskKind, TaskStatus, WarehouseTask
from server.receiving.tasks import (
    TASK_CREATED,
    lock_task,
    open_putaway_task,
    progress,
    task_event,
)
from server.sales.listeners import return_received
from server.sales.models import SalesOrder
from server.sales.return_models import (
    SalesReturn,
    SalesReturnInspection,
    SalesReturnReceipt,
    SalesReturnReceiptLine,
    SalesReturnState,
)
from server.sales.return_rules import (
    ReturnReceiptRequest,
    Room,
    decision_problems,
    over_receipt_problem,
    receipt_problems,
    spread,
)
from server.sales.returns import DOCUMENT_TYPE as RETURN_DOCUMENT
from server.sales.returns import ReturnView, lock_return, progress_of, return_event, return_view

RECEIVERS = (Role.WAREHOUSE,)
INSPECTORS = (Role.QC,)
# Receipts of returned goods; their tasks carry this prefix as their document type.
RECEIPT_DOCUMENT = "RR"
INSPECTION_DOCUMENT = "QC"
RETURN_RECEIVED = "RETURN_RECEIVED"
RETURN_INSPECTED = "RETURN_INSPECTED"
MAX_NOTES_LENGTH = 2000
DONE_STATES = (SalesReturnState.RECEIVED.value, SalesReturnState.CLOSED.value)


@register_document_finder
async def _sales_return_number(session: AsyncSession, text: str) -> BarcodeKind | None:
    if not text.startswith(f"{RETURN_DOCUMENT}-"):
        return None
    found = await session.scalar(select(SalesReturn.id).where(SalesReturn.number == text))
    return BarcodeKind.SALES_RETURN if found is not None else None


@dataclass(frozen=True, slots=True)
class ReturnReceiptOutcome:
    receipt: SalesReturnReceipt
    lines: list[SalesReturnReceiptLine]
    sales_return: ReturnView


async def receive_sales_return(
    db: Database, principal: Principal, request: ReturnReceiptRequest
) -> ReturnReceiptOutcome:
    """Post one scan session against a return; the same idempotency key again returns the
    first receipt and changes nothing."""
    principal.require(*RECEIVERS)
    raise_problems(*receipt_problems(request))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        return {"number": await _receive(session, principal, request)}

    outcome = await run_once(db, principal, "receiveSalesReturn", request.idempotency_key,
                             perform)
    async with db.reader() as session:
        receipt = await session.scalar(select(SalesReturnReceipt).where(
            SalesReturnReceipt.number == outcome.result["number"]))
        assert receipt is not None  # written by the first call
        number = await session.scalar(select(SalesReturn.number).where(
            SalesReturn.id == receipt.return_id))
        assert number is not None
        lines = list(await session.scalars(select(SalesReturnReceiptLine).where(
            SalesReturnReceiptLine.receipt_id == receipt.id)
            .order_by(SalesReturnReceiptLine.line_no)))
        return ReturnReceiptOutcome(receipt, lines, await return_view(session, number))


async def _receive(session: AsyncSession, principal: Principal,
                   request: ReturnReceiptRequest) -> str:
    number = await next_number(session, RECEIPT_DOCUMENT, utcnow().date())
    resolution = await resolve_in_session(session, request.document.strip(), field="document")
    if resolution.kind is not BarcodeKind.SALES_RETURN or resolution.document_number is None:
        raise InvalidInput(f"{request.document!r} is a {resolution.kind.value.lower()}, not a "
                           "sales return", field="document")
    sales_return = await lock_return(session, resolution.document_number, field="document")
    if sales_return.state in DONE_STATES:
        raise DomainError(f"{sales_return.number} is {sales_return.state}: everything announced "
                          "has come back", field="document", code="RETURN_COMPLETE")
    warehouse = await session.get_one(Warehouse, sales_return.warehouse_id)
    if warehouse.code != request.warehouse_code.strip():
        raise InvalidInput(f"{sales_return.number} comes back to {warehouse.code}, not "
                           f"{request.warehouse_code}", field="warehouseCode")
    location = await receiving_bin(session, warehouse.id)
    receipt = SalesReturnReceipt(
        number=number, return_id=sales_return.id, warehouse_id=warehouse.id,
        location_id=location.id, document_scan=request.document, received_by_id=principal.user_id,
        received_at=utcnow())
    problems: list[Problem] = []
    for index, line in enumerate(request.lines):
        field = f"lines[{index}]"
        try:
            product = await _product_of(session, line.sku, line.barcode, field)
        except DomainError as error:
            problems.extend(Problem(p.code, p.message, field) for p in error.problems)
            continue
        problems.extend(_book(sales_return, receipt, product, line.quantity, line.lot,
                              f"{field}.quantity"))
    raise_problems(*problems)
    lines = {line.id: line for line in sales_return.lines}
    moves = [Move(product_id=entry.product_id, warehouse_id=warehouse.id,
                  quantity=entry.quantity, to_bucket=Bucket.PENDING_QC,
                  to_location_id=location.id, lot=entry.lot,
                  unit_cost=lines[entry.return_line_id].unit_cost, document_line=entry.line_no)
             for entry in receipt.lines]
    locked = await lock_stock(session, moves)
    session.add(receipt)
    await session.flush()
    await _open_qc_tasks(session, receipt)
    await post_moves(session, moves, PostingContext(
        RECEIPT_DOCUMENT, principal, number, reason=f"returned on {sales_return.number}"),
        locked)
    sales_return.state = progress_of(sales_return.lines).value
    await session.flush()
    order_number = await _order_number(session, sales_return)
    await return_event(session, sales_return, RETURN_RECEIVED, order_number, receipt=number)
    await return_received(session, [receipt.id])
    return number


def _book(
    sales_return: SalesReturn, receipt: SalesReturnReceipt, product: Product,
    quantity: Decimal, lot: str | None, field: str,
) -> list[Problem]:
    """Spread a counted quantity over the return's lines of the product, each up to what it
    still expects, and add the receipt lines."""
    candidates = [line for line in sales_return.lines if line.product_id == product.id]
    if not candidates:
        return [Problem("NOT_ON_RETURN", f"{product.sku} is not on {sales_return.number}",
                        field)]
    parts = spread(quantity, [Room(line.line_no, line.quantity - line.received_quantity)
                              for line in candidates])
    if parts is None:
        return [over_receipt_problem(
            product.sku, sales_return.number, sum((line.quantity for line in candidates),
                                                  Decimal(0)),
            sum((line.received_quantity for line in candidates), Decimal(0)), quantity, field)]
    by_no = {line.line_no: line for line in candidates}
    for line_no, part in parts:
        line = by_no[line_no]
        line.received_quantity += part
        receipt.lines.append(SalesReturnReceiptLine(
            line_no=len(receipt.lines) + 1, return_line_id=line.id, product_id=product.id,
            quantity=part, lot=lot if lot is not None else line.lot))
    return []


async def _product_of(
    session: AsyncSession, sku: str | None, barcode: str | None, field: str
) -> Product:
    if sku is not None:
        return await product_by_sku(session, sku, f"{field}.sku")
    assert barcode is not None  # receipt_problems wants one of the two
    resolution = await resolve_in_session(session, barcode, field=f"{field}.barcode")
    if resolution.product is None:
        raise InvalidInput(f"{barcode!r} is a {resolution.kind.value.lower()}, not a product",
                           field=f"{field}.barcode")
    return resolution.product


async def _open_qc_tasks(session: AsyncSession, receipt: SalesReturnReceipt) -> None:
    """Every returned line is inspected before it may be sold again, whatever the product's
    own QC flag says: the customer had it."""
    tasks = [WarehouseTask(
        kind=TaskKind.QC.value, status=TaskStatus.OPEN.value, warehouse_id=receipt.warehouse_id,
        product_id=line.product_id, lot=line.lot, location_id=receipt.location_id,
        bucket=Bucket.PENDING_QC.value, quantity=line.quantity, done_quantity=Decimal(0),
        document_number=receipt.number, created_at=utcnow()) for line in receipt.lines]
    session.add_all(tasks)
    await session.flush()
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({line.product_id for line in receipt.lines})))).all())
    for line, task in zip(receipt.lines, tasks, strict=True):
        line.task_id = task.id
        await task_event(session, task, TASK_CREATED, skus[task.product_id])
    await session.flush()


async def _order_number(session: AsyncSession, sales_return: SalesReturn) -> str:
    number = await session.scalar(select(SalesOrder.number).where(
        SalesOrder.id == sales_return.order_id))
    assert number is not None  # a foreign key
    return number


@dataclass(frozen=True, slots=True)
class ReturnInspectionRequest:
    task_id: int
    idempotency_key: str
    restock_quantity: Decimal = Decimal(0)
    scrap_quantity: Decimal = Decimal(0)
    notes: str = ""
    reject_location_code: str | None = None


async def inspect_sales_return(
    db: Database, principal: Principal, request: ReturnInspectionRequest
) -> ReturnView:
    """Decide part (or all) of a return's QC task; the same idempotency key again changes
    nothing. Returns the return as it stands after the decision."""
    principal.require(*INSPECTORS)
    if len(request.notes) > MAX_NOTES_LENGTH:
        raise InvalidInput(f"notes may have at most {MAX_NOTES_LENGTH} characters",
                           field="notes")
    # The shape of the decision, before any row is read; the task's remainder is checked later.
    raise_problems(*decision_problems(request.restock_quantity, request.scrap_quantity,
                                      request.restock_quantity + request.scrap_quantity))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        return {"number": await _inspect(session, principal, request)}

    outcome = await run_once(db, principal, "inspectSalesReturn", request.idempotency_key,
                             perform)
    async with db.reader() as session:
        return await return_view(session, outcome.result["number"])


async def _inspect(session: AsyncSession, principal: Principal,
                   request: ReturnInspectionRequest) -> str:
    found = (await session.execute(
        select(SalesReturnReceiptLine, SalesReturnReceipt.number, SalesReturn.number)
        .join(SalesReturnReceipt, SalesReturnReceipt.id == SalesReturnReceiptLine.receipt_id)
        .join(SalesReturn, SalesReturn.id == SalesReturnReceipt.return_id)
        .where(SalesReturnReceiptLine.task_id == request.task_id))).first()
    if found is None:
        raise NotFound(f"task {request.task_id} inspects no returned goods", field="taskId")
    receipt_line, receipt_number, return_number = found
    sales_return = await lock_return(session, return_number, field="taskId")
    task = await lock_task(session, request.task_id)
    undecided = task.quantity - task.done_quantity
    if task.status == TaskStatus.DONE.value:
        raise DomainError(f"task {task.id} is done: all of it has been inspected",
                          field="taskId", code="TASK_DONE")
    restock, scrap = request.restock_quantity, request.scrap_quantity
    raise_problems(*decision_problems(restock, scrap, undecided))
    reject_bin = await reject_location(
        session, task.warehouse_id, request.reject_location_code) if scrap > 0 else None
    sku = (await session.get_one(Product, task.product_id)).sku
    on_task = {"product_id": task.product_id, "warehouse_id": task.warehouse_id, "lot": task.lot,
               "from_bucket": Bucket.PENDING_QC, "from_location_id": task.location_id}
    moves = []
    if restock > 0:
        moves.append(Move(**on_task, quantity=restock, to_bucket=Bucket.AVAILABLE,
                          to_location_id=task.location_id))
    if reject_bin is not None:
        moves.append(Move(**on_task, quantity=scrap, to_bucket=Bucket.REJECTED,
                          to_location_id=reject_bin.id))
    await progress(session, task, restock + scrap, sku)
    if restock > 0:  # before posting: backorders it serves take their goods off this task
        await open_putaway_task(session, task, restock, sku)
    await post_moves(session, moves, PostingContext(
        INSPECTION_DOCUMENT, principal, receipt_number, document_line=receipt_line.line_no,
        reason=f"return inspection of {sales_return.number}: restock {restock}, scrap {scrap}"))
    session.add(SalesReturnInspection(
        receipt_line_id=receipt_line.id, return_line_id=receipt_line.return_line_id,
        task_id=task.id, restocked_quantity=restock, scrapped_quantity=scrap,
        rejected_location_id=reject_bin.id if reject_bin else None,
        notes=request.notes.strip(), inspector_id=principal.user_id, decided_at=utcnow()))
    line = next(line for line in sales_return.lines if line.id == receipt_line.return_line_id)
    line.restocked_quantity += restock
    line.scrapped_quantity += scrap
    sales_return.state = progress_of(sales_return.lines).value
    await session.flush()
    await return_event(session, sales_return, RETURN_INSPECTED,
                       await _order_number(session, sales_return), receipt=receipt_number)
    return sales_return.number
