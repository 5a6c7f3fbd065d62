"""Planning data: replenishment rules (CEL, as data) and weekly forecasts entered by people, the
policy a planning run follows, and the purchase suggestions it keeps."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, Money, TimestampMixin, utcnow


class ReplenishmentRule(IdMixin, TimestampMixin, Base):
    """A rule a buyer keeps: where it applies (``scope``: lists of skus, categories, tags and
    warehouse codes, empty = all), when (a CEL ``condition`` over the product's metrics) and what
    it does (``actions``: target, operation, value). Lower ``priority`` applies first."""

    __tablename__ = "replenishment_rule"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    condition: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))


class Forecast(Base):
    """Sales' forecast of one product in one warehouse for one ISO week (keyed by its Monday)."""

    __tablename__ = "forecast"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    quantity: Mapped[Decimal]
    updated_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanningPolicy(Base):
    """How planning runs (one row, id 1; absent means the defaults): the review period added to
    the lead time for the coverage horizon, the cycle service level safety stock is sized for,
    how many weeks of sales history the baseline forecast reads, and whether shortages are
    covered by transfers between warehouses before purchases."""

    __tablename__ = "planning_policy"
    __table_args__ = (
        CheckConstraint("review_period_days >= 0", name="review_period_not_negative"),
        CheckConstraint("service_level >= 0.5 AND service_level < 1", name="service_level_range"),
        CheckConstraint("history_weeks >= 4", name="history_weeks_minimum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_period_days: Mapped[int] = mapped_column(Integer, default=7)
    service_level: Mapped[Decimal] = mapped_column(default=Decimal("0.95"))
    history_weeks: Mapped[int] = mapped_column(Integer, default=104)
    # Cover a shortage by a transfer from a warehouse with surplus before suggesting a PO.
    prefer_transfers: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionStatus(StrEnum):
    OPEN = "open"  # kept current by every recompute
    CONVERTED = "converted"  # became a draft purchase order line
    DISMISSED = "dismissed"  # a buyer said no, with a reason


class ReplenishmentSuggestion(IdMixin, Base):
    """A proposal to buy one product for one warehouse. At most one is open per product ×
    warehouse; recomputing updates it in place (same id), or deletes it when nothing is needed
    any more. ``explanation`` holds the netting terms and the rules that fired."""

    __tablename__ = "replenishment_suggestion"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("status IN ('open', 'converted', 'dismissed')", name="known_status"),
        Index("uq_replenishment_suggestion_open", "product_id", "warehouse_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    order_date: Mapped[date]
    need_date: Mapped[date | None]
    urgent: Mapped[bool] = mapped_column(default=False, index=True)
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.OPEN.value)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    purchase_order_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("purchase_order.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
