"""Purchase orders, their lines, supplier confirmations and shipping notices (ASN)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, TimestampMixin, one_of, utcnow
from server.purchasing.return_states import ReturnState
from server.purchasing.states import PoState

ZERO = Decimal(0)


class PurchaseOrder(IdMixin, TimestampMixin, Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        one_of("state", PoState),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # The amount last approved: editing beyond it sends the order back through approval.
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    version: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(Text, default="")
    rejection_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    order_date: Mapped[date]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.line_no", lazy="raise",
        cascade="all, delete-orphan",
    )


class PurchaseOrderLine(IdMixin, Base):
    """One product on an order and how far it has come: ordered → confirmed → shipped →
    received → accepted / rejected."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("shipped_quantity >= 0 AND received_quantity >= 0 "
                        "AND accepted_quantity >= 0 AND rejected_quantity >= 0",
                        name="progress_not_negative"),
    )

    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    requested_date: Mapped[date | None]
    confirmed_quantity: Mapped[Decimal | None]
    confirmed_date: Mapped[date | None]
    # Bumped on every supplier confirmation, so a changed promise is visible.
    confirmation_version: Mapped[int] = mapped_column(Integer, default=0)
    shipped_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    received_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    accepted_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    rejected_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    # Closed short: nothing more is expected, what was still on order has been released.
    closed: Mapped[bool] = mapped_column(default=False)
    order: Mapped[PurchaseOrder] = relationship(back_populates="lines", lazy="raise")

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


class ShipmentNotice(IdMixin, Base):
    """An ASN: the supplier's notice that goods left; its number is a barcode the dock scans."""

    __tablename__ = "shipment_notice"

    number: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("purchase_order.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    expected_arrival: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[ShipmentNoticeLine]] = relationship(
        order_by="ShipmentNoticeLine.id", lazy="raise", cascade="all, delete-orphan"
    )


class ShipmentNoticeLine(IdMixin, Base):
    __tablename__ = "shipment_notice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    notice_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("shipment_notice.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(IdType, ForeignKey("purchase_order_line.id"))
    quantity: Mapped[Decimal]
    lot: Mapped[str] = mapped_column(String(64), default="")
    expiry: Mapped[date | None]
    sscc: Mapped[str | None] = mapped_column(String(18), index=True)
    received_quantity: Mapped[Decimal] = mapped_column(default=ZERO)


class PurchaseReturn(IdMixin, TimestampMixin, Base):
    """Goods going back to a supplier (采购退货): held at creation, shipped once approved, and
    credited to the supplier by a debit note when they leave."""

    __tablename__ = "purchase_return"
    __table_args__ = (
        one_of("state", ReturnState),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # Σ quantity × PO unit price: what the supplier is to credit.
    total_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    closed_comment: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[PurchaseReturnLine]] = relationship(
        order_by="PurchaseReturnLine.line_no", lazy="raise", cascade="all, delete-orphan",
    )


class PurchaseReturnLine(IdMixin, Base):
    """A quantity of one PO line's goods, held in one bin and lot, going back. An input line
    spanning several PO lines or bins becomes several of these (``request_index`` keeps which
    input line it came from)."""

    __tablename__ = "purchase_return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_bucket IN ('available', 'rejected')", name="known_from_bucket"),
    )

    return_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_return.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    request_index: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_order_line.id"), index=True
    )
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    # Where the goods were taken from; while held they wait in the rejected bucket either way.
    from_bucket: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    # What the stock left at (moving average at shipment), set when shipped.
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price
