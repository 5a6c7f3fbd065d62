"""Goods receipts (GR), their lines, and the quality decisions taken on them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, one_of, utcnow


class Receipt(IdMixin, Base):
    """One confirmed scan session at the dock: what arrived against one PO (or ASN, or pallet)."""

    __tablename__ = "receipt"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("purchase_order.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("shipment_notice.id"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    # What was scanned to open the receipt (PO, ASN or SSCC), kept as read.
    document_scan: Mapped[str] = mapped_column(String(200))
    received_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lines: Mapped[list[ReceiptLine]] = relationship(
        order_by="ReceiptLine.line_no", lazy="raise", cascade="all, delete-orphan"
    )


class ReceiptLine(IdMixin, Base):
    """A quantity of one PO line received, with its lot, and the promise it was measured against
    (the supplier-confirmed and the requested date as they stood at receipt)."""

    __tablename__ = "receipt_line"
    __table_args__ = (
        UniqueConstraint("receipt_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("bucket IN ('pending_qc', 'available')", name="known_bucket"),
    )

    receipt_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("receipt.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_order_line.id"), index=True
    )
    notice_line_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("shipment_notice_line.id")
    )
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal]
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    lot: Mapped[str] = mapped_column(String(64), default="")
    expiry: Mapped[date | None]
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The product barcode as scanned (GS1 or plain), or None when keyed in by SKU.
    barcode: Mapped[str | None] = mapped_column(String(200))
    # Where it went: pending_qc for products that need inspection, else available.
    bucket: Mapped[str] = mapped_column(String(16))
    confirmed_date: Mapped[date | None]
    requested_date: Mapped[date | None]


class TaskKind(StrEnum):
    QC = "qc"
    PUTAWAY = "putaway"
    PICK = "pick"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class InspectionResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    CONCESSION = "concession"



class WarehouseTask(IdMixin, Base):
    """A job on the warehouse to-do list: inspect a receipt line, or put a quantity away into a
    bin. ``done_quantity`` grows with each partial decision or putaway until it reaches
    ``quantity``; then the task is done."""

    __tablename__ = "warehouse_task"
    __table_args__ = (
        one_of("kind", TaskKind),
        one_of("status", TaskStatus),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("done_quantity >= 0 AND done_quantity <= quantity",
                        name="done_within_quantity"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN, index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    lot: Mapped[str] = mapped_column(String(64), default="")
    # Where the stock lies now: the receiving bin (QC and putaway after receipt).
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    # The bucket the stock is in at that location (pending_qc for QC; available for putaway).
    bucket: Mapped[str] = mapped_column(String(16))
    suggested_location_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("location.id"))
    quantity: Mapped[Decimal]
    done_quantity: Mapped[Decimal] = mapped_column(default=Decimal(0))
    receipt_line_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("receipt_line.id"), index=True
    )
    # The document the task serves (GR number), for the screen and the event filter.
    document_number: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Inspection(IdMixin, Base):
    """One QC decision on part (or all) of a receipt line. A concession is accepted stock that
    had a defect; it stays visible for the supplier's statistics."""

    __tablename__ = "inspection"
    __table_args__ = (
        one_of("result", InspectionResult),
        CheckConstraint("accepted_quantity >= 0 AND rejected_quantity >= 0 "
                        "AND accepted_quantity + rejected_quantity > 0", name="decides_something"),
    )

    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse_task.id"), index=True)
    receipt_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("receipt_line.id"), index=True
    )
    result: Mapped[str] = mapped_column(String(16))
    accepted_quantity: Mapped[Decimal]
    rejected_quantity: Mapped[Decimal]
    rejected_location_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("location.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    inspector_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
