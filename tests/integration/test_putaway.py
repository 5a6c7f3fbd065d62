"""Putaway on the service layer: by scan into the suggested bin, advancing tasks oldest first,
plain bin moves without a task, and refusals that change nothing."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.catalog import service as warehouses
from server.catalog.models import Location, LocationType
from server.catalog.service import LocationDraft, WarehouseDraft
from server.db import Database, utcnow
from server.errors import DomainError
from server.inventory.models import Bucket
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult, TaskStatus
from server.receiving.putaway import putaway
from server.receiving.task_rules import PutawayRequest
from tests.receiving_setup import (
    approved_order,
    bins_of,
    current_task,
    level,
    receive,
    receiving_world,
    task_events,
)
from tests.stock_setup import snapshot
from tests.world import World


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


@pytest.fixture
async def order_number(db: Database, world: World) -> str:
    return (await approved_order(db, world, {"P1": 50, "P2": 50})).number


def scan(to: str, quantity: int, *, sku: str = "P1", source: str = "WH1-RCV",
         lot: str | None = "L1", key: str | None = None, warehouse: str | None = None
         ) -> PutawayRequest:
    return PutawayRequest(sku=sku, from_location_code=source, to_location_barcode=to,
                          quantity=Decimal(quantity), idempotency_key=key or uuid.uuid4().hex,
                          lot=lot, warehouse_code=warehouse)


async def bin_code(db: Database, location_id: int | None) -> str | None:
    if location_id is None:
        return None
    async with db.reader() as session:
        return (await session.get_one(Location, location_id)).code


async def refusal(db: Database, world: World, request: PutawayRequest,
                  user: str = "warehouse") -> DomainError:
    before, events = await snapshot(db), await task_events(db)
    with pytest.raises(DomainError) as raised:
        await putaway(db, world[user], request)
    assert await snapshot(db) == before, "a refused putaway moves nothing"
    assert await task_events(db) == events, "and advances no task"
    return raised.value


async def test_put_away_by_scan_into_the_suggested_bin(
    db: Database, world: World, order_number: str
) -> None:
    received = await receive(db, world, order_number, [("P1", 10, "L1")])
    task = received.task_of(1)
    assert await bin_code(db, task.suggested_location_id) == "WH1-A-01", "first empty bin"
    assert await level(db, "P1", Bucket.AVAILABLE) == Decimal(10)

    done = await putaway(db, world["warehouse"], scan("WH1-A-01", 10))
    assert done.movement.document_number == f"PA-{utcnow().year}-000001"
    [entry] = done.movement.entries
    assert (entry.from_location_code, entry.to_location_code, entry.row.lot) == (
        "WH1-RCV", "WH1-A-01", "L1")
    assert (entry.row.from_bucket, entry.row.to_bucket) == ("available", "available")
    assert [(t.id, t.status, t.done_quantity) for t in done.tasks] == [
        (task.id, TaskStatus.DONE, Decimal(10))]
    assert await bins_of(db, "P1") == {("WH1-A-01", "L1"): Decimal(10)}
    assert await level(db, "P1", Bucket.AVAILABLE) == Decimal(10)
    assert [kind for kind, _ in await task_events(db)] == ["TASK_CREATED", "TASK_DONE"]


async def test_a_product_is_sent_where_it_already_lies_and_empty_bins_are_not_shared(
    db: Database, world: World, order_number: str
) -> None:
    await receive(db, world, order_number, [("P1", 4, "L1")])
    await putaway(db, world["warehouse"], scan("WH1-A-02", 4))
    again = await receive(db, world, order_number, [("P1", 6, "L2")])
    assert await bin_code(db, again.task_of(1).suggested_location_id) == "WH1-A-02"

    first = await receive(db, world, order_number, [("P2", 3, "Q1")])
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=first.task_of(1).id, result=InspectionResult.PASS, idempotency_key="qc-1",
        accepted_quantity=Decimal(3)))
    [(_, created)] = [e for e in await task_events(db)
                      if e[0] == "TASK_CREATED" and e[1]["sku"] == "P2" and
                      e[1]["kind"] == "putaway"]
    p2_task = await current_task(db, created["taskId"])
    assert await bin_code(db, p2_task.suggested_location_id) == "WH1-A-01"


async def test_putaway_advances_open_tasks_oldest_first(
    db: Database, world: World, order_number: str
) -> None:
    older = (await receive(db, world, order_number, [("P1", 5, "L1")])).task_of(1)
    newer = (await receive(db, world, order_number, [("P1", 5, "L1")])).task_of(1)
    other_lot = (await receive(db, world, order_number, [("P1", 5, "L9")])).task_of(1)

    done = await putaway(db, world["warehouse"], scan("WH1-A-01", 7))
    assert [(t.id, t.status, t.done_quantity) for t in done.tasks] == [
        (older.id, TaskStatus.DONE, Decimal(5)), (newer.id, TaskStatus.OPEN, Decimal(2))]
    assert (await current_task(db, other_lot.id)).done_quantity == 0

    done = await putaway(db, world["warehouse"], scan("WH1-STG", 3))
    assert [(t.id, t.status) for t in done.tasks] == [(newer.id, TaskStatus.DONE)]
    assert await bins_of(db, "P1") == {("WH1-A-01", "L1"): Decimal(7),
                                       ("WH1-STG", "L1"): Decimal(3),
                                       ("WH1-RCV", "L9"): Decimal(5)}
    newer_events = [(kind, p["doneQuantity"]) for kind, p in await task_events(db)
                    if p["taskId"] == newer.id]
    assert newer_events == [("TASK_CREATED", "0.0000"), ("TASK_UPDATED", "2.0000"),
                            ("TASK_DONE", "5.0000")]


async def test_putaway_without_a_task_is_a_plain_bin_move(
    db: Database, world: World, order_number: str
) -> None:
    await receive(db, world, order_number, [("P1", 8, "")])
    await putaway(db, world["warehouse"], scan("WH1-A-01", 8, lot=None))
    done = await putaway(db, world["warehouse"], scan("WH1-A-02", 3, source="WH1-A-01",
                                                      lot=None))
    assert done.tasks == []
    assert await bins_of(db, "P1") == {("WH1-A-01", ""): Decimal(5), ("WH1-A-02", ""): Decimal(3)}


@pytest.mark.parametrize("target", ["WH1-RCV", "WH1-REJ", "WH1-QC", "WH2-A-01"])
async def test_only_storage_or_staging_bins_of_the_warehouse_take_stock(
    db: Database, world: World, order_number: str, target: str
) -> None:
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "Second"))
    await warehouses.create_location(db, world.admin,
                                     LocationDraft("WH2-A-01", "WH2", LocationType.STORAGE))
    await receive(db, world, order_number, [("P1", 10, "L1")])
    error = await refusal(db, world, scan(target, 5))
    assert [(p.code, p.field) for p in error.problems] == [
        ("INVALID_LOCATION", "toLocationBarcode")]


async def test_rejected_stock_is_not_put_away(
    db: Database, world: World, order_number: str
) -> None:
    received = await receive(db, world, order_number, [("P2", 10, "Q1")])
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=received.task_of(1).id, result=InspectionResult.FAIL, idempotency_key="qc-1",
        rejected_quantity=Decimal(4)))
    error = await refusal(db, world, scan("WH1-A-01", 1, sku="P2", source="WH1-REJ", lot="Q1"))
    assert [(p.code, p.field) for p in error.problems] == [
        ("INVALID_LOCATION", "fromLocationCode")]


async def test_an_inactive_or_unknown_bin_is_refused(
    db: Database, world: World, order_number: str
) -> None:
    await receive(db, world, order_number, [("P1", 10, "L1")])
    error = await refusal(db, world, scan("NO-SUCH-BIN", 5))
    assert [(p.code, p.field) for p in error.problems] == [("NOT_FOUND", "toLocationBarcode")]
    error = await refusal(db, world, scan("WH1-A-01", 5, warehouse="WH9"))
    assert error.problems[0].code == "NOT_FOUND"


async def test_more_than_lies_there_is_insufficient_stock_and_changes_nothing(
    db: Database, world: World, order_number: str
) -> None:
    task = (await receive(db, world, order_number, [("P1", 10, "L1")])).task_of(1)
    error = await refusal(db, world, scan("WH1-A-01", 11))
    assert error.problems[0].code == "INSUFFICIENT_STOCK"
    error = await refusal(db, world, scan("WH1-A-01", 1, lot="OTHER"))
    assert error.problems[0].code == "INSUFFICIENT_STOCK"
    assert (await current_task(db, task.id)).done_quantity == 0


async def test_stock_waiting_for_qc_cannot_be_put_away(
    db: Database, world: World, order_number: str
) -> None:
    received = await receive(db, world, order_number, [("P2", 10, "Q1")])
    error = await refusal(db, world, scan("WH1-A-01", 1, sku="P2", lot="Q1"))
    assert error.problems[0].code == "INSUFFICIENT_STOCK"
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=received.task_of(1).id, result=InspectionResult.PASS, idempotency_key="qc-1",
        accepted_quantity=Decimal(6)))
    error = await refusal(db, world, scan("WH1-A-01", 7, sku="P2", lot="Q1"))
    assert error.problems[0].code == "INSUFFICIENT_STOCK"
    assert error.problems[0].message \
        == "not enough P2 available in WH1 bin WH1-RCV (lot Q1): 6 there, 7 asked"
    done = await putaway(db, world["warehouse"], scan("WH1-A-01", 6, sku="P2", lot="Q1"))
    assert [t.status for t in done.tasks] == [TaskStatus.DONE]
    assert await bins_of(db, "P2") == {("WH1-A-01", "Q1"): Decimal(6),
                                       ("WH1-RCV", "Q1"): Decimal(4)}


async def test_only_warehouse_staff_put_away(
    db: Database, world: World, order_number: str
) -> None:
    await receive(db, world, order_number, [("P1", 10, "L1")])
    error = await refusal(db, world, scan("WH1-A-01", 1), user="qc")
    assert error.problems[0].code == "FORBIDDEN"
    done = await putaway(db, world.admin, scan("WH1-A-01", 1))
    assert done.movement.level.buckets[Bucket.AVAILABLE] == Decimal(10)


async def test_the_same_key_again_returns_the_first_putaway(
    db: Database, world: World, order_number: str
) -> None:
    await receive(db, world, order_number, [("P1", 10, "L1")])
    request = scan("WH1-A-01", 4, key="pa-1")
    first = await putaway(db, world["warehouse"], request)
    before, events = await snapshot(db), await task_events(db)
    again = await putaway(db, world["warehouse"], request)
    assert again.movement.document_number == first.movement.document_number
    assert [e.id for e in again.movement.entries] == [e.id for e in first.movement.entries]
    assert [t.id for t in again.tasks] == [t.id for t in first.tasks]
    assert await snapshot(db) == before
    assert await task_events(db) == events


async def test_concurrent_putaways_never_take_stock_still_waiting_for_qc(
    db: Database, world: World, order_number: str, postgres_only: None
) -> None:
    received = await receive(db, world, order_number, [("P2", 10, "Q1")])
    await record_inspection(db, world["qc"], InspectionRequest(
        task_id=received.task_of(1).id, result=InspectionResult.PASS, idempotency_key="qc-1",
        accepted_quantity=Decimal(6)))
    crowd = Database(db.url, pool_size=6)
    try:
        results = await asyncio.gather(
            *(putaway(crowd, world["warehouse"], scan(target, 4, sku="P2", lot="Q1"))
              for target in ("WH1-A-01", "WH1-A-02", "WH1-STG")),
            return_exceptions=True)
    finally:
        await crowd.dispose()
    refused = [r for r in results if isinstance(r, DomainError)]
    assert [r.problems[0].code for r in refused] == ["INSUFFICIENT_STOCK"] * 2, results
    assert await level(db, "P2", Bucket.PENDING_QC) == Decimal(4)
    assert sum((await bins_of(db, "P2")).values()) == Decimal(10)
    assert (await bins_of(db, "P2"))[("WH1-RCV", "Q1")] == Decimal(6)
