"""Everything a planning run reads, in a few set-based queries: the pairs to plan and, per
product × warehouse, the facts ``server.planning.plan`` needs. Loads plain tuples (no ORM
objects), so 100,000 pairs load in seconds.

Which pairs: every active product × active warehouse with any stock position, sales history in
the window, a forecast from this week on, a draft purchase order line, or an open suggestion (so
a need that went away closes its suggestion).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Product, Warehouse
from server.inventory.models import Bucket, StockPosition
from server.planning import fact_queries
from server.planning.fact_queries import DRAFT_STATES, FactQuery
from server.planning.metrics import growth_rows
from server.planning.models import Forecast as ForecastRow
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.netting import SupplierTerms, Supply, week_start
from server.planning.plan import PairFacts, Policy, SupplierOption
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.sales.models import SalesHistory

Pair = tuple[int, int]
ZERO = Decimal(0)
# Pairs per IN (...) list when planning a given set of pairs.
_PAIRS_PER_QUERY = 500
# A pair's weekly sales and their week-over-week growth, when it sold nothing in the window.
_NO_HISTORY: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())


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
    row = (await session.execute(fact_queries.POLICY)).first()
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
    dates = {"history_from": window.history_from, "this_week": window.this_week,
             "forecast_to": window.forecast_to}

    async def of_products(query: FactQuery) -> Any:
        if product_range is not None:
            low, high = product_range
            return await session.execute(query.by_range, {"low": low, "high": high})
        return await session.execute(query.by_pairs, {"products": sorted({p for p, _ in wanted})})

    async def rows(query: FactQuery) -> list[Any]:
        if product_range is not None:
            low, high = product_range
            return list(await session.execute(query.by_range,
                                              {**dates, "low": low, "high": high}))
        found: list[Any] = []
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _PAIRS_PER_QUERY):
            found.extend(await session.execute(
                query.by_pairs, {**dates, "pairs": ordered[start:start + _PAIRS_PER_QUERY]}))
        return found

    # Per product: sku, category, tags, own safety stock.
    products = {product_id: (sku, category or "", _tags(tags), safety_stock)
                for product_id, sku, category, tags, safety_stock
                in await of_products(fact_queries.PRODUCTS)}
    warehouses = dict((await session.execute(fact_queries.WAREHOUSE_CODES)).all())
    suppliers = _suppliers(await of_products(fact_queries.SUPPLIERS))

    supply: dict[Pair, dict[str, Decimal]] = defaultdict(dict)
    for product_id, warehouse_id, bucket, quantity in await rows(fact_queries.SUPPLY):
        supply[(product_id, warehouse_id)][bucket] = quantity
    drafts: dict[Pair, Decimal] = {
        (p, w): quantity for p, w, quantity in await rows(fact_queries.DRAFTS)}
    orders: dict[Pair, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for product_id, warehouse_id, due, ordered_on, quantity in await rows(
            fact_queries.SALES_ORDERS):
        if quantity > 0:
            # Orders due before this week (late) consume this week's forecast.
            week = max(week_start(due or ordered_on.date()), window.this_week)
            orders[(product_id, warehouse_id)][week] += quantity
    forecasts: dict[Pair, dict[date, Decimal]] = defaultdict(dict)
    for product_id, warehouse_id, week, quantity in await rows(fact_queries.FORECASTS):
        forecasts[(product_id, warehouse_id)][week] = quantity
    history = await _history(session, window, rows)

    facts = []
    for pair in sorted(wanted):
        product = products.get(pair[0])
        if product is None:
            continue
        sku, category, tags, own_safety_stock = product
        buckets = supply.get(pair, {})
        sales, growth = history.get(pair, _NO_HISTORY)
        facts.append(PairFacts(
            product_id=pair[0], warehouse_id=pair[1], sku=sku,
            warehouse_code=warehouses[pair[1]], category=category,
            tags=tags, product_safety_stock=own_safety_stock,
            history=sales, entered_forecast=forecasts.get(pair, {}),
            orders_by_week=dict(orders.get(pair, {})),
            supply=Supply(
                available=buckets.get(Bucket.AVAILABLE, ZERO),
                pending_qc=buckets.get(Bucket.PENDING_QC, ZERO),
                in_transit=buckets.get(Bucket.IN_TRANSIT, ZERO),
                on_order=buckets.get(Bucket.ON_ORDER, ZERO),
                draft_orders=drafts.get(pair, ZERO)),
            backordered=buckets.get(Bucket.BACKORDERED, ZERO),
            suppliers=suppliers.get(pair[0], ()), history_growth=growth,
        ))
    return facts


@lru_cache(maxsize=4096)
def _tags(text: str | None) -> tuple[str, ...]:
    """A product's tags from their JSON text, remembered: a catalogue has few distinct lists."""
    return tuple(json.loads(text) or ()) if text is not None else ()


def _suppliers(rows: Iterable[Any]) -> dict[int, tuple[SupplierOption, ...]]:
    options: dict[int, list[SupplierOption]] = defaultdict(list)
    # Unpacked in ``fact_queries.SUPPLIERS``' column order: cheaper than reading rows by name.
    for (product_id, supplier_id, code, price, currency, lead_time_days, moq, pack_multiple,
         preferred) in rows:
        options[product_id].append(SupplierOption(
            SupplierTerms(code, price, lead_time_days, moq, pack_multiple, preferred),
            supplier_id, currency))
    return {product: tuple(found) for product, found in options.items()}


async def _history(
    session: AsyncSession, window: Window, rows: Any
) -> dict[Pair, tuple[tuple[float, ...], tuple[float, ...]]]:
    """Weekly sales per pair from its first week with sales in the window up to last week, all
    regions and sources added, weeks without sales zero; and their week-over-week growth
    (computed here for the whole slice, as rules ask for it for most pairs)."""
    weeks = (window.this_week - window.history_from).days // 7
    if session.get_bind().dialect.name == "postgresql":
        found = await rows(fact_queries.HISTORY_ARRAYS)
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
                       fact_queries.HISTORY_BY_WEEK)]
        table = np.zeros(len(cell) * weeks)
        for row, week, quantity in entries:
            table[row * weeks + week] = quantity
        pairs = list(cell)
    series = table.reshape(len(pairs), weeks)
    # Each pair's series from its first week with sales, for the whole slice at once.
    selling = series > 0
    sells = selling.any(axis=1).tolist()
    first = selling.argmax(axis=1).tolist()
    history: dict[Pair, tuple[tuple[float, ...], tuple[float, ...]]] = {}
    for pair, weekly, growth, sold, start in zip(pairs, series.tolist(), growth_rows(series),
                                                 sells, first, strict=True):
        if sold:
            history[pair] = (tuple(weekly[start:]), tuple(growth[start:]))
    return history
