"""Sales returns (RMA, 销售退货): what a customer sends back of a shipped order, the receipts of
those goods at the dock, and the inspection decisions (restock or scrap) on them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, one_of, utcnow

ZERO = Decimal(0)


class SalesReturnState(StrEnum):
    OPEN = "open"  # announced; nothing has come back yet
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"  # all of it is back; some still waits for inspection
    CLOSED = "closed"  # all of it is back and decided


class SalesReturn(IdMixin, Base):
    __tablename__ = "sales_return"
    __table_args__ = (one_of("state", SalesReturnState),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("sales_order.id"), index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lines: Mapped[list[SalesReturnLine]] = relationship(
        order_by="SalesReturnLine.line_no", lazy="raise", cascade="all, delete-orphan")


class SalesReturnLine(IdMixin, Base):
    """So much of one sales order line coming back, at the price it was sold at and the cost it
    left with; received = restocked + scrapped + what still waits for inspection."""

    __tablename__ = "sales_return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity",
                        name="received_within_quantity"),
        CheckConstraint("restocked_quantity >= 0 AND scrapped_quantity >= 0 "
                        "AND ROUND(restocked_quantity + scrapped_quantity, 4) <= received_quantity",
                        name="decided_within_received"),
    )

    return_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_order_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    # The average of the shipments' ledger costs of this order line: what the goods left with.
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    # The lot that left, when the order line shipped exactly one.
    lot: Mapped[str] = mapped_column(String(64), default="")
    received_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    restocked_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    scrapped_quantity: Mapped[Decimal] = mapped_column(default=ZERO)


class SalesReturnReceipt(IdMixin, Base):
    """One scan session at the dock against a return: the goods go to the receiving bin's
    ``pending_qc``, one QC task per line."""

    __tablename__ = "sales_return_receipt"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    return_id: Mapped[int] = mapped_column(IdType, ForeignKey("sales_return.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"))
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    document_scan: Mapped[str] = mapped_column(String(200))
    received_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lines: Mapped[list[SalesReturnReceiptLine]] = relationship(
        order_by="SalesReturnReceiptLine.line_no", lazy="raise", cascade="all, delete-orphan")


class SalesReturnReceiptLine(IdMixin, Base):
    __tablename__ = "sales_return_receipt_line"
    __table_args__ = (UniqueConstraint("receipt_id", "line_no"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    receipt_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return_receipt.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    return_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    quantity: Mapped[Decimal]
    lot: Mapped[str] = mapped_column(String(64), default="")
    task_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("warehouse_task.id"), unique=True)


class SalesReturnInspection(IdMixin, Base):
    """One decision on part (or all) of a return receipt line's QC task."""

    __tablename__ = "sales_return_inspection"
    __table_args__ = (CheckConstraint(
        "restocked_quantity >= 0 AND scrapped_quantity >= 0 "
        "AND restocked_quantity + scrapped_quantity > 0", name="decides_something"),)

    receipt_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return_receipt_line.id"), index=True)
    return_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return_line.id"), index=True)
    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse_task.id"), index=True)
    restocked_quantity: Mapped[Decimal]
    scrapped_quantity: Mapped[Decimal]
    rejected_location_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("location.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    inspector_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
