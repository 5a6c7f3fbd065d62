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

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Warehouse
from server.errors import InvalidInput, NotFound
from server.finance.reports import CENT, day_start, exact, money, quantity
from server.inventory.models import PHYSICAL_BUCKETS, StockLedger
from server.sales.shipping import DOCUMENT_TYPE as SHIPMENT_DOCUMENT

INVENTORY_READERS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER)
TURNOVER_DAYS = 365
COVER_DAYS = 90
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30), ("31-90", 90), ("91-180", 180), ("over-180", None))
MAX_DEAD_DAYS = 3650

_PHYSICAL = sorted(bucket.value for bucket in PHYSICAL_BUCKETS)
_INTO_STOCK = and_(func.coalesce(StockLedger.to_bucket, "").in_(_PHYSICAL),
                   not_(func.coalesce(StockLedger.from_bucket, "").in_(_PHYSICAL)))
_OUT_OF_STOCK = and_(func.coalesce(StockLedger.from_bucket, "").in_(_PHYSICAL),
                     not_(func.coalesce(StockLedger.to_bucket, "").in_(_PHYSICAL)))
_SIGNED_QUANTITY = case((_INTO_STOCK, StockLedger.quantity),
                        (_OUT_OF_STOCK, -StockLedger.quantity), else_=0)
_SIGNED_VALUE = case((_INTO_STOCK, func.coalesce(StockLedger.value, 0)),
                     (_OUT_OF_STOCK, -func.coalesce(StockLedger.value, 0)), else_=0)
_SHIPPED = and_(StockLedger.document_type == SHIPMENT_DOCUMENT, _OUT_OF_STOCK)


@dataclass(frozen=True, slots=True)
class InventoryRow:
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
    ageing = await _ageing(session, scope, as_of)
    year_start = day_start(as_of - timedelta(days=TURNOVER_DAYS - 1))
    cover_start = day_start(as_of - timedelta(days=COVER_DAYS - 1))
    dead_since = day_start(as_of - timedelta(days=dead_days - 1))
    on_hand = func.sum(_SIGNED_QUANTITY)
    last_moved = func.max(StockLedger.posted_at)
    figures = await session.execute(
        select(Product.id, Product.sku, Product.name, on_hand, func.sum(_SIGNED_VALUE),
               func.sum(case((StockLedger.posted_at < year_start, _SIGNED_VALUE), else_=0)),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= year_start),
                              func.coalesce(StockLedger.value, 0)), else_=0)),
               func.sum(case((and_(_SHIPPED, StockLedger.posted_at >= cover_start),
                              StockLedger.quantity), else_=0)),
               last_moved)
        .join(Product, Product.id == StockLedger.product_id)
        .where(*scope)
        .group_by(Product.id, Product.sku, Product.name)
        .having(or_(on_hand != 0, last_moved >= year_start))
        .order_by(Product.sku))
    rows = [_row(sku, name, figures_of, ageing.get(product_id, {}), dead_since)
            for product_id, sku, name, *figures_of in figures]
    return InventoryReport(warehouse_code, as_of, dead_days, rows)


def _row(sku: str, name: str, figures: list[Any], ageing: dict[str, Decimal],
         dead_since: datetime) -> InventoryRow:
    on_hand_raw, value_raw, start_value_raw, cogs_raw, shipped_raw, last_moved = figures
    on_hand = quantity(on_hand_raw)
    value = money(value_raw)
    cogs = money(cogs_raw)
    average_value = money((exact(start_value_raw) + exact(value_raw)) / 2)
    shipped = quantity(shipped_raw)
    return InventoryRow(
        sku=sku, name=name, on_hand=on_hand, value=value, cogs=cogs,
        average_value=average_value,
        turnover=(cogs / average_value).quantize(CENT) if average_value > 0 else None,
        shipped_last_90_days=shipped,
        days_of_cover=(on_hand * COVER_DAYS / shipped).quantize(CENT) if shipped > 0 else None,
        ageing={bucket: ageing.get(bucket, quantity(0)) for bucket, _ in AGE_BUCKETS},
        last_movement_at=last_moved, dead=on_hand > 0 and (last_moved is None
                                                           or last_moved < dead_since))


async def _ageing(session: AsyncSession, scope: list[Any], as_of: date
                  ) -> dict[int, dict[str, Decimal]]:
    """Product id → age bucket → quantity on hand received that long ago (FIFO, see above)."""
    pair = (StockLedger.product_id, StockLedger.warehouse_id)
    held_by_pair = (select(*pair, func.sum(_SIGNED_QUANTITY).label("on_hand"))
                    .where(*scope).group_by(*pair).subquery("held_by_pair"))
    receipts = (
        select(*pair, StockLedger.quantity.label("quantity"),
               StockLedger.posted_at.label("posted_at"),
               func.sum(StockLedger.quantity).over(
                   partition_by=pair,
                   order_by=(StockLedger.posted_at.desc(), StockLedger.id.desc()),
               ).label("this_and_newer"))
        .where(*scope, _INTO_STOCK).subquery("receipts"))
    still_held_before = (held_by_pair.c.on_hand
                         - (receipts.c.this_and_newer - receipts.c.quantity))
    still_here = case((still_held_before <= 0, 0),
                      (still_held_before >= receipts.c.quantity, receipts.c.quantity),
                      else_=still_held_before)
    bucket = case(*[(receipts.c.posted_at >= day_start(as_of - timedelta(days=days)), name)
                    for name, days in AGE_BUCKETS if days is not None],
                  else_=AGE_BUCKETS[-1][0])
    # Bucketed in a subquery and grouped outside it: PostgreSQL would not see a bucket
    # expression with bound parameters in GROUP BY as the same as the one in SELECT.
    aged = (select(receipts.c.product_id, bucket.label("age"), still_here.label("held"))
            .join(held_by_pair, and_(held_by_pair.c.product_id == receipts.c.product_id,
                                     held_by_pair.c.warehouse_id == receipts.c.warehouse_id))
            .subquery("aged"))
    rows = await session.execute(
        select(aged.c.product_id, aged.c.age, func.sum(aged.c.held))
        .group_by(aged.c.product_id, aged.c.age))
    ageing: dict[int, dict[str, Decimal]] = {}
    for product_id, name, held in rows:
        ageing.setdefault(product_id, {})[name] = quantity(held)
    return ageing
