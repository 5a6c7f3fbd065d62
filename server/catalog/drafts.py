"""What callers ask the master-data use cases for: plain values, validated by ``rules``.

A draft creates a row; a ``...Changes`` updates one, where ``None`` means "leave unchanged".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class BarcodeDraft:
    """A scannable code; ``pack_quantity`` is how many units one scan counts (a case: 12)."""

    barcode: str
    pack_quantity: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class ProductDraft:
    sku: str
    name: str
    category: str = ""
    unit_of_measure: str = "pcs"
    qc_required: bool = False
    make_to_order: bool = False
    safety_stock: Decimal = Decimal(0)
    list_price: Decimal = Decimal(0)
    barcodes: tuple[BarcodeDraft, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """``add_barcodes`` naming a barcode the product already has changes its pack quantity."""

    name: str | None = None
    category: str | None = None
    unit_of_measure: str | None = None
    qc_required: bool | None = None
    make_to_order: bool | None = None
    safety_stock: Decimal | None = None
    list_price: Decimal | None = None
    active: bool | None = None
    tags: tuple[str, ...] | None = None  # replaces the product's tags when given
    add_barcodes: tuple[BarcodeDraft, ...] = ()
    remove_barcodes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SupplierDraft:
    code: str
    name: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    over_receipt_tolerance_pct: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class SupplierChanges:
    name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    over_receipt_tolerance_pct: Decimal | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class SupplierItemTerms:
    """Create-or-update of one supplier's terms for one product. A new item needs a price; the
    other terms default (CNY, MOQ 1, pack multiple 1, 7 days' lead time)."""

    supplier_code: str
    sku: str
    price: Decimal | None = None
    currency: str | None = None
    moq: Decimal | None = None
    pack_multiple: Decimal | None = None
    lead_time_days: int | None = None
    preferred: bool | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    code: str
    name: str
    region: str = ""
    salesperson: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """``salesperson`` is a username; ``unassign_salesperson`` leaves the customer without one."""

    name: str | None = None
    region: str | None = None
    salesperson: str | None = None
    unassign_salesperson: bool = False
    active: bool | None = None
