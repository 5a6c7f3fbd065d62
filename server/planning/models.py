"""Planning data entered by people: replenishment rules (CEL, as data) and weekly forecasts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, TimestampMixin, utcnow


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
