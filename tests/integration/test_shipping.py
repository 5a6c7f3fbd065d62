"""confirmShipment on both backends: picked stock leaves from staging at the moving average (COGS
on the ledger rows and the shipment lines), order lines count it shipped, orders become shipped
or partially shipped, and refusals change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from server.catalog.models import Location
from server.db import Database
from server.errors import DomainError
from server.inventory.models import Bucket
from server.sales.pick_queries import PickListView
from server.sales.pick_rules import PickRequest
from server.sales.picking import confirm_pick, release_picking
from server.sales.shipping import ShipmentRequest, confirm_shipment
from tests.picking_setup import (
    average_cost,
    events,
    ledger_of,
    order_row,
    picking_world,
    put_stock,
    quants,
    sales_order,
)
from tests.receiving_setup import level
from tests.stock_setup import snapshot
from tests.world import World

D = Decimal
YEAR = datetime.now(UTC).year


@pytest.fixture
async def world(db: Database) -> World:
    return await picking_world(db)


def shipment_request(pick_list: str, **changes: Any) -> ShipmentRequest:
    values: dict[str, Any] = {"pick_list_number": pick_list, "carrier": "SF Express",
                              "tracking_number": "SF1234567890",
                              "idempotency_key": uuid.uuid4().hex}
    values.update(changes)
    return ShipmentRequest(**values)


async def release(db: Database, world: World, *numbers: str) -> PickListView:
    return await release_picking(db, world["warehouse"], list(numbers), uuid.uuid4().hex)


async def pick_all(db: Database, world: World, view: PickListView) -> PickListView:
    """Pick every line of the list in full at its bin."""
    for line in view.lines:
        view = await confirm_pick(db, world["warehouse"], PickRequest(
            pick_list_number=view.pick_list.number, line_no=line.line.line_no,
            bin_barcode=line.bin_code, quantity=line.line.quantity, sku=line.sku,
            lot=line.line.lot or None, idempotency_key=uuid.uuid4().hex))
    return view


async def refused(action: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(DomainError) as error:
        await action
    return [(p.code, p.field) for p in error.value.problems]


async def test_a_shipment_takes_picked_stock_out_at_the_average_cost(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "130")
    await put_stock(db, world, "P3", "WH1-A-02", 5, "40")
    number = await sales_order(db, world, {"P1": 4, "P3": 2}, unit_price="300")
    picked = await pick_all(db, world, await release(db, world, number))
    assert await average_cost(db, "P1") == D("115.0000")
    shipped = await confirm_shipment(db, world["warehouse"], shipment_request(
        picked.pick_list.number, based_on_version=picked.pick_list.version))
    assert shipped.shipment.number == f"SH-{YEAR}-000001"
    assert (shipped.pick_list_number, shipped.warehouse_code, shipped.shipped_by,
            shipped.shipment.carrier, shipped.shipment.tracking_number) == (
        picked.pick_list.number, "WH1", "warehouse", "SF Express", "SF1234567890")
    assert [(line.order_line.order_number, line.order_line.line_no, line.sku,
             line.line.quantity, line.line.unit_price, line.line.unit_cost)
            for line in shipped.lines] == [
        (number, 1, "P1", D(4), D(300), D("115.0000")),
        (number, 2, "P3", D(2), D(300), D("40.0000"))]
    entries = await ledger_of(db, shipped.shipment.number)
    assert [(e.from_bucket, e.to_bucket, e.quantity, e.unit_cost, e.value, e.document_type)
            for e in entries] == [
        ("picked", None, D(4), D("115.0000"), D("460.0000"), "SH"),
        ("picked", None, D(2), D("40.0000"), D("80.0000"), "SH")]
    assert {entry.from_location_id for entry in entries} == {
        (await db_location(db, "WH1-STG"))}
    assert await level(db, "P1", Bucket.PICKED) == 0
    assert await level(db, "P1", Bucket.AVAILABLE) == D(16)
    assert {k: q for k, q in (await quants(db, "P1")).items() if k[0] == "WH1-STG"} == {}
    order, lines = await order_row(db, number)
    assert order.state == "shipped" and order.shipped_at is not None
    assert [(line.shipped_quantity, line.picked_quantity) for line in lines] == [
        (D(4), D(0)), (D(2), D(0))]
    assert [(kind, p["number"], p["state"]) for kind, p in await events(db, "sales_order")] == [
        ("SO_CREATED", number, "open"), ("SO_PICKED", number, "open"),
        ("SO_SHIPPED", number, "shipped")]
    alerts = [p for kind, p in await events(db, "sales_alert") if kind == "SHIPPED"]
    assert [(a["orderNumber"], a["lineNo"], a["sku"], a["quantity"], a["salesperson"])
            for a in alerts] == [(number, 1, "P1", "4.0000", "sales"),
                                 (number, 2, "P3", "2.0000", "sales")]


async def db_location(db: Database, code: str) -> int:
    async with db.reader() as session:
        found = await session.scalar(select(Location.id).where(Location.code == code))
        assert found is not None
        return found


async def test_an_order_with_a_backorder_ships_partially(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    number = await sales_order(db, world, {"P1": 5})
    picked = await pick_all(db, world, await release(db, world, number))
    await confirm_shipment(db, world["warehouse"], shipment_request(picked.pick_list.number))
    order, [line] = await order_row(db, number)
    assert order.state == "partially_shipped" and order.shipped_at is None
    assert (line.shipped_quantity, line.backordered_quantity) == (D(3), D(2))
    assert [kind for kind, _ in await events(db, "sales_order")][-1] == "SO_SHIPPED"


async def test_short_picked_lines_ship_what_was_picked_again_elsewhere(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 3, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "100")
    number = await sales_order(db, world, {"P1": 3})
    view = await release(db, world, number)
    view = await confirm_pick(db, world["warehouse"], PickRequest(
        pick_list_number=view.pick_list.number, line_no=1, bin_barcode="WH1-A-01",
        quantity=D(1), sku="P1", short_quantity=D(2), short_reason="damaged",
        idempotency_key=uuid.uuid4().hex))
    view = await confirm_pick(db, world["warehouse"], PickRequest(
        pick_list_number=view.pick_list.number, line_no=2, bin_barcode="WH1-A-02",
        quantity=D(2), sku="P1", idempotency_key=uuid.uuid4().hex))
    shipped = await confirm_shipment(db, world["warehouse"],
                                     shipment_request(view.pick_list.number))
    assert [(line.order_line.line_no, line.line.quantity) for line in shipped.lines] == [
        (1, D(3))]
    order, [line] = await order_row(db, number)
    assert (order.state, line.shipped_quantity) == ("shipped", D(3))


async def test_refusals_change_nothing(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    number = await sales_order(db, world, {"P1": 4})
    view = await release(db, world, number)
    before = await snapshot(db)
    keeper = world["warehouse"]
    assert await refused(confirm_shipment(db, keeper, shipment_request(
        view.pick_list.number))) == [("INVALID_STATE", "pickListNumber")]
    assert await refused(confirm_shipment(db, keeper, shipment_request("PK-1999-000009"))) == [
        ("NOT_FOUND", "pickListNumber")]
    assert await refused(confirm_shipment(db, keeper, shipment_request(
        view.pick_list.number, carrier=" "))) == [("INVALID_INPUT", "carrier")]
    for user in ("sales", "qc", "s1"):
        assert await refused(confirm_shipment(db, world[user], shipment_request(
            view.pick_list.number))) == [("FORBIDDEN", None)]
    assert await snapshot(db) == before
    picked = await pick_all(db, world, view)
    assert await refused(confirm_shipment(db, keeper, shipment_request(
        picked.pick_list.number, based_on_version=1))) == [("STALE_VERSION", "basedOnVersion")]


async def test_a_replay_returns_the_first_shipment_and_a_shipped_list_ships_no_more(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    picked = await pick_all(db, world, await release(db, world, await sales_order(
        db, world, {"P1": 4})))
    request = shipment_request(picked.pick_list.number)
    first = await confirm_shipment(db, world["warehouse"], request)
    before = await snapshot(db)
    again = await confirm_shipment(db, world["warehouse"], request)
    assert again.shipment.number == first.shipment.number
    assert await snapshot(db) == before
    assert await refused(confirm_shipment(db, world["warehouse"], shipment_request(
        picked.pick_list.number))) == [("INVALID_STATE", "pickListNumber")]


async def test_a_list_where_everything_was_short_has_nothing_to_ship(
    db: Database, world: World
) -> None:
    await put_stock(db, world, "P3", "WH1-A-01", 2, "40")
    view = await release(db, world, await sales_order(db, world, {"P3": 2}))
    await confirm_pick(db, world["warehouse"], PickRequest(
        pick_list_number=view.pick_list.number, line_no=1, bin_barcode="WH1-A-01",
        quantity=D(0), short_quantity=D(2), short_reason="not found",
        idempotency_key=uuid.uuid4().hex))
    assert await refused(confirm_shipment(db, world["warehouse"], shipment_request(
        view.pick_list.number))) == [("INVALID_STATE", "pickListNumber")]
