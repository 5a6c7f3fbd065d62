"""``cancel_transfer``: a transfer nothing of which is picked yet gives its reservations back
(``reserved → available`` in the same bins, where waiting backorders may take them at once) and
its PICK tasks leave the to-do list. Once something is picked the transfer goes on; the
pickers report what is not wanted as short. Lock order: transfer row, stock cost rows, tasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.db import Database
from server.errors import InvalidInput, InvalidState
from server.idempotency import key_problem, run_once
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import post_moves
from server.receiving.tasks import lock_task, progress
from server.sales.models import PickLineStatus
from server.sales.reserve import lock_stock
from server.transfers import queries
from server.transfers.events import DOCUMENT_TYPE, TRANSFER_CANCELLED, transfer_event
from server.transfers.models import TransferState
from server.transfers.queries import TransferView

CANCELLERS = (Role.WAREHOUSE, Role.PURCHASER, Role.PURCHASE_MANAGER)
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class CancelTransferRequest:
    transfer_number: str
    reason: str
    idempotency_key: str
    based_on_version: int | None = None


async def cancel_transfer(
    db: Database, principal: Principal, request: CancelTransferRequest
) -> TransferView:
    principal.require(*CANCELLERS)
    reason = request.reason.strip()
    raise_problems(key_problem(request.idempotency_key))
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"say why, in at most {MAX_REASON_LENGTH} characters",
                           field="reason")

    async def perform(session: AsyncSession) -> dict[str, Any]:
        transfer = await queries.lock_transfer(
            session, request.transfer_number, frozenset({TransferState.PICKING.value}),
            request.based_on_version)
        if any(pick.picked_quantity > 0 for pick in transfer.picks):
            raise InvalidState(f"{transfer.number} is being picked: report the rest short "
                               "instead", field="transferNumber")
        view = (await queries.views_of(session, [transfer]))[0]
        skus = {pick.pick.id: pick.sku for pick in view.picks}
        await lock_stock(session, [(pick.product_id, transfer.from_warehouse_id)
                                   for pick in transfer.picks])
        moves = []
        for pick in transfer.picks:
            left = pick.quantity - pick.short_quantity
            if left > 0:
                moves.append(Move(
                    product_id=pick.product_id, warehouse_id=transfer.from_warehouse_id,
                    quantity=left, lot=pick.lot, from_bucket=Bucket.RESERVED,
                    from_location_id=pick.location_id, to_bucket=Bucket.AVAILABLE,
                    to_location_id=pick.location_id, document_line=pick.line_no))
            if pick.task_id is not None and pick.status == PickLineStatus.OPEN.value:
                task = await lock_task(session, pick.task_id)
                await progress(session, task, task.quantity - task.done_quantity,
                               skus[pick.id])
        transfer.state = TransferState.CANCELLED.value
        transfer.version += 1
        await session.flush()
        if moves:
            await post_moves(session, moves, PostingContext(
                DOCUMENT_TYPE, principal, transfer.number, reason=f"cancelled: {reason}"))
        await transfer_event(session, transfer, TRANSFER_CANCELLED,
                             (view.from_warehouse_code, view.to_warehouse_code))
        return {"number": transfer.number}

    outcome = await run_once(db, principal, "cancelTransfer", request.idempotency_key, perform)
    async with db.reader() as session:
        return await queries.transfer_view(session, outcome.result["number"])

