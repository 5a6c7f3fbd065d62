"""Sales returns on both backends: a return is only for what shipped on the order (less what came
back already); receiving it by scanning its number puts the goods in pending_qc at the cost they
left with, with a QC task per line; inspection restocks (available, a putaway task) or scraps
(rejected); every refusal changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from server.db import Database
from server.errors import DomainError
from server.events import Event
from server.inventory.models import Bucket
from server.receiving.barcodes import BarcodeKind, resolve_barcode
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult
from server.sales.return_receiving import receive_sales_return
from server.sales.return_rules import ReturnedLine, ReturnReceiptRequest
from server.sales.returns import create_sales_return
from tests.ledger_invariants import assert_ledger_consistent
from tests.picking_setup import events, ledger_of, picking_world, put_stock, quants, sales_order
from tests.receiving_setup import level
from tests.returns_setup import (
    create_return,
    inspect,
    open_putaways,
    qc_tasks,
    receipt_request,
    receive_return,
    return_draft,
    ship_order,
)
from tests.stock_setup import snapshot
from tests.world import World

D = Decimal
YEAR = datetime.now(UTC).year


@pytest.fixture
async def world(db: Database) -> World:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P3", "WH1-A-02", 5, "40")
    return world


TaskEvent = tuple[str, str | None, str | None, str]  # kind, document type and number, task kind


async def task_events_of(db: Database, task_id: int) -> list[TaskEvent]:
    async with db.reader() as session:
        rows = await session.scalars(select(Event).where(Event.topic == "warehouse_task")
                                     .order_by(Event.id))
        return [(e.kind, e.document_type, e.document_number, e.payload["kind"]) for e in rows
                if e.payload["taskId"] == task_id]


async def refused(action: Any) -> list[tuple[str, str | None, str]]:
    with pytest.raises(DomainError) as error:
        await action
    return [(p.code, p.field, p.message) for p in error.value.problems]


async def test_a_return_is_for_shipped_quantities_at_the_price_and_cost_they_left_with(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 6, "P3": 2}, unit_price="300")
    view = await create_return(db, world, order, {"P1": 4})
    assert view.row.number == f"RMA-{YEAR}-000001"
    assert (view.order_number, view.customer_code, view.warehouse_code, view.row.state,
            view.row.reason) == (order, "C1", "WH1", "open", "damaged in transit")
    assert [(line.sku, line.order_line_no, line.line.quantity, line.line.unit_price,
             line.line.unit_cost) for line in view.lines] == [
        ("P1", 1, D(4), D(300), D("100.0000"))]
    assert [(kind, p["number"], p["orderNumber"], p["state"])
            for kind, p in await events(db, "sales_return")] == [
        ("RETURN_CREATED", view.row.number, order, "open")]


async def test_more_than_shipped_less_returned_is_refused_with_the_numbers(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 6})
    await create_return(db, world, order, {"P1": 4})
    before = await snapshot(db)
    problems = await refused(create_sales_return(db, world["sales"], return_draft(
        order, {"P1": 3, "P2": 1})))
    assert problems == [
        ("OVER_RETURN", "lines[0].quantity", f"P1: shipped 6 on {order}, 4 returned already, "
         "at most 2 more can be returned; got 3"),
        ("NOT_ON_ORDER", "lines[1].quantity", f"P2 is not on {order}")]
    assert await snapshot(db) == before
    assert [kind for kind, _ in await events(db, "sales_return")] == ["RETURN_CREATED"]


async def test_an_unshipped_order_has_nothing_to_return(db: Database, world: World) -> None:
    order = await sales_order(db, world, {"P1": 2})
    [(code, field, message)] = await refused(create_sales_return(
        db, world["sales"], return_draft(order, {"P1": 1})))
    assert (code, field) == ("OVER_RETURN", "lines[0].quantity")
    assert "shipped 0" in message


async def test_bad_input_and_wrong_roles_are_refused(db: Database, world: World) -> None:
    order = await ship_order(db, world, {"P1": 2})
    problems = await refused(create_sales_return(db, world["sales"], return_draft(
        order, {"P1": "-1"}, reason=" ")))
    assert [(code, field) for code, field, _ in problems] == [
        ("INVALID_INPUT", "reason"), ("INVALID_INPUT", "lines[0].quantity")]
    [(code, _, _)] = await refused(create_sales_return(db, world["warehouse"], return_draft(
        order, {"P1": 1})))
    assert code == "FORBIDDEN"
    [(code, field, _)] = await refused(create_sales_return(db, world["sales"], return_draft(
        "SO-NONE", {"P1": 1})))
    assert (code, field) == ("NOT_FOUND", "salesOrderNumber")


async def test_the_return_number_scans_as_a_barcode(db: Database, world: World) -> None:
    order = await ship_order(db, world, {"P1": 2})
    view = await create_return(db, world, order, {"P1": 1})
    found = await resolve_barcode(db, world["warehouse"], view.row.number)
    assert (found.kind, found.document_number) == (BarcodeKind.SALES_RETURN, view.row.number)


async def test_receiving_puts_the_goods_in_pending_qc_at_the_cost_they_left_with(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-02", 10, "160")  # the average is now 130
    order = await ship_order(db, world, {"P1": 4})
    view = await create_return(db, world, order, {"P1": 3})
    assert view.lines[0].line.unit_cost == D("130.0000")
    await put_stock(db, world, "P1", "WH1-A-01", 4, "250")  # the average moves on: 160
    received = await receive_return(db, world, view.row.number, {"P1": 2})
    assert received.receipt.number == f"RR-{YEAR}-000001"
    assert received.sales_return.row.state == "partially_received"
    assert received.sales_return.lines[0].line.received_quantity == D(2)
    entries = await ledger_of(db, received.receipt.number)
    assert [(e.document_type, e.from_bucket, e.to_bucket, e.quantity, e.unit_cost, e.value)
            for e in entries] == [("RR", None, "pending_qc", D(2), D("130.0000"),
                                   D("260.0000"))]
    assert ("WH1-RCV", "", "pending_qc") in await quants(db, "P1")
    [task] = await qc_tasks(db, received.receipt.number)
    assert (task.status, task.quantity, task.bucket, task.receipt_line_id) == (
        "open", D(2), "pending_qc", None)
    task_events = await task_events_of(db, task.id)
    assert task_events == [("TASK_CREATED", "RR", received.receipt.number, "qc")]
    rest = await receive_return(db, world, view.row.number, {"P1": 1})
    assert rest.sales_return.row.state == "received"
    assert [kind for kind, _ in await events(db, "sales_return")] == [
        "RETURN_CREATED", "RETURN_RECEIVED", "RETURN_RECEIVED"]
    await assert_ledger_consistent(db)


async def test_receiving_more_than_announced_or_elsewhere_is_refused(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 4, "P3": 2})
    view = await create_return(db, world, order, {"P1": 2})
    number = view.row.number
    before = await snapshot(db)
    problems = await refused(receive_sales_return(db, world["warehouse"], receipt_request(
        number, {"P1": 3, "P3": 1})))
    assert problems == [
        ("OVER_RECEIPT", "lines[0].quantity", f"P1: 2 expected back on {number}, 0 received "
         "already, at most 2 more; got 3"),
        ("NOT_ON_RETURN", "lines[1].quantity", f"P3 is not on {number}")]
    [(code, field, _)] = await refused(receive_sales_return(
        db, world["warehouse"], receipt_request(number, {"P1": 1}, warehouse="WH9")))
    assert (code, field) == ("INVALID_INPUT", "warehouseCode")
    [(code, field, _)] = await refused(receive_sales_return(
        db, world["warehouse"], receipt_request(order, {"P1": 1})))
    assert (code, field) == ("UNKNOWN_BARCODE", "document")
    [(code, field, message)] = await refused(receive_sales_return(
        db, world["warehouse"], receipt_request("WH1-A-01", {"P1": 1})))
    assert (code, field, message) == (
        "INVALID_INPUT", "document", "'WH1-A-01' is a location, not a sales return")
    [(code, _, _)] = await refused(receive_sales_return(
        db, world["qc"], receipt_request(number, {"P1": 1})))
    assert code == "FORBIDDEN"
    assert await snapshot(db) == before
    await receive_return(db, world, number, {"P1": 2})
    [(code, field, _)] = await refused(receive_sales_return(
        db, world["warehouse"], receipt_request(number, {"P1": 1})))
    assert (code, field) == ("RETURN_COMPLETE", "document")


async def test_products_scan_by_barcode_and_a_retry_receives_once(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 4})
    view = await create_return(db, world, order, {"P1": 2})
    request = ReturnReceiptRequest(view.row.number, "WH1", uuid.uuid4().hex,
                                   [ReturnedLine(D(2), barcode="6901234567892")])
    first = await receive_sales_return(db, world["warehouse"], request)
    again = await receive_sales_return(db, world["warehouse"], request)
    assert again.receipt.number == first.receipt.number
    assert again.sales_return.lines[0].line.received_quantity == D(2)
    assert await level(db, "P1", Bucket.PENDING_QC) == D(2)


async def test_inspection_restocks_to_available_and_scraps_to_rejected(
    db: Database, world: World
) -> None:
    order = await ship_order(db, world, {"P1": 4})
    view = await create_return(db, world, order, {"P1": 4})
    received = await receive_return(db, world, view.row.number, {"P1": 4})
    [task] = await qc_tasks(db, received.receipt.number)
    available = await level(db, "P1", Bucket.AVAILABLE)
    after = await inspect(db, world, task.id, restock=3)
    assert after.row.state == "received"
    [putaway] = await open_putaways(db, received.receipt.number)
    assert (putaway.quantity, putaway.bucket) == (D(3), "available")
    assert await level(db, "P1", Bucket.AVAILABLE) == available + 3
    closed = await inspect(db, world, task.id, scrap=1)
    assert closed.row.state == "closed"
    assert [(line.line.restocked_quantity, line.line.scrapped_quantity)
            for line in closed.lines] == [(D(3), D(1))]
    found = await quants(db, "P1")
    assert found[("WH1-REJ", "", "rejected")] == D(1)
    assert ("WH1-RCV", "", "pending_qc") not in found
    [task] = await qc_tasks(db, received.receipt.number)
    assert task.status == "done"
    entries = await ledger_of(db, received.receipt.number)
    assert [(e.document_type, e.from_bucket, e.to_bucket, e.quantity) for e in entries] == [
        ("RR", None, "pending_qc", D(4)), ("QC", "pending_qc", "available", D(3)),
        ("QC", "pending_qc", "rejected", D(1))]
    assert [kind for kind, _ in await events(db, "sales_return")][-2:] == [
        "RETURN_INSPECTED", "RETURN_INSPECTED"]
    await assert_ledger_consistent(db)


async def test_inspection_refusals_change_nothing(db: Database, world: World) -> None:
    order = await ship_order(db, world, {"P1": 4})
    view = await create_return(db, world, order, {"P1": 2})
    received = await receive_return(db, world, view.row.number, {"P1": 2})
    [task] = await qc_tasks(db, received.receipt.number)
    before = await snapshot(db)
    [(code, field, _)] = await refused(inspect(db, world, task.id, restock=2, scrap=1))
    assert (code, field) == ("OVER_INSPECTION", "restockQuantity")
    [(code, _, _)] = await refused(inspect(db, world, task.id))
    assert code == "INVALID_INPUT"
    [(code, field, _)] = await refused(inspect(db, world, task.id + 1000, restock=1))
    assert (code, field) == ("NOT_FOUND", "taskId")
    [(code, field, _)] = await refused(record_inspection(db, world["qc"], InspectionRequest(
        task.id, InspectionResult.PASS, uuid.uuid4().hex, accepted_quantity=D(1))))
    assert (code, field) == ("INVALID_INPUT", "taskId")
    assert await snapshot(db) == before
    await inspect(db, world, task.id, restock=2)
    [(code, _, _)] = await refused(inspect(db, world, task.id, restock=1))
    assert code == "TASK_DONE"
