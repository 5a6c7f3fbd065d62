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

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Warehouse
from server.errors import InvalidInput, NotFound
from server.finance.reports import CENT, day_start, exact, money, quantity, tune_for_report
from server.inventory.models import PHYSICAL_BUCKETS, StockLedger
from server.sales.shipping import DOCUMENT_TYPE as SHIPMENT_DOCUMENT

INVENTORY_READERS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER)
TURNOVER_DAYS = 365
COVER_DAYS = 90
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30), ("31-90", 90), ("91-180", 180), ("over-180", None))
BUCKET_NAMES = [name for name, _ in AGE_BUCKETS]
MAX_DEAD_DAYS = 3650

_PHYSICAL = sorted(bucket.value for bucket in PHYSICAL_BUCKETS)
_TO_STOCK = case((StockLedger.to_bucket.in_(_PHYSICAL), 1), else_=0)
_FROM_STOCK = case((StockLedger.from_bucket.in_(_PHYSICAL), 1), else_=0)
# +1 into the physical buckets, -1 out of them, 0 within or outside them: each bucket column is
# tested once per row (a CASE of "into" then "out of" tested each up to twice).
_DIRECTION = _TO_STOCK - _FROM_STOCK
_INTO_STOCK = and_(_TO_STOCK == 1, _FROM_STOCK == 0)
_SIGNED_QUANTITY = StockLedger.quantity * _DIRECTION
_SIGNED_VALUE = func.coalesce(StockLedger.value, 0) * _DIRECTION
_SHIPPED = and_(StockLedger.document_type == SHIPMENT_DOCUMENT, _DIRECTION == -1)


@dataclass(slots=True)
class InventoryRow:
    """Not frozen, as ``MarginRow``: tens of thousands are built per report."""

    sku: str
    name: str
    on_hand: Decimal
    value: Decimal
    cogs: Decimal
    average_value: Decimal
    turnover: Decimal | None
    shipped_last_90_days: Decimal
    days_of_cover: Decimal | None
    ageing: dict[str, Decimal]
    last_movement_at: datetime | None
    dead: bool


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
    year_start = day_start(as_of - timedelta(days=TURNOVER_DAYS - 1))
    cover_start = day_start(as_of - timedelta(days=COVER_DAYS - 1))
    dead_since = day_start(as_of - timedelta(days=dead_days - 1))
    # Per product × warehouse first (the FIFO ageing needs each pair's quantity on hand), then
    # per product: the ledger is added up once for both. Only rows that cross into or out of
    # stock carry quantities and values; the others (reservations, picks) only date the last
    # movement, a cheaper max over all rows of its own.
    pairs = (
        select(StockLedger.product_id.label("product_id"),
               StockLedger.warehouse_id.label("warehouse_id"),
               func.sum(_SIGNED_QUANTITY).label("on_hand"),
               func.sum(_SIGNED_VALUE).label("value"),
               func.sum(case((StockLedger.posted_at < year_start, _SIGNED_VALUE),
                             else_=0)).label("start_value"),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= year_start),
                              func.coalesce(StockLedger.value, 0)), else_=0)).label("cogs"),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= cover_start),
                              StockLedger.quantity), else_=0)).label("shipped"))
        .where(*scope, _DIRECTION != 0)
        .group_by(StockLedger.product_id, StockLedger.warehouse_id).cte("pairs"))
    stocked = (
        select(pairs.c.product_id,
               *[func.sum(column).label(column.name) for column in
                 (pairs.c.on_hand, pairs.c.value, pairs.c.start_value, pairs.c.cogs,
                  pairs.c.shipped)])
        .group_by(pairs.c.product_id).subquery("stocked"))
    moved = (select(StockLedger.product_id.label("product_id"),
                    func.max(StockLedger.posted_at).label("last_moved"))
             .where(*scope).group_by(StockLedger.product_id).subquery("moved"))
    ageing = _ageing(scope, pairs, as_of)
    figures = await session.execute(
        select(Product.sku, Product.name, stocked.c.on_hand, stocked.c.value,
               stocked.c.start_value, stocked.c.cogs, stocked.c.shipped, moved.c.last_moved,
               *[ageing.c[name] for name in BUCKET_NAMES])
        .select_from(moved)
        .join(Product, Product.id == moved.c.product_id)
        .outerjoin(stocked, stocked.c.product_id == moved.c.product_id)
        .outerjoin(ageing, ageing.c.product_id == moved.c.product_id)
        .where(or_(stocked.c.on_hand != 0, moved.c.last_moved >= year_start))
        .order_by(Product.sku))
    rows = [_row(figures_of, dead_since) for figures_of in figures]
    return InventoryReport(warehouse_code, as_of, dead_days, rows)


def _row(figures: Any, dead_since: datetime) -> InventoryRow:
    (sku, name, on_hand_raw, value_raw, start_value_raw, cogs_raw, shipped_raw, last_moved,
     *ageing) = figures
    on_hand = quantity(on_hand_raw)
    value = money(value_raw)
    cogs = money(cogs_raw)
    average_value = money((exact(start_value_raw) + exact(value_raw)) / 2)
    shipped = quantity(shipped_raw)
    return InventoryRow(
        sku, name, on_hand, value, cogs, average_value,
        (cogs / average_value).quantize(CENT) if average_value > 0 else None,
        shipped, (on_hand * COVER_DAYS / shipped).quantize(CENT) if shipped > 0 else None,
        {bucket: quantity(held) for bucket, held in zip(BUCKET_NAMES, ageing, strict=True)},
        last_moved, on_hand > 0 and (last_moved is None or last_moved < dead_since))


def _ageing(scope: list[Any], pairs: Any, as_of: date) -> Any:
    """Per product, a column per age bucket: the quantity on hand received that long ago (FIFO,
    see above)."""
    pair = (StockLedger.product_id, StockLedger.warehouse_id)
    receipts = (
        select(*pair, StockLedger.quantity.label("quantity"),
               StockLedger.posted_at.label("posted_at"),
               func.sum(StockLedger.quantity).over(
                   partition_by=pair,
                   order_by=(StockLedger.posted_at.desc(), StockLedger.id.desc()),
               ).label("this_and_newer"))
        .where(*scope, _INTO_STOCK).subquery("receipts"))
    still_held_before = pairs.c.on_hand - (receipts.c.this_and_newer - receipts.c.quantity)
    still_here = case((still_held_before <= 0, 0),
                      (still_held_before >= receipts.c.quantity, receipts.c.quantity),
                      else_=still_held_before)
    bounds = [(name, day_start(as_of - timedelta(days=days)) if days is not None else None)
              for name, days in AGE_BUCKETS]
    columns = []
    for index, (name, since) in enumerate(bounds):
        younger = bounds[index - 1][1] if index else None
        received = [receipts.c.posted_at >= since] if since is not None else []
        if younger is not None:
            received.append(receipts.c.posted_at < younger)
        columns.append(func.sum(case((and_(*received), still_here), else_=0)).label(name))
    return (select(receipts.c.product_id, *columns)
            .join(pairs, and_(pairs.c.product_id == receipts.c.product_id,
                              pairs.c.warehouse_id == receipts.c.warehouse_id))
            .group_by(receipts.c.product_id).subquery("ageing"))
