"""Master data tables. Codes are unique business keys; rows are deactivated, never deleted."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, Money, TimestampMixin, one_of


class LocationType(StrEnum):
    RECEIVING = "receiving"
    QC = "qc"
    STORAGE = "storage"
    STAGING = "staging"
    REJECTED = "rejected"


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
    )

    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    unit_of_measure: Mapped[str] = mapped_column(String(16), default="pcs")
    qc_required: Mapped[bool] = mapped_column(default=False)
    # Bought for the order: a backorder raises a purchase requisition at once.
    make_to_order: Mapped[bool] = mapped_column(default=False)
    # Free labels for planning rules' scopes and conditions ("seasonal", "promo", ...).
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    safety_stock: Mapped[Decimal] = mapped_column(default=Decimal(0))
    list_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)


class ProductBarcode(IdMixin, Base):
    """A scannable code for a product; a case barcode carries the units in the case."""

    __tablename__ = "product_barcode"
    __table_args__ = (CheckConstraint("pack_quantity > 0", name="pack_quantity_positive"),)

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    pack_quantity: Mapped[Decimal] = mapped_column(default=Decimal(1))


class Supplier(IdMixin, TimestampMixin, Base):
    __tablename__ = "supplier"
    __table_args__ = (
        CheckConstraint("over_receipt_tolerance_pct >= 0", name="tolerance_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    over_receipt_tolerance_pct: Mapped[Decimal] = mapped_column(default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)


class SupplierItem(IdMixin, TimestampMixin, Base):
    """What one supplier sells us of one product, and on which terms."""

    __tablename__ = "supplier_item"
    __table_args__ = (
        UniqueConstraint("supplier_id", "product_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("moq > 0", name="moq_positive"),
        CheckConstraint("pack_multiple > 0", name="pack_multiple_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        Index("ix_supplier_item_product_id", "product_id"),
    )

    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id", ondelete="RESTRICT"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id", ondelete="RESTRICT"))
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    moq: Mapped[Decimal] = mapped_column(default=Decimal(1))
    pack_multiple: Mapped[Decimal] = mapped_column(default=Decimal(1))
    lead_time_days: Mapped[int] = mapped_column(default=7)
    preferred: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customer"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), default="", index=True)
    salesperson_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("app_user.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)


class Warehouse(IdMixin, TimestampMixin, Base):
    __tablename__ = "warehouse"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class Location(IdMixin, TimestampMixin, Base):
    """A bin or area in a warehouse; its code is printed as its barcode, so it is unique overall."""

    __tablename__ = "location"
    __table_args__ = (
        one_of("type", LocationType),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
