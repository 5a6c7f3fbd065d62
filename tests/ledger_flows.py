"""The world and the bookkeeping of tests/integration/test_ledger_stateful_flows.py: what the
random sequences have made that later steps can act on, and what the tables say is on hand.

Hypothesis needs every sequence to start from the same state, and the documents of #11 reach
into many tables: the master data is built once, copied row by row, and put back before each
sequence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st
from sqlalchemy import Table, select, text

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.catalog.models import Location, Product, Warehouse
from server.db import Base, Database
from server.inventory.models import PHYSICAL_BUCKETS, Bucket
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from server.purchasing import orders
from server.sales.pick_rules import PickRequest
from server.sales.picking import confirm_pick, release_picking
from server.sales.shipping import ShipmentRequest, confirm_shipment
from server.transfers.queries import TransferView, transfer_view
from tests.conftest import wipe
from tests.ledger_invariants import Tables
from tests.receiving_setup import approved_order, receive
from tests.transfer_setup import transfer_world
from tests.world import World

T = TypeVar("T")
ZERO = Decimal(0)
SKUS = ("P1", "P3")
WAREHOUSES = ("WH1", "WH2")
STORAGE_BINS = {"WH1": ("WH1-A-01", "WH1-A-02"), "WH2": ("WH2-A-01", "WH2-A-02")}
# P1 bought from S1 comes in under this lot, so a purchase return can name what was supplied.
SUPPLIED_LOT = "PO"
OPENING = Decimal(6)
# Quantities are any 4-place quantity up to 8 units: on SQLite their sums are binary floats, so
# every CHECK that adds quantities up must round (migration 0021).
STEPS_PER_UNIT = 10_000
amounts = st.integers(1, 8 * STEPS_PER_UNIT).map(lambda n: Decimal(n) / STEPS_PER_UNIT)


@dataclass
class FlowWorld:
    users: World
    products: dict[str, int]
    warehouses: dict[str, int]
    bins: dict[str, int]
    rows: list[tuple[Table, list[dict[str, Any]]]]


async def flow_world(db: Database) -> FlowWorld:
    """tests/transfer_setup.py's WH1 and WH2 with C1, purchase orders approved by any one
    purchase manager, and opening stock so that early steps have something to act on:
    OPENING of P1 and P3 in every storage bin, and OPENING of P1 bought from S1 in lot
    SUPPLIED_LOT lying at WH1-RCV."""
    users = await transfer_world(db)
    await approvals.set_policy(db, users.admin, orders.DOCUMENT_TYPE, [
        StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    for warehouse, bins in STORAGE_BINS.items():
        for location in bins:
            for sku, cost in (("P1", "20"), ("P3", "5")):
                await adjust_stock(db, users["warehouse"], AdjustmentRequest(
                    warehouse_code=warehouse, sku=sku, location_code=location,
                    quantity=OPENING, reason="opening balance",
                    idempotency_key=uuid.uuid4().hex, unit_cost=Decimal(cost)))
    order = await approved_order(db, users, {"P1": int(OPENING)})
    await receive(db, users, order.number, [("P1", int(OPENING), SUPPLIED_LOT)])
    async with db.reader() as session:
        products = {p.sku: p.id for p in await session.scalars(select(Product))}
        warehouses = {w.code: w.id for w in await session.scalars(select(Warehouse))}
        bins = {b.code: b.id for b in await session.scalars(select(Location))}
        rows = [(table, [dict(row._mapping) for row in await session.execute(select(table))])
                for table in Base.metadata.sorted_tables]
    return FlowWorld(users, products, warehouses, bins, rows)


async def pick_and_ship(db: Database, users: World, order_number: str) -> None:
    """Release an order's reservations for picking, pick all of them and ship."""
    keeper = users["warehouse"]
    view = await release_picking(db, keeper, [order_number], uuid.uuid4().hex)
    for pick in view.lines:
        view = await confirm_pick(db, keeper, PickRequest(
            pick_list_number=view.pick_list.number, line_no=pick.line.line_no,
            bin_barcode=pick.bin_code, quantity=pick.line.quantity, sku=pick.sku,
            lot=pick.line.lot or None, idempotency_key=uuid.uuid4().hex))
    await confirm_shipment(db, keeper, ShipmentRequest(
        view.pick_list.number, "SF Express", order_number, uuid.uuid4().hex))


async def transfer_of(db: Database, number: str) -> TransferView:
    async with db.reader() as session:
        return await transfer_view(session, number)


async def restore(db: Database, world: FlowWorld) -> None:
    """Every table back to the master data alone. PostgreSQL keeps its id sequences going, so
    the rows put back cannot collide with the ids new rows get."""
    if db.is_sqlite:
        await wipe(db)
    else:
        async with db.transaction() as session:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await session.execute(text(f"TRUNCATE {tables} CASCADE"))
    async with db.transaction() as session:
        for table, rows in world.rows:
            if rows:
                await session.execute(table.insert(), rows)


@dataclass
class Travel:
    """A transfer the sequences made, and what of it is still to come at the destination."""

    sku: str
    state: str
    to_receive: Decimal = ZERO


@dataclass
class Goods:
    """A quantity of one product tied to a document of one warehouse (returnable, due back,
    waiting for inspection)."""

    sku: str
    quantity: Decimal
    warehouse: str


@dataclass
class Count:
    """The running stocktake: its warehouse, bins, and what was counted per (bin, sku, lot)."""

    number: str
    warehouse: str
    bins: tuple[str, ...]
    counted: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)


@dataclass
class Documents:
    """What exists that a step can act on; ``owned`` is what the company should hold of each
    product (on hand in both warehouses plus in transit between them)."""

    owned: dict[str, Decimal]
    supplied: Decimal  # P1 of lot SUPPLIED_LOT received and not claimed by a return
    purchases: int = 0
    returnable_sales: dict[str, Goods] = field(default_factory=dict)
    sales_returns_due: dict[str, Goods] = field(default_factory=dict)
    qc_tasks: dict[int, Goods] = field(default_factory=dict)
    held_returns: list[str] = field(default_factory=list)
    transfers: dict[str, Travel] = field(default_factory=dict)
    stocktake: Count | None = None


def owned_in(tables: Tables, product_id: int) -> Decimal:
    """On hand everywhere plus in transit, from the positions."""
    wanted = {b.value for b in PHYSICAL_BUCKETS} | {Bucket.IN_TRANSIT.value}
    return sum((q for (p, _w, bucket), q in tables.positions.items()
                if p == product_id and bucket in wanted), ZERO)


def available_in(tables: Tables, product_id: int, warehouse_id: int, lot: str | None = None,
                 location_id: int | None = None) -> Decimal:
    """Available stock of a product in a warehouse (of one lot, in one bin), from the quants."""
    total = ZERO
    for key, quantity in tables.quants.items():
        product, location, quant_lot, bucket = key
        if (product == product_id and bucket == Bucket.AVAILABLE.value
                and tables.quant_warehouses[key] == warehouse_id
                and (lot is None or quant_lot == lot)
                and (location_id is None or location == location_id)):
            total += quantity
    return total


def held_in_bin(tables: Tables, product_id: int, location_id: int, lot: str) -> Decimal:
    """Everything a bin holds of a product and lot, in any bucket: what a count should find."""
    return sum((q for (p, loc, quant_lot, _b), q in tables.quants.items()
                if (p, loc, quant_lot) == (product_id, location_id, lot)), ZERO)


def portion(held: Decimal, share: Decimal | None, quantity: Decimal) -> Decimal:
    """A share of what is held, in whole 4-place steps (at least one), or the random quantity."""
    if share is None:
        return quantity
    steps = (held * share * STEPS_PER_UNIT).to_integral_value(ROUND_FLOOR)
    return max(steps, Decimal(1)) / STEPS_PER_UNIT


def chosen(options: list[T], pick: int) -> T:
    return options[pick % len(options)]
