"""Transfer documents (TR): the lines asked for, the stock reserved and picked for them at the
source, and what travels (per lot, with the unit cost it left at) until the destination receives
it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, one_of, utcnow

ZERO = Decimal(0)


class TransferState(StrEnum):
    PICKING = "picking"
    PICKED = "picked"
    IN_TRANSIT = "in_transit"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Transfer(IdMixin, Base):
    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("from_warehouse_id <> to_warehouse_id", name="two_warehouses"),
        one_of("state", TransferState),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    from_warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    lines: Mapped[list[TransferLine]] = relationship(
        order_by="TransferLine.line_no", lazy="raise", cascade="all, delete-orphan")
    picks: Mapped[list[TransferPick]] = relationship(
        order_by="TransferPick.line_no", lazy="raise", cascade="all, delete-orphan")


class TransferLine(IdMixin, Base):
    """One product asked for. ``quantity`` drops when a short pick finds no other bin: the
    transfer then moves what there was."""

    __tablename__ = "transfer_line"
    __table_args__ = (
        UniqueConstraint("transfer_id", "line_no"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    transfer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("transfer.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    requested_quantity: Mapped[Decimal]
    quantity: Mapped[Decimal]
    picked_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    shipped_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    received_quantity: Mapped[Decimal] = mapped_column(default=ZERO)


class TransferPick(IdMixin, Base):
    """Stock reserved at the source for a line, in one bin and lot, and its PICK task: the
    transfer is its own pick list."""

    __tablename__ = "transfer_pick"
    __table_args__ = (UniqueConstraint("transfer_id", "line_no"),)

    transfer_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("transfer.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    transfer_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("transfer_line.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]
    picked_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    short_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    short_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("warehouse_task.id"))


class TransferLot(IdMixin, Base):
    """What left the source for a line, per lot, at the unit cost it left at; the destination
    receives it at that cost."""

    __tablename__ = "transfer_lot"
    __table_args__ = (
        UniqueConstraint("transfer_line_id", "lot"),
        CheckConstraint("received_quantity <= quantity", name="received_within_shipped"),
    )

    transfer_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("transfer_line.id", ondelete="CASCADE"), index=True)
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    received_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
