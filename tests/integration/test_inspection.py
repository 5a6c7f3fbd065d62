"""Quality inspection on the service layer: partial decisions, concessions, the order line's
accepted and rejected counts, stock buckets and bins, putaway tasks and events."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.catalog import service as warehouses
from server.catalog.models import LocationType
from server.catalog.service import LocationDraft, WarehouseDraft
from server.db import Database
from server.errors import DomainError
from server.inventory.models import Bucket, StockCost
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import Inspection, InspectionResult, TaskKind, TaskStatus
from tests.receiving_setup import (
    Received,
    approved_order,
    bins_of,
    current_task,
    level,
    order_line,
    receive,
    receiving_world,
    task_events,
)
from tests.stock_setup import snapshot
from tests.world import World

PASS, FAIL, CONCESSION = InspectionResult.PASS, InspectionResult.FAIL, InspectionResult.CONCESSION


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


@pytest.fixture
async def received(db: Database, world: World) -> tuple[str, Received]:
    """10 of P2 (QC required, 250 each) received in lot L1 against an order of 20."""
    order = await approved_order(db, world, {"P2": 20})
    return order.number, await receive(db, world, order.number, [("P2", 10, "L1")])


def decision(task_id: int, result: InspectionResult, accepted: int = 0, rejected: int = 0,
             **extra: object) -> InspectionRequest:
    return InspectionRequest(task_id=task_id, result=result, idempotency_key=uuid.uuid4().hex,
                             accepted_quantity=Decimal(accepted),
                             rejected_quantity=Decimal(rejected), **extra)  # type: ignore[arg-type]


async def refusal(db: Database, world: World, request: InspectionRequest,
                  user: str = "qc") -> DomainError:
    before = await snapshot(db)
    with pytest.raises(DomainError) as raised:
        await record_inspection(db, world[user], request)
    assert await snapshot(db) == before, "a refused inspection changes no stock"
    return raised.value


async def test_receipt_opens_a_qc_task_for_the_pending_stock(
    db: Database, received: tuple[str, Received]
) -> None:
    _, receipt = received
    task = receipt.task_of(1)
    assert (task.kind, task.status, task.quantity, task.lot) == (
        TaskKind.QC, TaskStatus.OPEN, Decimal(10), "L1")
    assert task.suggested_location_id is None
    assert await level(db, "P2", Bucket.PENDING_QC) == Decimal(10)
    assert await bins_of(db, "P2") == {("WH1-RCV", "L1"): Decimal(10)}
    [(kind, payload)] = await task_events(db)
    assert kind == "TASK_CREATED"
    assert payload == {"taskId": task.id, "kind": "qc", "status": "open", "sku": "P2",
                       "quantity": "10.0000", "doneQuantity": "0.0000"}


async def test_pass_part_then_reject_the_rest(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    number, receipt = received
    qc_task = receipt.task_of(1)

    task = await record_inspection(db, world["qc"], decision(qc_task.id, PASS, accepted=6,
                                                             notes="looks fine"))
    assert (task.status, task.done_quantity) == (TaskStatus.OPEN, Decimal(6))
    assert await level(db, "P2", Bucket.PENDING_QC) == Decimal(4)
    assert await level(db, "P2", Bucket.AVAILABLE) == Decimal(6)
    assert await bins_of(db, "P2") == {("WH1-RCV", "L1"): Decimal(10)}, "still in the dock bin"
    line = await order_line(db, number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(6), Decimal(0))

    task = await record_inspection(db, world["qc"], decision(qc_task.id, FAIL, rejected=4))
    assert (task.status, task.done_quantity) == (TaskStatus.DONE, Decimal(10))
    assert task.completed_at is not None
    assert await level(db, "P2", Bucket.PENDING_QC) == 0
    assert await level(db, "P2", Bucket.REJECTED) == Decimal(4)
    assert await bins_of(db, "P2") == {("WH1-RCV", "L1"): Decimal(6),
                                       ("WH1-REJ", "L1"): Decimal(4)}
    line = await order_line(db, number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(6), Decimal(4))

    kinds = [(kind, p["kind"], p["status"], p["doneQuantity"]) for kind, p in
             await task_events(db)]
    assert kinds == [
        ("TASK_CREATED", "qc", "open", "0.0000"),
        ("TASK_UPDATED", "qc", "open", "6.0000"),
        ("TASK_CREATED", "putaway", "open", "0.0000"),
        ("TASK_DONE", "qc", "done", "10.0000"),
    ]
    async with db.reader() as session:
        inspections = list(await session.scalars(select(Inspection).order_by(Inspection.id)))
        cost = await session.scalar(select(StockCost))
    assert [(i.result, i.accepted_quantity, i.rejected_quantity, i.notes) for i in inspections
            ] == [("pass", 6, 0, "looks fine"), ("fail", 0, 4, "")]
    assert inspections[1].rejected_location_id is not None
    assert cost is not None and cost.value == Decimal(2500), "inspection keeps the value"


async def test_accepted_stock_gets_a_putaway_task_with_a_suggested_bin(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    _, receipt = received
    await record_inspection(db, world["qc"], decision(receipt.task_of(1).id, PASS, accepted=6))
    [(_, payload)] = [e for e in await task_events(db) if e[1]["kind"] == "putaway"]
    putaway = await current_task(db, payload["taskId"])
    assert (putaway.kind, putaway.bucket, putaway.quantity, putaway.lot) == (
        TaskKind.PUTAWAY, Bucket.AVAILABLE, Decimal(6), "L1")
    assert putaway.location_id == receipt.task_of(1).location_id
    assert putaway.suggested_location_id is not None
    assert putaway.document_number == receipt.number


async def test_concession_accepts_despite_a_defect_and_rejects_into_the_named_bin(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    number, receipt = received
    task = await record_inspection(db, world["qc"], decision(
        receipt.task_of(1).id, CONCESSION, accepted=8, rejected=2, notes="scratched box",
        reject_location_code="WH1-QC"))
    assert task.status == TaskStatus.DONE
    assert await bins_of(db, "P2") == {("WH1-RCV", "L1"): Decimal(8),
                                       ("WH1-QC", "L1"): Decimal(2)}
    assert await level(db, "P2", Bucket.AVAILABLE) == Decimal(8)
    assert await level(db, "P2", Bucket.REJECTED) == Decimal(2)
    line = await order_line(db, number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(8), Decimal(2))
    async with db.reader() as session:
        [inspection] = await session.scalars(select(Inspection))
    assert (inspection.result, inspection.notes) == ("concession", "scratched box")


@pytest.mark.parametrize(("result", "accepted", "rejected", "field"), [
    (PASS, 5, 1, "rejectedQuantity"),
    (FAIL, 1, 5, "acceptedQuantity"),
    (CONCESSION, 0, 3, "acceptedQuantity"),
    (PASS, 0, 0, "acceptedQuantity"),
    (PASS, -1, 0, "acceptedQuantity"),
])
async def test_a_verdict_that_contradicts_the_quantities_is_invalid(
    db: Database, world: World, received: tuple[str, Received], result: InspectionResult,
    accepted: int, rejected: int, field: str,
) -> None:
    _, receipt = received
    error = await refusal(db, world, decision(receipt.task_of(1).id, result, accepted, rejected))
    assert [(p.code, p.field) for p in error.problems] == [("INVALID_INPUT", field)]


async def test_more_than_remains_is_over_inspection_and_a_done_task_refuses(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    number, receipt = received
    task_id = receipt.task_of(1).id
    await record_inspection(db, world["qc"], decision(task_id, PASS, accepted=7))
    error = await refusal(db, world, decision(task_id, CONCESSION, accepted=2, rejected=2))
    assert error.problems[0].code == "OVER_INSPECTION"
    assert "only 3 remain" in error.problems[0].message
    await record_inspection(db, world["qc"], decision(task_id, PASS, accepted=3))
    error = await refusal(db, world, decision(task_id, FAIL, rejected=1))
    assert error.problems[0].code == "TASK_DONE"
    line = await order_line(db, number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(10), Decimal(0))


async def test_only_qc_decides_and_only_on_qc_tasks(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    _, receipt = received
    task_id = receipt.task_of(1).id
    error = await refusal(db, world, decision(task_id, PASS, accepted=1), user="warehouse")
    assert error.problems[0].code == "FORBIDDEN"
    error = await refusal(db, world, decision(task_id + 1000, PASS, accepted=1))
    assert error.problems[0].code == "NOT_FOUND"
    await record_inspection(db, world.admin, decision(task_id, PASS, accepted=1))
    [(_, payload)] = [e for e in await task_events(db) if e[1]["kind"] == "putaway"]
    error = await refusal(db, world, decision(payload["taskId"], PASS, accepted=1))
    assert (error.problems[0].code, error.problems[0].field) == ("INVALID_INPUT", "taskId")


async def test_the_reject_bin_must_be_a_bin_of_the_tasks_warehouse(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    _, receipt = received
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "Second"))
    await warehouses.create_location(db, world.admin,
                                     LocationDraft("WH2-REJ", "WH2", LocationType.REJECTED))
    task_id = receipt.task_of(1).id
    error = await refusal(db, world, decision(task_id, FAIL, rejected=2,
                                              reject_location_code="WH2-REJ"))
    assert (error.problems[0].code, error.problems[0].field) == (
        "INVALID_INPUT", "rejectLocationCode")
    error = await refusal(db, world, decision(task_id, FAIL, rejected=2,
                                              reject_location_code="NOWHERE"))
    assert error.problems[0].code == "NOT_FOUND"
    assert (await current_task(db, task_id)).done_quantity == 0


async def test_the_same_key_again_returns_the_task_and_posts_nothing(
    db: Database, world: World, received: tuple[str, Received]
) -> None:
    number, receipt = received
    request = decision(receipt.task_of(1).id, CONCESSION, accepted=3, rejected=1)
    first = await record_inspection(db, world["qc"], request)
    before, events = await snapshot(db), await task_events(db)
    again = await record_inspection(db, world["qc"], request)
    assert (again.id, again.done_quantity) == (first.id, Decimal(4))
    assert await snapshot(db) == before
    assert await task_events(db) == events
    line = await order_line(db, number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(3), Decimal(1))


async def test_concurrent_inspections_neither_over_decide_nor_lose_order_line_counts(
    db: Database, world: World, postgres_only: None
) -> None:
    order = await approved_order(db, world, {"P2": 40})
    tasks = [(await receive(db, world, order.number, [("P2", 10, f"L{i}")])).task_of(1).id
             for i in range(4)]
    crowd = Database(db.url, pool_size=12)
    try:
        results = await asyncio.gather(
            *(record_inspection(crowd, world["qc"], decision(task_id, PASS, accepted=6))
              for task_id in tasks for _ in range(2)),
            *(record_inspection(crowd, world["qc"], decision(task_id, FAIL, rejected=4))
              for task_id in tasks),
            return_exceptions=True,
        )
    finally:
        await crowd.dispose()
    refused = [r for r in results if isinstance(r, DomainError)]
    # One decision per task comes too late: after the task is done, or with too much left.
    assert len(refused) == 4, results
    assert {r.problems[0].code for r in refused} <= {"OVER_INSPECTION", "TASK_DONE"}
    assert all(not isinstance(r, BaseException) or isinstance(r, DomainError) for r in results)
    line = await order_line(db, order.number, "P2")
    assert (line.accepted_quantity, line.rejected_quantity) == (Decimal(24), Decimal(16))
    assert [(await current_task(db, t)).status for t in tasks] == [TaskStatus.DONE] * 4
    assert await level(db, "P2", Bucket.PENDING_QC) == 0
