"""Everything a planning run reads, in a few set-based queries: the pairs to plan and, per
product × warehouse, the facts ``server.planning.plan`` needs. Loads plain tuples (no ORM
objects), so 100,000 pairs load in seconds.

Which pairs: every active product × active warehouse with any stock position, sales history in
the window, a forecast from this week on, a draft purchase order line, or an open suggestion (so
a need that went away closes its suggestion).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Float, Integer, Select, and_, cast, func, select, tuple_, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from server.catalog.models import Product, Supplier, SupplierItem, Warehouse
from server.inventory.models import Bucket, StockPosition
from server.planning.models import Forecast as ForecastRow
from server.planning.models import PlanningPolicy, ReplenishmentSuggestion, SuggestionStatus
from server.planning.netting import SupplierTerms, Supply, week_start
from server.planning.plan import PairFacts, Policy, SupplierOption
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.states import PoState
from server.sales.models import SalesHistory, SalesOrder, SalesOrderLine, SalesOrderState

Pair = tuple[int, int]
ZERO = Decimal(0)
DRAFT_STATES = (PoState.DRAFT.value, PoState.PENDING_APPROVAL.value)
OPEN_ORDER_STATES = (SalesOrderState.OPEN.value, SalesOrderState.PARTIALLY_SHIPPED.value)
SUPPLY_BUCKETS = (Bucket.AVAILABLE, Bucket.PENDING_QC, Bucket.IN_TRANSIT, Bucket.ON_ORDER,
                  Bucket.BACKORDERED)
# Pairs per IN (...) list when planning a given set of pairs.
_PAIRS_PER_QUERY = 500


@dataclass(frozen=True, slots=True)
class Window:
    """The weeks a run reads: history up to last week, forecasts from this week on."""

    today: date
    history_from: date
    this_week: date
    forecast_to: date

    @classmethod
    def of(cls, today: date, policy: Policy, forecast_weeks: int) -> Window:
        this_week = week_start(today)
        return cls(today, this_week - timedelta(weeks=policy.history_weeks), this_week,
                   this_week + timedelta(weeks=forecast_weeks))


async def load_policy(session: AsyncSession) -> Policy:
    row = await session.get(PlanningPolicy, 1)
    if row is None:
        return Policy()
    return Policy(row.review_period_days, float(row.service_level), row.history_weeks,
                  row.prefer_transfers)


async def all_pairs(session: AsyncSession, window: Window,
                    warehouse_id: int | None = None) -> set[Pair]:
    sources: list[Select[Any]] = [
        select(StockPosition.product_id, StockPosition.warehouse_id).distinct(),
        select(SalesHistory.product_id, SalesHistory.warehouse_id).distinct()
        .where(SalesHistory.week_start >= window.history_from),
        select(ForecastRow.product_id, ForecastRow.warehouse_id).distinct()
        .where(ForecastRow.week_start >= window.this_week),
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id).distinct()
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.state.in_(DRAFT_STATES)),
        select(ReplenishmentSuggestion.product_id, ReplenishmentSuggestion.warehouse_id)
        .where(ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value),
    ]
    pairs: set[Pair] = set()
    for query in sources:
        pairs.update((p, w) for p, w in await session.execute(query))
    active_products = set(await session.scalars(select(Product.id).where(Product.active)))
    active_warehouses = set(await session.scalars(
        select(Warehouse.id).where(Warehouse.active)))
    return {(p, w) for p, w in pairs if p in active_products and w in active_warehouses
            and (warehouse_id is None or w == warehouse_id)}


async def stocked_siblings(session: AsyncSession, product_ids: Collection[int]) -> set[Pair]:
    """The pairs of these products in every warehouse holding some of them available: where a
    transfer could come from."""
    rows = await session.execute(
        select(StockPosition.product_id, StockPosition.warehouse_id).distinct()
        .join(Warehouse, Warehouse.id == StockPosition.warehouse_id)
        .where(StockPosition.product_id.in_(list(product_ids)),
               StockPosition.bucket == Bucket.AVAILABLE.value, StockPosition.quantity > 0,
               Warehouse.active))
    return {(product_id, warehouse_id) for product_id, warehouse_id in rows}


async def load_facts(
    session: AsyncSession, pairs: Collection[Pair], window: Window,
    product_range: tuple[int, int] | None = None,
) -> list[PairFacts]:
    """Facts of ``pairs``. With ``product_range`` (lowest, highest product id) the pairs are most
    of that range, so rows are read by the range instead of pair by pair."""
    if not pairs:
        return []
    wanted = set(pairs)
    product_ids = {p for p, _ in wanted}

    def of_products(column: Any) -> Any:
        if product_range is not None:
            return column.between(*product_range)
        return column.in_(product_ids)

    async def rows(query: Select[Any], product: Any, warehouse: Any) -> list[Any]:
        if product_range is not None:
            return list(await session.execute(query.where(product.between(*product_range))))
        found: list[Any] = []
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _PAIRS_PER_QUERY):
            chunk = ordered[start:start + _PAIRS_PER_QUERY]
            found.extend(await session.execute(
                query.where(tuple_(product, warehouse).in_(chunk))))
        return found

    products = {
        row.id: row for row in await session.execute(
            select(Product.id, Product.sku, Product.category, Product.tags,
                   Product.safety_stock).where(of_products(Product.id)))
    }
    warehouses = dict((await session.execute(select(Warehouse.id, Warehouse.code))).all())
    suppliers = await _suppliers(session, of_products(SupplierItem.product_id))

    supply: dict[Pair, dict[str, Decimal]] = defaultdict(dict)
    for product_id, warehouse_id, bucket, quantity in await rows(
        select(StockPosition.product_id, StockPosition.warehouse_id, StockPosition.bucket,
               StockPosition.quantity).where(StockPosition.bucket.in_(SUPPLY_BUCKETS)),
        StockPosition.product_id, StockPosition.warehouse_id,
    ):
        supply[(product_id, warehouse_id)][bucket] = quantity
    drafts: dict[Pair, Decimal] = {
        (p, w): quantity for p, w, quantity in await rows(
            select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id,
                   func.sum(PurchaseOrderLine.quantity))
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrder.state.in_(DRAFT_STATES))
            .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id),
            PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    }
    orders: dict[Pair, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for product_id, warehouse_id, due, ordered_on, quantity in await rows(
        select(SalesOrderLine.product_id, SalesOrder.warehouse_id, SalesOrderLine.requested_date,
               SalesOrder.created_at,
               SalesOrderLine.reserved_quantity + SalesOrderLine.backordered_quantity
               + SalesOrderLine.picked_quantity)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.state.in_(OPEN_ORDER_STATES)),
        SalesOrderLine.product_id, SalesOrder.warehouse_id,
    ):
        if quantity > 0:
            # Orders due before this week (late) consume this week's forecast.
            week = max(week_start(due or ordered_on.date()), window.this_week)
            orders[(product_id, warehouse_id)][week] += quantity
    forecasts: dict[Pair, dict[date, Decimal]] = defaultdict(dict)
    for product_id, warehouse_id, week, quantity in await rows(
        select(ForecastRow.product_id, ForecastRow.warehouse_id, ForecastRow.week_start,
               ForecastRow.quantity)
        .where(ForecastRow.week_start >= window.this_week,
               ForecastRow.week_start < window.forecast_to),
        ForecastRow.product_id, ForecastRow.warehouse_id,
    ):
        forecasts[(product_id, warehouse_id)][week] = quantity
    history = await _history(session, window, rows)

    facts = []
    for pair in sorted(wanted):
        product = products.get(pair[0])
        if product is None:
            continue
        buckets = supply.get(pair, {})
        facts.append(PairFacts(
            product_id=pair[0], warehouse_id=pair[1], sku=product.sku,
            warehouse_code=warehouses[pair[1]], category=product.category or "",
            tags=tuple(product.tags or ()), product_safety_stock=product.safety_stock,
            history=history.get(pair, ()), entered_forecast=forecasts.get(pair, {}),
            orders_by_week=dict(orders.get(pair, {})),
            supply=Supply(
                available=buckets.get(Bucket.AVAILABLE, ZERO),
                pending_qc=buckets.get(Bucket.PENDING_QC, ZERO),
                in_transit=buckets.get(Bucket.IN_TRANSIT, ZERO),
                on_order=buckets.get(Bucket.ON_ORDER, ZERO),
                draft_orders=drafts.get(pair, ZERO)),
            backordered=buckets.get(Bucket.BACKORDERED, ZERO),
            suppliers=suppliers.get(pair[0], ()),
        ))
    return facts


async def _suppliers(
    session: AsyncSession, of_products: Any
) -> dict[int, tuple[SupplierOption, ...]]:
    query = (
        select(SupplierItem.product_id, SupplierItem.supplier_id, Supplier.code,
               SupplierItem.price, SupplierItem.currency, SupplierItem.lead_time_days,
               SupplierItem.moq, SupplierItem.pack_multiple, SupplierItem.preferred)
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .where(SupplierItem.active, Supplier.active, of_products)
    )
    options: dict[int, list[SupplierOption]] = defaultdict(list)
    for row in await session.execute(query):
        options[row.product_id].append(SupplierOption(
            SupplierTerms(row.code, row.price, row.lead_time_days, row.moq, row.pack_multiple,
                          row.preferred), row.supplier_id, row.currency))
    return {product: tuple(found) for product, found in options.items()}


async def _history(
    session: AsyncSession, window: Window, rows: Any
) -> dict[Pair, tuple[float, ...]]:
    """Weekly sales per pair from its first week with sales in the window up to last week, all
    regions and sources added; weeks without sales are zero."""
    weeks = (window.this_week - window.history_from).days // 7
    in_window = and_(SalesHistory.week_start >= window.history_from,
                     SalesHistory.week_start < window.this_week)
    by_week = (  # for SQLite
        select(SalesHistory.product_id, SalesHistory.warehouse_id, SalesHistory.week_start,
               func.sum(SalesHistory.quantity).label("quantity"))
        .where(in_window)
        .group_by(SalesHistory.product_id, SalesHistory.warehouse_id, SalesHistory.week_start)
    )
    if session.get_bind().dialect.name == "postgresql":
        # One row per pair with its weeks as arrays: 52 weeks × 100,000 products would be 5.2
        # million rows to read one by one.
        # Regions and sources of one week are added up here, not in SQL: one level of
        # aggregation instead of two.
        query = select(
            SalesHistory.product_id, SalesHistory.warehouse_id,
            # Untyped: psycopg already returns Python lists, and SQLAlchemy's array type would
            # visit each of the 5 million elements again.
            type_coerce(func.array_agg(
                cast((SalesHistory.week_start - window.history_from) / 7, Integer)), NullType),
            type_coerce(func.array_agg(cast(SalesHistory.quantity, Float)), NullType),
        ).where(in_window).group_by(SalesHistory.product_id, SalesHistory.warehouse_id)
        found = await rows(query, SalesHistory.product_id, SalesHistory.warehouse_id)
        # All pairs' weeks added up by one bincount over (row, week) cells, in the order the
        # rows came, as np.add.at per pair would: a numpy call per pair costs more than its sum.
        starts = np.repeat(np.arange(len(found), dtype=np.int64) * weeks,
                           [len(indexes) for _, _, indexes, _ in found])
        cells = np.array(list(chain.from_iterable(r[2] for r in found)), dtype=np.int64)
        weights = np.array(list(chain.from_iterable(r[3] for r in found)), dtype=np.float64)
        table = np.bincount(cells + starts, weights, minlength=len(found) * weeks)
        pairs = [(product_id, warehouse_id) for product_id, warehouse_id, _, _ in found]
    else:
        cell: dict[Pair, int] = {}
        entries = [(cell.setdefault((product_id, warehouse_id), len(cell)),
                    (week - window.history_from).days // 7, float(quantity))
                   for product_id, warehouse_id, week, quantity in await rows(
                       by_week, SalesHistory.product_id, SalesHistory.warehouse_id)]
        table = np.zeros(len(cell) * weeks)
        for row, week, quantity in entries:
            table[row * weeks + week] = quantity
        pairs = list(cell)
    series = table.reshape(len(pairs), weeks)
    # Each pair's series from its first week with sales, for the whole slice at once.
    selling = series > 0
    sells = selling.any(axis=1).tolist()
    first = selling.argmax(axis=1).tolist()
    history: dict[Pair, tuple[float, ...]] = {}
    for pair, weekly, sold, start in zip(pairs, series.tolist(), sells, first, strict=True):
        if sold:
            history[pair] = tuple(weekly[start:])
    return history
