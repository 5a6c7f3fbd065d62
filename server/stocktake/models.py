"""Stocktake tables: the count document, its bins (the count tasks), the quantities frozen at
the start and the counts the devices send."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, Money, one_of, utcnow
from server.stocktake.rules import BinStatus, StocktakeStatus


class Stocktake(IdMixin, Base):
    """One count of (some of) a warehouse's bins. ``frozen_after_ledger_id`` is the last ledger
    row the frozen quantities include: later rows on a counted bin (up to the posting) are
    movements during the count, added to what the bin is expected to hold."""

    __tablename__ = "stocktake"
    __table_args__ = (one_of("status", StocktakeStatus),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    blind: Mapped[bool] = mapped_column(default=False)
    all_locations: Mapped[bool] = mapped_column(default=False)
    frozen_after_ledger_id: Mapped[int] = mapped_column(IdType, default=0)
    # Set at posting: the last ledger row before the adjustments, where movements stop counting.
    posted_after_ledger_id: Mapped[int | None] = mapped_column(IdType)
    zero_uncounted: Mapped[bool] = mapped_column(default=False)
    # The variance value when posting was asked for (what the approval decided on).
    requested_variance_value: Mapped[Decimal | None] = mapped_column(Money)
    rejection_comment: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class StocktakeBin(IdMixin, Base):
    """A bin to count: the count task. ``round`` goes up with each recount; only the counts of
    the current round stand."""

    __tablename__ = "stocktake_bin"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "location_id"),
        one_of("status", BinStatus),
        CheckConstraint("round >= 1", name="round_positive"),
    )

    stocktake_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("stocktake.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StocktakeFrozen(IdMixin, Base):
    """What one bin held of one product and lot (all physical buckets) when the count began."""

    __tablename__ = "stocktake_frozen"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "location_id", "product_id", "lot",
                         name="uq_stocktake_frozen_line"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    stocktake_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("stocktake.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]


class StocktakeCount(IdMixin, Base):
    """What one device counted of one item in one bin in one round, the item being what it
    counted by (``entry``: the barcode as scanned, or the sku typed) in a lot. The device's
    later count of the same item replaces ``quantity``; all other counts of the product add up
    (two counters may share a bin, a case barcode and a unit barcode count apart)."""

    __tablename__ = "stocktake_count"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "location_id", "device_id", "round", "entry", "lot",
                         name="uq_stocktake_count_per_device_round"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    stocktake_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("stocktake.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    # Units: a case barcode's count times its pack size.
    quantity: Mapped[Decimal]
    entry: Mapped[str] = mapped_column(String(200))
    counted_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
