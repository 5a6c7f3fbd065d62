"""The statements a planning run reads its facts with, built once at import.

The live recompute reads the facts of a pair or two after every receipt, order and posting; for
so few rows, building each statement and its cache key cost more than sending it. Each read
comes in two forms with bound parameters: by a range of product ids (``low``, ``high``), for a
full run's slices, and by listed pairs (``pairs``) or products (``products``), for a few. The
window's dates are parameters too (``history_from``, ``this_week``, ``forecast_to``). Core, on
the tables: the rows are plain tuples, and ``session.execute`` still autoflushes before each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.types import NullType

from server.catalog.models import Product, Supplier, SupplierItem, Warehouse
from server.inventory.models import Bucket, StockPosition
from server.planning.models import Forecast, PlanningPolicy
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.states import PoState
from server.sales.models import SalesHistory, SalesOrder, SalesOrderLine, SalesOrderState

DRAFT_STATES = (PoState.DRAFT.value, PoState.PENDING_APPROVAL.value)
OPEN_ORDER_STATES = (SalesOrderState.OPEN.value, SalesOrderState.PARTIALLY_SHIPPED.value)
SUPPLY_BUCKETS = (Bucket.AVAILABLE, Bucket.PENDING_QC, Bucket.IN_TRANSIT, Bucket.ON_ORDER,
                  Bucket.BACKORDERED)


@dataclass(frozen=True, slots=True)
class FactQuery:
    by_range: Select[Any]
    by_pairs: Select[Any]


def _of_pairs(query: Select[Any], product: Any, warehouse: Any) -> FactQuery:
    return FactQuery(query.where(product.between(bindparam("low"), bindparam("high"))),
                     query.where(tuple_(product, warehouse)
                                 .in_(bindparam("pairs", expanding=True))))


def _of_products(query: Select[Any], product: Any) -> FactQuery:
    return FactQuery(query.where(product.between(bindparam("low"), bindparam("high"))),
                     query.where(product.in_(bindparam("products", expanding=True))))


_policy = PlanningPolicy.__table__.c
_product = Product.__table__.c
_warehouse = Warehouse.__table__.c
_supplier = Supplier.__table__.c
_item = SupplierItem.__table__.c
_position = StockPosition.__table__.c
_order = PurchaseOrder.__table__.c
_order_line = PurchaseOrderLine.__table__.c
_sales_order = SalesOrder.__table__.c
_sales_line = SalesOrderLine.__table__.c
_forecast = Forecast.__table__.c
_history = SalesHistory.__table__.c

_history_from = bindparam("history_from", type_=Date())
_this_week = bindparam("this_week", type_=Date())
_forecast_to = bindparam("forecast_to", type_=Date())
_in_history_window: ColumnElement[bool] = and_(_history.week_start >= _history_from,
                                               _history.week_start < _this_week)

POLICY = select(_policy.review_period_days, _policy.service_level, _policy.history_weeks,
                _policy.prefer_transfers).where(_policy.id == 1)
WAREHOUSE_CODES = select(_warehouse.id, _warehouse.code)
# Tags as their JSON text, so the few distinct lists of a catalogue are parsed once each.
PRODUCTS = _of_products(select(_product.id, _product.sku, _product.category,
                               cast(_product.tags, Text).label("tags"), _product.safety_stock),
                        _product.id)
SUPPLIERS = _of_products(
    select(_item.product_id, _item.supplier_id, _supplier.code, _item.price, _item.currency,
           _item.lead_time_days, _item.moq, _item.pack_multiple, _item.preferred)
    .join(Supplier.__table__, _supplier.id == _item.supplier_id)
    .where(_item.active, _supplier.active), _item.product_id)
SUPPLY = _of_pairs(
    select(_position.product_id, _position.warehouse_id, _position.bucket, _position.quantity)
    .where(_position.bucket.in_([bucket.value for bucket in SUPPLY_BUCKETS])),
    _position.product_id, _position.warehouse_id)
DRAFTS = _of_pairs(
    select(_order_line.product_id, _order.warehouse_id, func.sum(_order_line.quantity))
    .join(PurchaseOrder.__table__, _order.id == _order_line.order_id)
    .where(_order.state.in_(DRAFT_STATES))
    .group_by(_order_line.product_id, _order.warehouse_id),
    _order_line.product_id, _order.warehouse_id)
SALES_ORDERS = _of_pairs(
    select(_sales_line.product_id, _sales_order.warehouse_id, _sales_line.requested_date,
           _sales_order.created_at,
           _sales_line.reserved_quantity + _sales_line.backordered_quantity
           + _sales_line.picked_quantity)
    .join(SalesOrder.__table__, _sales_order.id == _sales_line.order_id)
    .where(_sales_order.state.in_(OPEN_ORDER_STATES)),
    _sales_line.product_id, _sales_order.warehouse_id)
FORECASTS = _of_pairs(
    select(_forecast.product_id, _forecast.warehouse_id, _forecast.week_start,
           _forecast.quantity)
    .where(_forecast.week_start >= _this_week, _forecast.week_start < _forecast_to),
    _forecast.product_id, _forecast.warehouse_id)
# For SQLite: one row per pair and week.
HISTORY_BY_WEEK = _of_pairs(
    select(_history.product_id, _history.warehouse_id, _history.week_start,
           func.sum(_history.quantity).label("quantity"))
    .where(_in_history_window)
    .group_by(_history.product_id, _history.warehouse_id, _history.week_start),
    _history.product_id, _history.warehouse_id)
# For PostgreSQL: one row per pair with its weeks as arrays: 52 weeks × 100,000 products would
# be 5.2 million rows to read one by one. Regions and sources of one week are added up by the
# caller, not in SQL: one level of aggregation instead of two. Untyped: psycopg already returns
# Python lists, and SQLAlchemy's array type would visit each of the 5 million elements again.
HISTORY_ARRAYS = _of_pairs(
    select(_history.product_id, _history.warehouse_id,
           type_coerce(func.array_agg(cast((_history.week_start - _history_from) / 7, Integer)),
                       NullType),
           type_coerce(func.array_agg(cast(_history.quantity, Float)), NullType))
    .where(_in_history_window).group_by(_history.product_id, _history.warehouse_id),
    _history.product_id, _history.warehouse_id)
