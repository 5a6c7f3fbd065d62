"""``record_inspection``: a QC decision on part (or all) of a QC task. Accepted stock becomes
available where it lies and gets a putaway task; rejected stock goes to a rejected location. The
order line counts what was accepted and rejected."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product
from server.catalog.rules import raise_problems
from server.catalog.service import reject_location
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput
from server.idempotency import run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext, plain
from server.inventory.posting import post_moves
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.receiving.models import (
    Inspection,
    InspectionResult,
    ReceiptLine,
    TaskKind,
    TaskStatus,
    WarehouseTask,
)
from server.receiving.task_rules import (
    Decision,
    decision_problems,
    over_inspection_problem,
)
from server.receiving.tasks import lock_task, open_putaway_task, progress, tasks_by_ids

INSPECTORS = (Role.QC,)
DOCUMENT_TYPE = "QC"
MAX_NOTES_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class InspectionRequest:
    task_id: int
    result: InspectionResult
    idempotency_key: str
    accepted_quantity: Decimal = Decimal(0)
    rejected_quantity: Decimal = Decimal(0)
    notes: str = ""
    reject_location_code: str | None = None

    @property
    def decision(self) -> Decision:
        return Decision(self.result, self.accepted_quantity, self.rejected_quantity)


async def record_inspection(
    db: Database, principal: Principal, request: InspectionRequest
) -> WarehouseTask:
    """Decide part of a QC task; the same idempotency key again returns the task and changes
    nothing. Returns the QC task as it stands after the decision."""
    principal.require(*INSPECTORS)
    raise_problems(*decision_problems(request.decision))
    if len(request.notes) > MAX_NOTES_LENGTH:
        raise InvalidInput(f"notes may have at most {MAX_NOTES_LENGTH} characters",
                           field="notes")

    async def perform(session: AsyncSession) -> dict[str, Any]:
        task = await lock_task(session, request.task_id)
        await _decide(session, principal, task, request)
        return {"taskId": task.id}

    outcome = await run_once(db, principal, "recordInspection", request.idempotency_key, perform)
    async with db.reader() as session:
        [task] = await tasks_by_ids(session, [outcome.result["taskId"]])
    assert task is not None  # tasks are never deleted
    return task


async def _decide(
    session: AsyncSession, principal: Principal, task: WarehouseTask, request: InspectionRequest
) -> None:
    if task.kind != TaskKind.QC.value:
        raise InvalidInput(f"task {task.id} is a {task.kind} task, not a QC task",
                           field="taskId")
    if task.status == TaskStatus.DONE.value:
        raise DomainError(f"task {task.id} is done: all {plain(task.quantity)} have been inspected",
                          field="taskId", code="TASK_DONE")
    if task.receipt_line_id is None:
        raise InvalidInput(f"task {task.id} inspects returned goods of {task.document_number}: "
                           "decide it with inspectSalesReturn", field="taskId")
    raise_problems(over_inspection_problem(request.decision, task.quantity - task.done_quantity))
    accepted, rejected = request.accepted_quantity, request.rejected_quantity
    reject_bin = (await reject_location(session, task.warehouse_id, request.reject_location_code)
                  if rejected > 0 else None)
    receipt_line = await session.get_one(ReceiptLine, task.receipt_line_id)
    order_line = await _locked_order_line(session, receipt_line.order_line_id)
    product = await session.get_one(Product, task.product_id)

    on_task = {"product_id": task.product_id, "warehouse_id": task.warehouse_id, "lot": task.lot,
               "from_bucket": Bucket.PENDING_QC, "from_location_id": task.location_id}
    moves = []
    if accepted > 0:
        moves.append(Move(**on_task, quantity=accepted, to_bucket=Bucket.AVAILABLE,
                          to_location_id=task.location_id))
    if reject_bin is not None:
        moves.append(Move(**on_task, quantity=rejected, to_bucket=Bucket.REJECTED,
                          to_location_id=reject_bin.id))
    await progress(session, task, accepted + rejected, product.sku)
    if accepted > 0:  # before posting: backorders it serves take their goods off this task
        await open_putaway_task(session, task, accepted, product.sku)
    await post_moves(session, moves, PostingContext(
        DOCUMENT_TYPE, principal, task.document_number, document_line=receipt_line.line_no,
        reason=f"inspection {request.result.value}",
    ))
    session.add(Inspection(
        task_id=task.id, receipt_line_id=receipt_line.id, result=request.result.value,
        accepted_quantity=accepted, rejected_quantity=rejected,
        rejected_location_id=reject_bin.id if reject_bin else None,
        notes=request.notes.strip(), inspector_id=principal.user_id, decided_at=utcnow(),
    ))
    order_line.accepted_quantity += accepted
    order_line.rejected_quantity += rejected


async def _locked_order_line(session: AsyncSession, order_line_id: int) -> PurchaseOrderLine:
    """The order line, after locking its order as receipts do, so concurrent receipts and
    inspections of one order never overwrite each other's counts."""
    order_id = await session.scalar(
        select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.id == order_line_id)
    )
    await session.execute(
        select(PurchaseOrder.id).where(PurchaseOrder.id == order_id).with_for_update()
    )
    return await session.get_one(PurchaseOrderLine, order_line_id)
