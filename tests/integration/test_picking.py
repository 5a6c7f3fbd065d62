"""releasePicking and confirmPick on both backends: pick lists in walking order with PICK tasks,
picks from reserved stock into staging, wrong scans and over-picks refused, short picks written
off and re-picked from another bin or backordered, replays and stale versions."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from server.auth import Principal
from server.catalog import service as warehouses
from server.catalog.service import WarehouseDraft
from server.db import Database
from server.errors import DomainError
from server.inventory.models import Bucket
from server.receiving.models import TaskKind, TaskStatus
from server.sales.pick_queries import PickListView
from server.sales.pick_rules import PickRequest
from server.sales.picking import confirm_pick, release_picking
from tests.picking_setup import (
    buckets,
    events,
    ledger_of,
    order_row,
    picking_world,
    put_stock,
    quants,
    reservations,
    sales_order,
)
from tests.receiving_setup import current_task, level, task_events
from tests.stock_setup import snapshot
from tests.world import World

D = Decimal
YEAR = datetime.now(UTC).year
P1_EAN = "6901234567892"


@pytest.fixture
async def world(db: Database) -> World:
    return await picking_world(db)


async def release(db: Database, world: World, *numbers: str, user: str = "warehouse",
                  key: str | None = None) -> PickListView:
    return await release_picking(db, world[user], list(numbers), key or uuid.uuid4().hex)


def pick(view: PickListView, line_no: int, quantity: int | str, **changes: Any) -> PickRequest:
    """A confirmation at the line's own bin with its product (and lot) unless changed."""
    line = next(line for line in view.lines if line.line.line_no == line_no)
    values: dict[str, Any] = {
        "pick_list_number": view.pick_list.number, "line_no": line_no,
        "bin_barcode": line.bin_code, "quantity": D(quantity), "sku": line.sku,
        "lot": line.line.lot or None, "idempotency_key": uuid.uuid4().hex}
    values.update(changes)
    return PickRequest(**values)


async def refused(action: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(DomainError) as error:
        await action
    return [(p.code, p.field) for p in error.value.problems]


def lines_of(view: PickListView) -> list[tuple[Any, ...]]:
    return [(line.line.line_no, line.bin_code, line.sku, line.line.lot, line.line.quantity,
             line.order_line.order_number, line.order_line.line_no, line.line.status)
            for line in view.lines]


async def test_release_lists_reserved_stock_in_walking_order_with_a_pick_task_per_line(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-02", 10, "100")
    await put_stock(db, world, "P3", "WH1-A-01", 5, "40")
    first = await sales_order(db, world, {"P1": 4, "P3": 2})
    second = await sales_order(db, world, {"P1": 3})
    view = await release(db, world, second, first)
    assert view.pick_list.number == f"PK-{YEAR}-000001"
    assert view.pick_list.state == "open" and view.pick_list.version == 1
    assert lines_of(view) == [
        (1, "WH1-A-01", "P3", "", D(2), first, 2, "open"),
        (2, "WH1-A-02", "P1", "", D(4), first, 1, "open"),
        (3, "WH1-A-02", "P1", "", D(3), second, 1, "open"),
    ]
    assert view.order_numbers == [first, second]
    created = [payload for kind, payload in await task_events(db) if kind == "TASK_CREATED"]
    assert [(p["kind"], p["sku"], p["quantity"]) for p in created] == [
        ("pick", "P3", "2.0000"), ("pick", "P1", "4.0000"), ("pick", "P1", "3.0000")]
    for line in view.lines:
        task = await current_task(db, line.line.task_id)
        assert (task.kind, task.status, task.bucket, task.location_id, task.quantity,
                task.document_number) == (TaskKind.PICK.value, TaskStatus.OPEN.value,
                                          Bucket.RESERVED.value, line.line.location_id,
                                          line.line.quantity, view.pick_list.number)


async def test_reserved_stock_already_on_an_open_pick_list_is_not_released_twice(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    first = await sales_order(db, world, {"P1": 4})
    await release(db, world, first)
    assert await refused(release(db, world, first)) == [("INVALID_STATE", "salesOrderNumbers")]
    second = await sales_order(db, world, {"P1": 2})
    key = uuid.uuid4().hex
    view = await release(db, world, first, second, user="sales", key=key)
    assert lines_of(view) == [(1, "WH1-A-01", "P1", "", D(2), second, 1, "open")]
    replayed = await release(db, world, first, second, user="sales", key=key)
    assert replayed.pick_list.number == view.pick_list.number == f"PK-{YEAR}-000002"


async def test_a_backorder_served_later_goes_on_the_next_pick_list(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    number = await sales_order(db, world, {"P1": 5})
    first = await release(db, world, number)
    assert lines_of(first) == [(1, "WH1-A-01", "P1", "", D(3), number, 1, "open")]
    await put_stock(db, world, "P1", "WH1-A-02", 4, "100")
    second = await release(db, world, number)
    assert lines_of(second) == [(1, "WH1-A-02", "P1", "", D(2), number, 1, "open")]


async def test_release_refuses_unknown_orders_mixed_warehouses_and_the_wrong_roles(
    db: Database, world: World
) -> None:
    await warehouses.create_warehouse(db, world.admin, WarehouseDraft("WH2", "Second"))
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    here = await sales_order(db, world, {"P1": 1})
    there = await sales_order(db, world, {"P1": 1}, warehouse="WH2")
    assert await refused(release(db, world, here, "SO-1999-000001")) == [
        ("NOT_FOUND", "salesOrderNumbers")]
    assert await refused(release(db, world, here, there)) == [
        ("INVALID_INPUT", "salesOrderNumbers")]
    for user in ("qc", "purchaser", "s1"):
        assert await refused(release(db, world, here, user=user)) == [("FORBIDDEN", None)]
    assert await refused(release(db, world)) == [("INVALID_INPUT", "salesOrderNumbers")]


async def test_a_full_pick_moves_reserved_stock_to_staging_and_finishes_list_and_task(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    number = await sales_order(db, world, {"P1": 4})
    view = await release(db, world, number)
    done = await confirm_pick(db, world["warehouse"], pick(
        view, 1, 4, sku=None, product_barcode=P1_EAN, based_on_version=1))
    assert done.pick_list.state == "picked" and done.pick_list.version == 2
    assert lines_of(done) == [(1, "WH1-A-01", "P1", "", D(4), number, 1, "picked")]
    assert buckets(await quants(db, "P1"), Bucket.PICKED) == {("WH1-STG", ""): D(4)}
    assert buckets(await quants(db, "P1"), Bucket.AVAILABLE) == {("WH1-A-01", ""): D(6)}
    assert buckets(await quants(db, "P1"), Bucket.RESERVED) == {}
    assert await level(db, "P1", Bucket.PICKED) == D(4)
    assert await reservations(db, number) == {}
    _, [line] = await order_row(db, number)
    assert (line.reserved_quantity, line.picked_quantity) == (D(0), D(4))
    task = await current_task(db, view.lines[0].line.task_id)
    assert (task.status, task.done_quantity) == (TaskStatus.DONE.value, D(4))
    [entry] = await ledger_of(db, view.pick_list.number)
    assert (entry.from_bucket, entry.to_bucket, entry.quantity, entry.document_type,
            entry.document_line, entry.unit_cost) == ("reserved", "picked", D(4), "PK", 1, None)
    assert [(kind, p["number"]) for kind, p in await events(db, "sales_order")] == [
        ("SO_CREATED", number), ("SO_PICKED", number)]


async def test_a_line_can_be_picked_in_parts(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    view = await release(db, world, await sales_order(db, world, {"P1": 4}))
    part = await confirm_pick(db, world["warehouse"], pick(view, 1, 1))
    assert lines_of(part)[0][-1] == "open" and part.pick_list.state == "open"
    assert (await current_task(db, view.lines[0].line.task_id)).done_quantity == D(1)
    rest = await confirm_pick(db, world["warehouse"], pick(view, 1, 3, based_on_version=2))
    assert rest.pick_list.state == "picked" and rest.lines[0].line.picked_quantity == D(4)
    kinds = [kind for kind, _ in await task_events(db)]
    assert kinds == ["TASK_CREATED", "TASK_UPDATED", "TASK_DONE"]


async def test_four_place_parts_add_up_to_the_line_exactly(db: Database, world: World) -> None:
    # SQLite keeps these as binary floats, where 0.8272 + 3.3433 comes out above 4.1705.
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    view = await release(db, world, await sales_order(db, world, {"P1": "4.1705"}))
    await confirm_pick(db, world["warehouse"], pick(view, 1, "0.8272"))
    rest = await confirm_pick(db, world["warehouse"], pick(view, 1, "3.3433", based_on_version=2))
    assert rest.pick_list.state == "picked" and rest.lines[0].line.picked_quantity == D("4.1705")
    _, lines = await order_row(db, view.lines[0].order_line.order_number)
    assert (lines[0].reserved_quantity, lines[0].picked_quantity) == (0, D("4.1705"))


async def test_wrong_bin_product_lot_and_over_picks_change_nothing(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100", lot="L1")
    view = await release(db, world, await sales_order(db, world, {"P1": 4}))
    before = await snapshot(db)
    keeper = world["warehouse"]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 1, bin_barcode="WH1-A-02"))) == [
        ("WRONG_BIN", "binBarcode")]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 1, bin_barcode="NOPE"))) == [
        ("WRONG_BIN", "binBarcode")]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 1, sku="P3"))) == [
        ("WRONG_PRODUCT", "productBarcode")]
    assert await refused(confirm_pick(db, keeper, pick(
        view, 1, 1, sku=None, product_barcode="6901234567908"))) == [
        ("WRONG_PRODUCT", "productBarcode")]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 1, lot="L2"))) == [
        ("WRONG_LOT", "lot")]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 1, lot=None))) == [
        ("WRONG_LOT", "lot")]
    assert await refused(confirm_pick(db, keeper, pick(
        view, 1, 1, sku=None, lot=None, product_barcode="]C10106901234567892\x1d10L2"))) == [
        ("WRONG_LOT", "lot")]
    assert await refused(confirm_pick(db, keeper, pick(view, 1, 5))) == [
        ("OVER_PICK", "quantity")]
    assert await refused(confirm_pick(db, keeper, pick(
        view, 1, 3, short_quantity=D(2), short_reason="gone"))) == [("OVER_PICK", "quantity")]
    assert await refused(confirm_pick(db, keeper, replace(pick(view, 1, 1), line_no=9))) == [
        ("NOT_FOUND", "lineNo")]
    assert await snapshot(db) == before
    # A GS1 label carrying the lot is enough.
    done = await confirm_pick(db, keeper, pick(
        view, 1, 4, sku=None, lot=None, product_barcode="]C10106901234567892\x1d10L1"))
    assert buckets(await quants(db, "P1"), Bucket.PICKED) == {("WH1-STG", "L1"): D(4)}
    assert done.pick_list.state == "picked"


async def test_a_short_pick_is_written_off_and_picked_again_from_another_bin(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "130")
    number = await sales_order(db, world, {"P1": 3})
    view = await release(db, world, number)
    assert lines_of(view) == [(1, "WH1-A-01", "P1", "", D(3), number, 1, "open")]
    after = await confirm_pick(db, world["warehouse"], pick(
        view, 1, 1, short_quantity=D(2), short_reason="damaged"))
    assert lines_of(after) == [(1, "WH1-A-01", "P1", "", D(3), number, 1, "picked"),
                               (2, "WH1-A-02", "P1", "", D(2), number, 1, "open")]
    assert after.lines[0].line.short_quantity == D(2)
    assert after.lines[0].line.short_reason == "damaged"
    assert after.pick_list.state == "open"
    found = await quants(db, "P1")
    assert buckets(found, Bucket.RESERVED) == {("WH1-A-02", ""): D(2)}
    assert buckets(found, Bucket.PICKED) == {("WH1-STG", ""): D(1)}
    assert await reservations(db, number) == {(1, "WH1-A-02", ""): D(2)}
    written_off = [e for e in await ledger_of(db, view.pick_list.number) if e.to_bucket is None]
    [loss] = written_off
    # 3 at 100 and 10 at 130: an average of 123.0769 a unit.
    assert (loss.from_bucket, loss.quantity, loss.unit_cost, loss.value, loss.reason) == (
        "reserved", D(2), D("123.0769"), D("246.1538"), "short pick: damaged")
    new_task = await current_task(db, after.lines[1].line.task_id)
    assert (new_task.kind, new_task.location_id, new_task.quantity, new_task.status) == (
        "pick", after.lines[1].line.location_id, D(2), "open")
    done = await confirm_pick(db, world["warehouse"], pick(after, 2, 2))
    assert done.pick_list.state == "picked"
    _, [line] = await order_row(db, number)
    assert (line.reserved_quantity, line.picked_quantity, line.backordered_quantity) == (
        D(0), D(3), D(0))
    assert await level(db, "P1", Bucket.AVAILABLE) == D(8)


async def test_a_short_pick_with_no_stock_elsewhere_is_backordered_and_the_rep_told(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P3", "WH1-A-01", 2, "40")
    number = await sales_order(db, world, {"P3": 2})
    view = await release(db, world, number)
    done = await confirm_pick(db, world["warehouse"], pick(
        view, 1, 0, sku=None, short_quantity=D(2), short_reason="not found"))
    assert lines_of(done) == [(1, "WH1-A-01", "P3", "", D(2), number, 1, "short")]
    assert done.pick_list.state == "picked"
    _, [line] = await order_row(db, number)
    assert (line.reserved_quantity, line.backordered_quantity, line.picked_quantity) == (
        D(0), D(2), D(0))
    assert await level(db, "P3", Bucket.BACKORDERED) == D(2)
    assert await level(db, "P3", Bucket.RESERVED) == D(0)
    [alert] = [p for k, p in await events(db, "sales_alert") if k == "SHORTAGE"]
    assert (alert["orderNumber"], alert["lineNo"], alert["sku"], alert["quantity"],
            alert["salesperson"], alert["customerCode"]) == (
        number, 1, "P3", "2.0000", "sales", "C1")
    assert "short pick on " + view.pick_list.number in alert["message"]
    task = await current_task(db, view.lines[0].line.task_id)
    assert task.status == TaskStatus.DONE.value


async def test_a_short_bin_is_not_picked_again_even_if_it_shows_free_stock(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 5, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "100")
    number = await sales_order(db, world, {"P1": 3})
    view = await release(db, world, number)
    after = await confirm_pick(db, world["warehouse"], pick(
        view, 1, 2, short_quantity=D(1), short_reason="not on the shelf"))
    assert lines_of(after)[1][:5] == (2, "WH1-A-02", "P1", "", D(1)), \
        "WH1-A-01 still shows 2 free, but the picker just found it short"


async def test_a_replay_returns_the_first_answer_and_a_stale_version_is_refused(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    view = await release(db, world, await sales_order(db, world, {"P1": 4}))
    request = pick(view, 1, 2, based_on_version=1)
    first = await confirm_pick(db, world["warehouse"], request)
    before = await snapshot(db)
    again = await confirm_pick(db, world["warehouse"], request)
    assert again.pick_list.version == first.pick_list.version == 2
    assert again.lines[0].line.picked_quantity == D(2)
    assert await snapshot(db) == before
    assert await refused(confirm_pick(db, world["warehouse"], pick(
        view, 1, 1, based_on_version=1))) == [("STALE_VERSION", "basedOnVersion")]


async def test_only_warehouse_staff_confirm_picks_and_not_on_finished_lists(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    view = await release(db, world, await sales_order(db, world, {"P1": 1}))
    for user in ("sales", "qc", "s1"):
        assert await refused(confirm_pick(db, world[user], pick(view, 1, 1))) == [
            ("FORBIDDEN", None)]
    admin: Principal = world.admin
    await confirm_pick(db, admin, pick(view, 1, 1))
    assert await refused(confirm_pick(db, world["warehouse"], pick(view, 1, 1))) == [
        ("INVALID_STATE", "pickListNumber")]


async def test_concurrent_picks_of_one_line_pick_it_once(
    db: Database, world: World, postgres_only: None
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P3", "WH1-A-01", 5, "40")
    view = await release(db, world, await sales_order(db, world, {"P1": 4, "P3": 2}))
    crowd = Database(db.url, pool_size=6)
    try:
        results = await asyncio.gather(
            *(confirm_pick(crowd, world["warehouse"], pick(view, 1, 4)) for _ in range(4)),
            return_exceptions=True)
    finally:
        await crowd.dispose()
    refusals = [r.problems[0].code for r in results if isinstance(r, DomainError)]
    assert refusals == ["OVER_PICK"] * 3, results
    assert await level(db, "P1", Bucket.PICKED) == D(4)
    assert await level(db, "P1", Bucket.RESERVED) == D(0)


async def test_a_short_pick_racing_a_receipt_for_its_backorder_ends_fully_reserved(
    db: Database, world: World, postgres_only: None
) -> None:
    """The short pick and the allocator both lock the stock before the order: whichever runs
    first, no deadlock, and the line ends with all 5 reserved."""
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    number = await sales_order(db, world, {"P1": 5})
    view = await release(db, world, number)
    crowd = Database(db.url, pool_size=4)
    try:
        results = await asyncio.gather(
            confirm_pick(crowd, world["warehouse"], pick(
                view, 1, 0, sku=None, short_quantity=D(3), short_reason="not there")),
            put_stock(crowd, world, "P1", "WH1-A-02", 5, "100"),
            return_exceptions=True)
    finally:
        await crowd.dispose()
    assert not [r for r in results if isinstance(r, BaseException)], results
    _, [line] = await order_row(db, number)
    assert (line.reserved_quantity, line.backordered_quantity) == (D(5), D(0))
    assert await reservations(db, number) == {(1, "WH1-A-02", ""): D(5)}
    assert await level(db, "P1", Bucket.AVAILABLE) == D(0)
