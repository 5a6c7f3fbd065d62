"""Stock tables. ``stock_ledger`` is the truth and is only ever appended to; the other tables are
running balances kept in the same transaction, each refusing a negative quantity by constraint."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, Money, utcnow


class Bucket(StrEnum):
    """Where a quantity of one product in one warehouse stands."""

    ON_ORDER = "on_order"
    IN_TRANSIT = "in_transit"
    PENDING_QC = "pending_qc"
    AVAILABLE = "available"
    RESERVED = "reserved"
    PICKED = "picked"
    REJECTED = "rejected"
    BACKORDERED = "backordered"


# Stock that is in the building: it lies in bins, has lots and carries value; on hand is their sum.
PHYSICAL_BUCKETS = frozenset(
    {Bucket.PENDING_QC, Bucket.AVAILABLE, Bucket.RESERVED, Bucket.PICKED, Bucket.REJECTED}
)
# Quantities we keep count of that are not (yet, or no longer) on our shelves.
MEMO_BUCKETS = frozenset({Bucket.ON_ORDER, Bucket.IN_TRANSIT, Bucket.BACKORDERED})

_KNOWN = ", ".join(f"'{b.value}'" for b in Bucket)
# The ledger columns the inventory report reads (``server.finance.inventory_report``).
LEDGER_REPORT_COLUMNS = ("posted_at", "quantity", "value", "document_type", "from_location_id",
                         "to_location_id")
_PHYSICAL = ", ".join(f"'{b.value}'" for b in sorted(PHYSICAL_BUCKETS))


def _location_iff_physical(side: str) -> CheckConstraint:
    return CheckConstraint(
        f"({side}_location_id IS NOT NULL) = "
        f"({side}_bucket IS NOT NULL AND {side}_bucket IN ({_PHYSICAL}))",
        name=f"{side}_location_iff_physical",
    )


class StockLedger(IdMixin, Base):
    """One movement of a quantity of one product in one warehouse. A NULL bucket is outside the
    warehouse: in from a supplier or an adjustment, out to a customer or the scrap heap."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_bucket IS NOT NULL OR to_bucket IS NOT NULL", name="has_a_bucket"),
        CheckConstraint(f"from_bucket IN ({_KNOWN})", name="known_from_bucket"),
        CheckConstraint(f"to_bucket IN ({_KNOWN})", name="known_to_bucket"),
        _location_iff_physical("from"),
        _location_iff_physical("to"),
        # On PostgreSQL it also holds what the inventory report adds up, so the report reads
        # the index alone, already in product × warehouse order: no table scan, no sort.
        Index("ix_stock_ledger_product_id_warehouse_id_id", "product_id", "warehouse_id", "id",
              postgresql_include=list(LEDGER_REPORT_COLUMNS)),
    )

    posting_id: Mapped[str] = mapped_column(String(32), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), index=True
    )
    from_bucket: Mapped[str | None] = mapped_column(String(16))
    to_bucket: Mapped[str | None] = mapped_column(String(16))
    from_location_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("location.id", ondelete="RESTRICT")
    )
    to_location_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("location.id", ondelete="RESTRICT")
    )
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]
    # Set on moves that change the stock's value: inbound at their cost, outbound at the average
    # of the moment (so COGS and margin come from ledger rows alone); NULL on neutral moves.
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    value: Mapped[Decimal | None] = mapped_column(Money)
    document_type: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str | None] = mapped_column(String(64), index=True)
    document_line: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    actor_user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("app_user.id", ondelete="RESTRICT")
    )
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockPosition(Base):
    """The running balance of one bucket of one product in one warehouse."""

    __tablename__ = "stock_position"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint(f"bucket IN ({_KNOWN})", name="known_bucket"),
    )

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True
    )
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), primary_key=True
    )
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(default=Decimal(0))
    version: Mapped[int] = mapped_column(Integer, default=0)


class StockCost(Base):
    """Moving-average valuation of one product in one warehouse. ``valued_quantity`` is the on-hand
    quantity the value belongs to; ``version`` counts every posting that touched the pair, so
    a client can drop a stale snapshot. Its row is locked first by every posting on the pair."""

    __tablename__ = "stock_cost"
    __table_args__ = (
        CheckConstraint("valued_quantity >= 0", name="valued_quantity_not_negative"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("average_cost >= 0", name="average_cost_not_negative"),
    )

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True
    )
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), primary_key=True
    )
    valued_quantity: Mapped[Decimal] = mapped_column(default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # NULL until the first inbound move gives the pair a cost.
    average_cost: Mapped[Decimal | None] = mapped_column(Money)
    version: Mapped[int] = mapped_column(Integer, default=0)


class StockQuant(Base):
    """Physical quantity of one product and lot in one bin, in one physical bucket: a bin knows
    how much of what it holds is free, reserved, picked, waiting for QC or rejected. ``lot`` is
    '' for stock without a lot (it is part of the key, so it cannot be NULL)."""

    __tablename__ = "stock_quant"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint(f"bucket IN ({_PHYSICAL})", name="physical_bucket"),
        Index("ix_stock_quant_product_id_warehouse_id", "product_id", "warehouse_id"),
        Index("ix_stock_quant_location_id", "location_id"),
    )

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("location.id", ondelete="RESTRICT"), primary_key=True
    )
    lot: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    # A bin never changes warehouse; kept here so per-warehouse sums need no join.
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT")
    )
    quantity: Mapped[Decimal] = mapped_column(default=Decimal(0))


class StockLot(Base):
    """What is known of a lot of a product: when it expires and when it first arrived, so
    picking can take the first to expire (FEFO), else the first received (FIFO)."""

    __tablename__ = "stock_lot"

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True
    )
    lot: Mapped[str] = mapped_column(String(64), primary_key=True)
    expiry: Mapped[date | None]
    first_received_at: Mapped[datetime] = mapped_column(default=utcnow)
