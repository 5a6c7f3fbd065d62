"""Payables (supplier invoices matched against purchase orders and receipts), receivables
(customer invoices from shipments, payments allocated to them) and the finance policy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, IdMixin, IdType, Money, one_of, utcnow

ZERO = Decimal(0)


class MatchResult(StrEnum):
    MATCHED = "matched"
    PRICE_VARIANCE = "price_variance"
    QUANTITY_VARIANCE = "quantity_variance"  # invoiced more than accepted
    NOT_RECEIVED = "not_received"


class SupplierInvoiceState(StrEnum):
    MATCHED = "matched"  # every line within tolerance: may be approved for payment
    VARIANCE = "variance"  # some line is not: held until corrected
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"  # approved for payment
    REJECTED = "rejected"


class CustomerInvoiceState(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"



class FinancePolicy(Base):
    """Match tolerances and the approval threshold (one row, id 1; absent means the defaults):
    a price within ``price_tolerance_pct`` of the PO price and a quantity within
    ``quantity_tolerance_pct`` of what was accepted still match; an invoice whose total exceeds
    ``approval_threshold`` goes through the SUPPLIER_INVOICE approval flow (#4)."""

    __tablename__ = "finance_policy"
    __table_args__ = (
        CheckConstraint("price_tolerance_pct >= 0 AND quantity_tolerance_pct >= 0",
                        name="tolerances_not_negative"),
        CheckConstraint("approval_threshold >= 0", name="threshold_not_negative"),
        CheckConstraint("payment_terms_days >= 0", name="terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_tolerance_pct: Mapped[Decimal] = mapped_column(default=Decimal(0))
    quantity_tolerance_pct: Mapped[Decimal] = mapped_column(default=Decimal(0))
    approval_threshold: Mapped[Decimal] = mapped_column(Money, default=Decimal(50_000))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupplierInvoice(IdMixin, Base):
    __tablename__ = "supplier_invoice"
    __table_args__ = (UniqueConstraint("supplier_id", "invoice_number"),
                      one_of("state", SupplierInvoiceState),
                      CheckConstraint("tax >= 0", name="tax_not_negative"))

    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(64))
    invoice_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(24), index=True)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    lines: Mapped[list[SupplierInvoiceLine]] = relationship(
        order_by="SupplierInvoiceLine.line_no", lazy="raise", cascade="all, delete-orphan")


class SupplierInvoiceLine(IdMixin, Base):
    """One invoiced PO line and how it matched: ordered and accepted quantities and the PO price
    as they stood at matching, and the variances in money."""

    __tablename__ = "supplier_invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"), one_of("result", MatchResult),
                      CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("unit_price >= 0", name="unit_price_not_negative"))

    invoice_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("supplier_invoice.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_order_line.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    ordered_quantity: Mapped[Decimal]
    accepted_quantity: Mapped[Decimal]
    order_price: Mapped[Decimal] = mapped_column(Money)
    result: Mapped[str] = mapped_column(String(24))
    price_variance: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    quantity_variance: Mapped[Decimal] = mapped_column(Money, default=ZERO)


class CustomerInvoice(IdMixin, Base):
    """Raised from one shipment, at the shipped quantities and the order prices."""

    __tablename__ = "customer_invoice"
    __table_args__ = (one_of("state", CustomerInvoiceState),
                      CheckConstraint("paid_amount >= 0 AND paid_amount <= total",
                                      name="paid_within_total"))

    number: Mapped[str] = mapped_column(String(32), unique=True)
    shipment_id: Mapped[int] = mapped_column(IdType, ForeignKey("shipment.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    salesperson_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("app_user.id"), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    invoice_date: Mapped[date]
    due_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    # Taken off by credit notes for returned goods: the customer owes total − paid − credited.
    credited_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO, server_default="0")
    state: Mapped[str] = mapped_column(String(24), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[CustomerInvoiceLine]] = relationship(
        order_by="CustomerInvoiceLine.line_no", lazy="raise", cascade="all, delete-orphan")


class CustomerInvoiceLine(IdMixin, Base):
    __tablename__ = "customer_invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)

    invoice_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_invoice.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    shipment_line_id: Mapped[int] = mapped_column(IdType, ForeignKey("shipment_line.id"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)


class Payment(IdMixin, Base):
    """Money received from a customer, allocated to one or several of its invoices."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    received_on: Mapped[date]
    reference: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentAllocation(IdMixin, Base):
    __tablename__ = "payment_allocation"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    payment_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)


class DebitNote(IdMixin, Base):
    """The supplier's credit for goods we sent back (a debit note on its account), raised when
    a purchase return ships, at the PO prices. ``applied_amount`` is the part set against what
    its invoices billed for those goods; the rest is open credit for later invoices."""

    __tablename__ = "debit_note"
    __table_args__ = (CheckConstraint("amount >= 0 AND applied_amount >= 0 "
                                      "AND applied_amount <= amount", name="applied_within"),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(IdType, ForeignKey("supplier.id"), index=True)
    return_id: Mapped[int] = mapped_column(IdType, ForeignKey("purchase_return.id"),
                                           unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount: Mapped[Decimal] = mapped_column(Money)
    applied_amount: Mapped[Decimal] = mapped_column(Money)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[DebitNoteLine]] = relationship(
        order_by="DebitNoteLine.line_no", lazy="raise", cascade="all, delete-orphan")


class DebitNoteLine(IdMixin, Base):
    """One returned PO line's credit; the applied part names the invoice it reduces."""

    __tablename__ = "debit_note_line"
    __table_args__ = (UniqueConstraint("debit_note_id", "line_no"),
                      CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("applied_quantity >= 0 AND applied_quantity <= quantity",
                                      name="applied_within"))

    debit_note_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("debit_note.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    return_line_id: Mapped[int] = mapped_column(IdType, ForeignKey("purchase_return_line.id"))
    order_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("purchase_order_line.id"), index=True)
    supplier_invoice_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("supplier_invoice.id"), index=True)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    applied_quantity: Mapped[Decimal]
    applied_amount: Mapped[Decimal] = mapped_column(Money)


class CustomerCreditNote(IdMixin, Base):
    """Raised from one sales return receipt: the returned quantities at the order prices plus VAT,
    applied to the order's invoices that are still open; what they cannot take stays unapplied,
    owed back to the customer."""

    __tablename__ = "customer_credit_note"
    __table_args__ = (CheckConstraint("applied_amount >= 0 AND applied_amount <= total",
                                      name="applied_within_total"),)

    number: Mapped[str] = mapped_column(String(32), unique=True)
    return_receipt_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("sales_return_receipt.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    credit_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    applied_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditApplication(IdMixin, Base):
    __tablename__ = "customer_credit_application"
    __table_args__ = (UniqueConstraint("credit_note_id", "invoice_id"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    credit_note_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_credit_note.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
