"""``inventory_report``: per product, as of the end of a UTC day and over one warehouse or all,
the stock on hand and its value, turnover, days of cover, ageing and dead stock — all from the
ledger, so a past day answers as it stood then (for today the value is the ``stock_cost`` value:
the ledger's inbound and outbound values add up to it exactly).

- On hand and value: what crossed into the physical buckets minus what left them.
- Turnover over the 365 days up to ``as_of``: COGS (the value of the shipment rows) ÷ average
  inventory value, the mean of the value at the start of the window and at ``as_of``.
- Days of cover: on hand ÷ the average daily quantity shipped over the last 90 days.
- Ageing by receipt date, assuming FIFO: the stock on hand is the most recent inbound rows (a
  receipt, a count or return into stock), newest first, until they add up to the quantity on
  hand; each contributes what of it is still there to the bucket of its age (0–30, 31–90,
  91–180, over 180 days before ``as_of``). Computed per product × warehouse, then summed.
- Dead stock: on hand, and no ledger row at all (any move, reservations included) for
  ``dead_days``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Warehouse
from server.errors import InvalidInput, NotFound
from server.finance.reports import (
    CENT,
    day_start,
    exact,
    money,
    quantity,
    rows_in_parts,
    tune_for_report,
)
from server.inventory.models import StockLedger
from server.ops.heap import collector_paused
from server.sales.shipping import DOCUMENT_TYPE as SHIPMENT_DOCUMENT

INVENTORY_READERS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER)
TURNOVER_DAYS = 365
COVER_DAYS = 90
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30), ("31-90", 90), ("91-180", 180), ("over-180", None))
BUCKET_NAMES = [name for name, _ in AGE_BUCKETS]
MAX_DEAD_DAYS = 3650

# A ledger row's side holds a location exactly when its bucket is physical (the ledger's
# ``*_location_iff_physical`` checks), so a null test tells whether it is in stock, cheaper than
# comparing bucket names: +quantity into stock, -quantity out of it, null within or outside it.
_TO_STOCK = StockLedger.to_location_id.is_not(None)
_FROM_STOCK = StockLedger.from_location_id.is_not(None)
_INTO_STOCK = and_(_TO_STOCK, StockLedger.from_location_id.is_(None))
_OUT_OF_STOCK = and_(_FROM_STOCK, StockLedger.to_location_id.is_(None))
_SHIPPED = and_(_OUT_OF_STOCK, StockLedger.document_type == SHIPMENT_DOCUMENT)
# The sums in the order of the ledger's product × warehouse index (which holds the columns they
# read: no table scan, no sort), each product's sku and name by its primary key, row by row as
# the sums come out: a hash aggregate or join would first wait for every product's sums, and a
# merge join sort all products by id first.
_STREAMING_PLAN = ("SET LOCAL enable_hashagg = off; SET LOCAL enable_hashjoin = off;"
                   " SET LOCAL enable_mergejoin = off")


def _signed(column: Any) -> Any:
    return case((StockLedger.to_location_id.is_(None), case((_FROM_STOCK, -column))),
                (StockLedger.from_location_id.is_(None), column))


@dataclass(slots=True)
class InventoryRow:
    """Not frozen, as ``MarginRow``: tens of thousands are built per report. Its fields are the
    GraphQL row's (``InventoryReportRow``), which reads them off it without a copy."""

    sku: str
    name: str
    on_hand: Decimal
    value: Decimal
    cogs_last_365_days: Decimal
    average_value: Decimal
    turnover: Decimal | None
    shipped_last_90_days: Decimal
    days_of_cover: Decimal | None
    age_0_to_30_days: Decimal
    age_31_to_90_days: Decimal
    age_91_to_180_days: Decimal
    age_over_180_days: Decimal
    last_movement_at: datetime | None
    dead: bool

    @property
    def ageing(self) -> dict[str, Decimal]:
        """The quantity on hand per age bucket (``AGE_BUCKETS``' names), youngest first."""
        return dict(zip(BUCKET_NAMES, (self.age_0_to_30_days, self.age_31_to_90_days,
                                       self.age_91_to_180_days, self.age_over_180_days),
                        strict=True))


@dataclass(frozen=True, slots=True)
class InventoryReport:
    warehouse_code: str | None
    as_of: date
    dead_days: int
    rows: list[InventoryRow]


async def inventory_report(
    session: AsyncSession, principal: Principal, warehouse_code: str | None, as_of: date,
    dead_days: int = 90,
) -> InventoryReport:
    """Products with stock on hand at ``as_of`` or any movement in the year before it."""
    principal.require(*INVENTORY_READERS)
    if not 1 <= dead_days <= MAX_DEAD_DAYS:
        raise InvalidInput(f"deadDays must be from 1 to {MAX_DEAD_DAYS}", field="deadDays")
    scope = [StockLedger.posted_at < day_start(as_of + timedelta(days=1))]
    if warehouse_code is not None:
        warehouse_id = await session.scalar(
            select(Warehouse.id).where(Warehouse.code == warehouse_code.strip()))
        if warehouse_id is None:
            raise NotFound(f"no warehouse {warehouse_code}", field="warehouseCode")
        scope.append(StockLedger.warehouse_id == warehouse_id)
    await tune_for_report(session)
    bounds = _Bounds(day_start(as_of - timedelta(days=TURNOVER_DAYS - 1)),
                     day_start(as_of - timedelta(days=COVER_DAYS - 1)),
                     day_start(as_of - timedelta(days=dead_days - 1)), as_of)
    # PostgreSQL rounds the figures itself (numeric round() takes halves away from zero, as
    # ROUND_HALF_UP), which spares Python most of its work per row; SQLite answers sums as
    # floats, rounded here from their decimal text.
    in_sql = session.get_bind().dialect.name == "postgresql"

    def shape(figures: Sequence[Any]) -> list[InventoryRow]:
        with collector_paused():
            if in_sql:
                return [_row(figures_of, bounds.dead_since) for figures_of in figures]
            return [_row(_rounded(figures_of), bounds.dead_since) for figures_of in figures]

    # The product id range the parts share out (on SQLite the report is one part).
    ids = (tuple((await session.execute(select(func.min(Product.id), func.max(Product.id))))
                 .one()) if in_sql else (None, None))
    parts = await rows_in_parts(
        session, lambda part, parts: _figures(scope + _part_of(ids, part, parts), bounds, in_sql),
        shape, planner=_STREAMING_PLAN)
    # In code-point order of the skus, the same on both databases (and whatever collation a
    # PostgreSQL database was created with).
    rows = sorted(chain.from_iterable(parts), key=attrgetter("sku"))
    return InventoryReport(warehouse_code, as_of, dead_days, rows)


@dataclass(frozen=True, slots=True)
class _Bounds:
    year_start: datetime
    cover_start: datetime
    dead_since: datetime
    as_of: date


def _part_of(ids: tuple[int | None, int | None], part: int, parts: int) -> list[Any]:
    """The ledger rows of part ``part`` of ``parts`` equal ranges of product ids (``ids``: the
    lowest and highest): each part reads its own stretch of the ledger's index."""
    low, high = ids
    if parts == 1 or low is None or high is None:
        return []
    span = (high - low) // parts + 1
    return [StockLedger.product_id >= low + part * span,
            StockLedger.product_id < low + (part + 1) * span]


def _figures(scope: list[Any], bounds: _Bounds, in_sql: bool) -> Any:
    """The report's rows for the products of ``scope``'s ledger rows, in product id order: the
    order the ledger is added up in, so each row can leave PostgreSQL as soon as it is complete.
    Each has the sku, name, on hand, value, average value, COGS, shipped, last movement and the
    ageing, rounded ``in_sql`` or else raw, the start value in place of the average."""
    # Per product × warehouse first (the FIFO ageing needs each pair's quantity on hand), then
    # per product: one pass over the ledger adds up both.
    pairs = (
        select(StockLedger.product_id.label("product_id"),
               func.sum(_signed(StockLedger.quantity)).label("on_hand"),
               func.sum(_signed(StockLedger.value)).label("value"),
               func.sum(case((StockLedger.posted_at < bounds.year_start,
                              _signed(StockLedger.value)))).label("start_value"),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= bounds.year_start),
                              StockLedger.value))).label("cogs"),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= bounds.cover_start),
                              StockLedger.quantity))).label("shipped"),
               func.max(StockLedger.posted_at).label("last_moved"),
               *_received_since(bounds.as_of))
        .where(*scope)
        .group_by(StockLedger.product_id, StockLedger.warehouse_id).subquery("pairs"))
    stocked = (
        select(pairs.c.product_id,
               *[func.sum(column).label(column.name) for column in
                 (pairs.c.on_hand, pairs.c.value, pairs.c.start_value, pairs.c.cogs,
                  pairs.c.shipped)],
               func.max(pairs.c.last_moved).label("last_moved"),
               *_aged(pairs))
        .group_by(pairs.c.product_id).subquery("stocked"))
    figures: list[Any] = [stocked.c.on_hand, stocked.c.value, stocked.c.start_value,
                          stocked.c.cogs, stocked.c.shipped, stocked.c.last_moved,
                          *[stocked.c[name] for name in BUCKET_NAMES]]
    if in_sql:
        on_hand, value, start_value, cogs, shipped, last_moved, *ageing = figures
        average = (func.coalesce(start_value, 0) + func.coalesce(value, 0)) / 2
        figures = [_round(on_hand, 4), _round(value, 2), _round(average, 2), _round(cogs, 2),
                   _round(shipped, 4), last_moved, *[_round(age, 4) for age in ageing]]
    return (
        select(Product.sku, Product.name, *figures)
        .select_from(stocked)
        .join(Product, Product.id == stocked.c.product_id)
        .where(or_(func.coalesce(stocked.c.on_hand, 0) != 0,
                   stocked.c.last_moved >= bounds.year_start))
        .order_by(stocked.c.product_id))


def _round(figure: Any, places: int) -> Any:
    return func.round(func.coalesce(figure, 0), places)


def _rounded(figures: Any) -> tuple[Any, ...]:
    """Raw figures rounded as ``_figures`` rounds them ``in_sql``."""
    (sku, name, on_hand, value, start_value, cogs, shipped, last_moved, *ageing) = figures
    return (sku, name, quantity(on_hand), money(value),
            money((exact(start_value) + exact(value)) / 2), money(cogs), quantity(shipped),
            last_moved, *map(quantity, ageing))


def _row(figures: Any, dead_since: datetime) -> InventoryRow:
    (sku, name, on_hand, value, average_value, cogs, shipped, last_moved,
     young, middle, old, oldest) = figures
    return InventoryRow(
        sku, name, on_hand, value, cogs, average_value,
        (cogs / average_value).quantize(CENT) if average_value > 0 else None,
        shipped, (on_hand * COVER_DAYS / shipped).quantize(CENT) if shipped > 0 else None,
        young, middle, old, oldest, last_moved,
        on_hand > 0 and (last_moved is None or last_moved < dead_since))


# FIFO ageing without ordering the receipts: the stock on hand is the newest inbound rows, so
# of a pair's quantity on hand H, what arrived since t is min(H, R(t)), R(t) being all that came
# into stock since t. An age bucket [a, b) holds min(H, R(a)) - min(H, R(b)), exactly what the
# newest-first walk over the rows gives, and R(t) is one more sum in the pass over the ledger.
def _received_since(as_of: date) -> list[Any]:
    """Per pair, for each age bucket's oldest day (all time for the last), what came into
    stock since then."""
    return [func.coalesce(func.sum(case((and_(_INTO_STOCK, *since), StockLedger.quantity))), 0)
            .label(f"received_{index}")
            for index, since in enumerate(_bucket_starts(as_of))]


def _bucket_starts(as_of: date) -> list[list[Any]]:
    return [[StockLedger.posted_at >= day_start(as_of - timedelta(days=days))]
            if days is not None else [] for _, days in AGE_BUCKETS]


def _aged(pairs: Any) -> list[Any]:
    """Per product, a column per age bucket: the quantity on hand received that long ago."""
    held = case((pairs.c.on_hand > 0, pairs.c.on_hand), else_=0)
    arrived = [case((received < held, received), else_=held)
               for received in (pairs.c[f"received_{index}"]
                                for index in range(len(AGE_BUCKETS)))]
    return [func.sum(since - arrived[index - 1] if index else since).label(name)
            for index, (name, since) in enumerate(zip(BUCKET_NAMES, arrived, strict=True))]
