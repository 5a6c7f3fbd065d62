"""The stocktake's events, written in the transaction that caused them: ``stocktake`` for the
document's status, ``stocktake_task`` for the count tasks (one per bin) on the warehouse's
to-do screens, with the same kinds as the warehouse tasks (created, updated, done)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.events import record_event
from server.receiving.tasks import TASK_CREATED, TASK_DONE, TASK_UPDATED
from server.stocktake.models import Stocktake, StocktakeBin

DOCUMENT_TYPE = "ST"  # the ledger's and the events' document type; numbers read ST-YYYY-NNNNNN
STATUS_TOPIC = "stocktake"
TASK_TOPIC = "stocktake_task"
TASK_KINDS = frozenset({TASK_CREATED, TASK_UPDATED, TASK_DONE})
STARTED = "STOCKTAKE_STARTED"
COUNTING = "STOCKTAKE_COUNTING"
RECOUNT_REQUESTED = "STOCKTAKE_RECOUNT_REQUESTED"
PENDING_APPROVAL = "STOCKTAKE_PENDING_APPROVAL"
REJECTED = "STOCKTAKE_REJECTED"
POSTED = "STOCKTAKE_POSTED"
CANCELLED = "STOCKTAKE_CANCELLED"
STATUS_KINDS = frozenset({STARTED, COUNTING, RECOUNT_REQUESTED, PENDING_APPROVAL, REJECTED,
                          POSTED, CANCELLED})


async def status_event(
    session: AsyncSession, stocktake: Stocktake, kind: str, actor: Principal, **details: Any
) -> None:
    await record_event(
        session, topic=STATUS_TOPIC, kind=kind, warehouse_id=stocktake.warehouse_id,
        document_type=DOCUMENT_TYPE, document_number=stocktake.number,
        payload={"stocktakeId": stocktake.id, "status": stocktake.status,
                 "version": stocktake.version, "actor": actor.username, **details},
    )


async def count_task_event(
    session: AsyncSession, stocktake: Stocktake, task: StocktakeBin, kind: str,
    location_code: str,
) -> None:
    """A bin to count appeared, was reopened for a recount (updated), or was counted (done)."""
    await record_event(
        session, topic=TASK_TOPIC, kind=kind, warehouse_id=stocktake.warehouse_id,
        document_type=DOCUMENT_TYPE, document_number=stocktake.number,
        payload={"taskId": task.id, "stocktakeNumber": stocktake.number,
                 "locationCode": location_code, "status": task.status, "round": task.round},
    )
