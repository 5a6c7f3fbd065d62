"""Inputs of the purchasing mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry


@strawberry.input
class PurchaseOrderLineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the supplier's price for the product.")
    requested_date: date | None = None
    line_no: int | None = strawberry.field(
        default=None, description="On update: the line to change; omit to add a line.")


@strawberry.input
class CreatePurchaseOrderInput:
    supplier_code: str
    warehouse_code: str
    lines: list[PurchaseOrderLineInput]
    currency: str = "CNY"
    notes: str = ""


@strawberry.input
class UpdatePurchaseOrderInput:
    number: str
    based_on_version: int | None = None
    lines: list[PurchaseOrderLineInput] | None = strawberry.field(
        default=None, description="Replaces the lines; lines not given are removed.")
    notes: str | None = None


@strawberry.input
class SubmitPurchaseOrderInput:
    number: str
    based_on_version: int | None = None


@strawberry.input
class CancelPurchaseOrderInput:
    number: str
    reason: str
    based_on_version: int | None = None


@strawberry.input
class LineConfirmationInput:
    line_no: int
    quantity: Decimal
    delivery_date: date


@strawberry.input
class ConfirmPurchaseOrderInput:
    number: str
    lines: list[LineConfirmationInput]
    based_on_version: int | None = None


@strawberry.input
class DeclinePurchaseOrderInput:
    number: str
    reason: str


@strawberry.input
class ShipmentNoticeLineInput:
    line_no: int
    quantity: Decimal
    lot: str = ""
    expiry: date | None = None
    sscc: str | None = strawberry.field(default=None, description="18-digit pallet code.")


@strawberry.input
class CreateShipmentNoticeInput:
    purchase_order_number: str
    lines: list[ShipmentNoticeLineInput]
    number: str | None = strawberry.field(
        default=None, description="The supplier's ASN number; generated (ASN-YYYY-NNNNNN) if "
                                  "omitted.")
    carrier: str = ""
    tracking_number: str = ""
    expected_arrival: date | None = None


@strawberry.input
class ClosePurchaseOrderLineInput:
    number: str
    line_no: int
    reason: str
    based_on_version: int | None = None
