"""The ledger's invariants (DESIGN §4), checked against the tables after any flow: every balance
is the sum of its ledger rows, none is negative, bin quants add up to the physical buckets, and the
valuation covers exactly the stock on hand.

Goods in transit between two of our warehouses are on neither's shelves, so neither warehouse's
valuation holds them (``in_transit`` is a memo bucket): their value is the transfer's, recorded
as the unit cost on the destination's ``in_transit`` rows. What the company owns stays whole
because each transfer's value is conserved: what left the source at its average equals what
the destination received plus what is still on the road at the cost that travels."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.db import Database
from server.inventory.models import (
    PHYSICAL_BUCKETS,
    Bucket,
    StockCost,
    StockLedger,
    StockPosition,
    StockQuant,
)
from server.inventory.valuation import Flow, flow_of
from server.transfers.events import DOCUMENT_TYPE as TRANSFER_DOCUMENT

ZERO = Decimal(0)
# Half a unit of the 4th decimal place per unit moved: the average is rounded to 4 places, and
# the last units out of a warehouse take whatever value is left. Each valued row's own value is
# rounded to 4 places too, which for a fraction of a unit is more than the per-unit share.
ROUNDING_PER_UNIT = Decimal("0.00005")
ROUNDING_PER_ROW = Decimal("0.00005")


@dataclass(frozen=True)
class Tables:
    ledger: list[StockLedger]
    positions: dict[tuple[int, int, str], Decimal]
    quants: dict[tuple[int, int, str, str], Decimal]  # product, bin, lot, bucket
    quant_warehouses: dict[tuple[int, int, str, str], int]
    costs: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal | None, int]]

    def fingerprint(self) -> tuple[Any, ...]:
        return ([r.id for r in self.ledger], self.positions, self.quants, self.costs)


async def read_tables(database: Database) -> Tables:
    async with database.reader() as session:
        ledger = list(await session.scalars(select(StockLedger).order_by(StockLedger.id)))
        positions = {(r.product_id, r.warehouse_id, r.bucket): r.quantity
                     for r in await session.scalars(select(StockPosition))}
        quant_rows = list(await session.scalars(select(StockQuant)))
        costs = {(r.product_id, r.warehouse_id):
                 (r.valued_quantity, r.value, r.average_cost, r.version)
                 for r in await session.scalars(select(StockCost))}
    return Tables(
        ledger, positions,
        {(r.product_id, r.location_id, r.lot, r.bucket): r.quantity for r in quant_rows},
        {(r.product_id, r.location_id, r.lot, r.bucket): r.warehouse_id
         for r in quant_rows},
        costs,
    )


def nonzero(amounts: dict[Any, Decimal]) -> dict[Any, Decimal]:
    return {key: amount for key, amount in amounts.items() if amount}


def check_against_ledger(tables: Tables) -> None:
    positions: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    quants: dict[tuple[int, int, str, str], Decimal] = defaultdict(Decimal)
    value: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for row in tables.ledger:
        assert row.quantity > 0
        if row.from_bucket:
            positions[(row.product_id, row.warehouse_id, row.from_bucket)] -= row.quantity
        if row.to_bucket:
            positions[(row.product_id, row.warehouse_id, row.to_bucket)] += row.quantity
        if row.from_location_id and row.from_bucket:
            quants[(row.product_id, row.from_location_id, row.lot, row.from_bucket)] -= \
                row.quantity
        if row.to_location_id and row.to_bucket:
            quants[(row.product_id, row.to_location_id, row.lot, row.to_bucket)] += row.quantity
        flow = flow_of(row.from_bucket and Bucket(row.from_bucket),
                       row.to_bucket and Bucket(row.to_bucket))
        if flow is not Flow.NEUTRAL:
            assert row.value is not None and row.value >= 0
            sign = 1 if flow is Flow.INBOUND else -1
            value[(row.product_id, row.warehouse_id)] += sign * row.value
    # every balance equals the sum of its ledger rows, and none is negative
    assert nonzero(tables.positions) == nonzero(positions)
    assert nonzero(tables.quants) == nonzero(quants)
    assert all(q >= 0 for q in tables.positions.values())
    assert all(q >= 0 for q in tables.quants.values())
    # bin quants add up to each physical bucket of each product × warehouse
    physical: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    physical_buckets: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for (product_id, warehouse_id, bucket), quantity in tables.positions.items():
        if Bucket(bucket) in PHYSICAL_BUCKETS:
            physical[(product_id, warehouse_id)] += quantity
            physical_buckets[(product_id, warehouse_id, bucket)] += quantity
    in_bins: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for key, quantity in tables.quants.items():
        in_bins[(key[0], tables.quant_warehouses[key], key[3])] += quantity
    assert nonzero(in_bins) == nonzero(physical_buckets)
    # the valuation covers exactly the stock on hand, and its value is the ledger's
    for pair, (valued_quantity, stock_value, _average, _version) in tables.costs.items():
        assert valued_quantity == physical.get(pair, ZERO)
        assert stock_value == value.get(pair, ZERO)
        assert stock_value >= 0 and (valued_quantity > 0 or stock_value == 0)
    check_transfers(tables.ledger)


@dataclass
class _Travel:
    shipped: Decimal = ZERO
    shipped_value: Decimal = ZERO
    into_transit: Decimal = ZERO
    transit_value: Decimal = ZERO
    received: Decimal = ZERO
    received_value: Decimal = ZERO
    valued_rows: int = 0
    costs: set[Decimal] = field(default_factory=set)


def check_transfers(ledger: list[StockLedger]) -> None:
    """Per transfer and product: every unit shipped out of the source's staging arrived in the
    destination's in_transit, each carrying a unit cost, and was received at that cost; and the
    value that left the source is the value received plus the value still in transit (up to the
    rounding of the average and of each row's value)."""
    travels: dict[tuple[str | None, int], _Travel] = defaultdict(_Travel)
    for row in ledger:
        if row.document_type != TRANSFER_DOCUMENT:
            continue
        travel = travels[(row.document_number, row.product_id)]
        if row.from_bucket == Bucket.PICKED.value and row.to_bucket is None:
            travel.shipped += row.quantity
            travel.shipped_value += row.value or ZERO
            travel.valued_rows += 1
        elif row.to_bucket == Bucket.IN_TRANSIT.value:
            assert row.unit_cost is not None and row.value is None
            travel.into_transit += row.quantity
            travel.transit_value += row.quantity * row.unit_cost
            travel.costs.add(row.unit_cost)
        elif row.from_bucket == Bucket.IN_TRANSIT.value:
            assert row.unit_cost is not None and row.value is not None
            assert row.unit_cost in travel.costs  # received at the cost that travelled
            travel.received += row.quantity
            travel.received_value += row.value
            travel.valued_rows += 1
            travel.transit_value -= row.quantity * row.unit_cost
    for travel in travels.values():
        assert travel.shipped == travel.into_transit
        assert travel.received <= travel.into_transit
        accounted = travel.received_value + travel.transit_value
        tolerance = ROUNDING_PER_UNIT * travel.shipped + ROUNDING_PER_ROW * travel.valued_rows
        assert abs(travel.shipped_value - accounted) <= tolerance


async def assert_ledger_consistent(database: Database) -> None:
    check_against_ledger(await read_tables(database))
