"""Sales orders and their lines, the bins each line's reservation lies in, pick lists and
shipments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, TimestampMixin, one_of, utcnow

ZERO = Decimal(0)


class SalesOrderState(StrEnum):
    OPEN = "open"  # saved; lines reserved and/or backordered
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class ShortagePolicy(StrEnum):
    REJECT = "reject"  # an order that cannot be reserved whole is not saved
    BACKORDER = "backorder"  # reserve what there is, the rest waits for stock


class PickListState(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class PickLineStatus(StrEnum):
    OPEN = "open"
    PICKED = "picked"  # picked in full, or in part with the rest reported short
    SHORT = "short"  # nothing found: all of it reported short



class SalesOrder(IdMixin, TimestampMixin, Base):
    __tablename__ = "sales_order"
    __table_args__ = (one_of("state", SalesOrderState),
                      one_of("shortage_policy", ShortagePolicy))

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    # From the customer unless overridden on the order.
    region: Mapped[str] = mapped_column(String(100), default="", index=True)
    salesperson_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("app_user.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    shortage_policy: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    version: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    order_date: Mapped[date]
    cancelled_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.line_no", lazy="raise",
        cascade="all, delete-orphan",
    )


class SalesOrderLine(IdMixin, Base):
    """One product on a sales order. Its quantity is always accounted for: reserved (in bins,
    not yet picked), picked (on the staging bin), shipped, or backordered (waiting for stock);
    what a cancellation or a smaller quantity released is no longer counted."""

    __tablename__ = "sales_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("reserved_quantity >= 0 AND backordered_quantity >= 0 "
                        "AND picked_quantity >= 0 AND shipped_quantity >= 0",
                        name="progress_not_negative"),
        # ROUND: SQLite adds NUMERIC as binary floats, which can overshoot a 4-place sum.
        CheckConstraint("ROUND(reserved_quantity + backordered_quantity + picked_quantity "
                        "+ shipped_quantity, 4) <= quantity", name="progress_within_quantity"),
    )

    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    requested_date: Mapped[date | None]
    reserved_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    backordered_quantity: Mapped[Decimal] = mapped_column(default=ZERO, index=True)
    picked_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    shipped_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    # The moving-average cost when the order was taken: the expected margin beside the
    # realised one (COGS on the shipment's ledger rows).
    expected_unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    order: Mapped[SalesOrder] = relationship(back_populates="lines", lazy="raise")

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


class Reservation(IdMixin, Base):
    """Where a line's reserved stock lies: so much of a lot in a bin. Picking takes from here."""

    __tablename__ = "sales_reservation"
    __table_args__ = (
        UniqueConstraint("order_line_id", "location_id", "lot"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_order_line.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"))
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"), index=True)
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]


class PickList(IdMixin, Base):
    __tablename__ = "pick_list"
    __table_args__ = (one_of("state", PickListState),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[PickListLine]] = relationship(
        order_by="PickListLine.line_no", lazy="raise", cascade="all, delete-orphan")


class PickListLine(IdMixin, Base):
    """Pick so much of a product (and lot) from a bin for one sales order line."""

    __tablename__ = "pick_list_line"
    __table_args__ = (
        UniqueConstraint("pick_list_id", "line_no"),
        one_of("status", PickLineStatus),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("picked_quantity >= 0 AND short_quantity >= 0 "
                        "AND ROUND(picked_quantity + short_quantity, 4) <= quantity",
                        name="progress_within_quantity"),
    )

    pick_list_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("pick_list.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_order_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"))
    location_id: Mapped[int] = mapped_column(IdType, ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]
    picked_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    short_quantity: Mapped[Decimal] = mapped_column(default=ZERO)
    short_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PickLineStatus.OPEN.value)
    task_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("warehouse_task.id"))


class Shipment(IdMixin, Base):
    """What left the warehouse on one pick list: the document finance invoices and the delivery
    note prints."""

    __tablename__ = "shipment"

    number: Mapped[str] = mapped_column(String(32), unique=True)
    pick_list_id: Mapped[int] = mapped_column(IdType, ForeignKey("pick_list.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(IdType, ForeignKey("warehouse.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lines: Mapped[list[ShipmentLine]] = relationship(
        order_by="ShipmentLine.id", lazy="raise", cascade="all, delete-orphan")


class ShipmentLine(IdMixin, Base):
    """A quantity of one sales order line shipped, at its price and its cost (the moving average
    the ledger valued it at)."""

    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    shipment_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_order_line.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    # The ``SH`` ledger row this line posted, whose value is its COGS: the line's own record of
    # which movement it was, instead of its shipment number and place in the shipment.
    stock_ledger_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stock_ledger.id"))
    # That row's value, kept here when the line ships (ledger rows are never revalued): the
    # margin report sums it without meeting the ledger. NULL where no row was found (0020).
    cogs: Mapped[Decimal | None] = mapped_column(Money)


class HistorySource(StrEnum):
    SHIPPED = "shipped"  # from this system's shipments, added to as they ship
    IMPORTED = "imported"  # older history loaded from a file; a re-import replaces it


class SalesHistory(Base):
    """Quantity sold of one product from one warehouse to one region in one ISO week (keyed by
    its Monday): the demand history planning forecasts from."""

    __tablename__ = "sales_history"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),
                      one_of("source", HistorySource))

    product_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("warehouse.id", ondelete="RESTRICT"), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    quantity: Mapped[Decimal]


class SalesTeam(IdMixin, TimestampMixin, Base):
    """A group of salespeople reported on together (salesPerformance by team)."""

    __tablename__ = "sales_team"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class SalesTeamMember(Base):
    """A salesperson's one team: moving to another team replaces the row."""

    __tablename__ = "sales_team_member"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_team.id", ondelete="CASCADE"), index=True)
