"""Purchase orders, their lines and shipping notices as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.approvals.types import ApprovalTask
from schema.catalog.types import Product, Supplier, Warehouse
from schema.context import Info
from schema.errors import UserError
from server.documents.models import DocumentKind
from server.documents.service import document_url
from server.purchasing import models
from server.purchasing.states import PoState

PurchaseOrderState = strawberry.enum(PoState, name="PurchaseOrderState")


@strawberry.type(description="One product on an order and how far it has come.")
class PurchaseOrderLine:
    line_no: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    requested_date: date | None
    confirmed_quantity: Decimal | None
    confirmed_date: date | None
    confirmation_version: int = strawberry.field(
        description="Bumped at every supplier confirmation of this line.")
    shipped_quantity: Decimal
    received_quantity: Decimal
    accepted_quantity: Decimal
    rejected_quantity: Decimal
    closed: bool
    product_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.PurchaseOrderLine) -> PurchaseOrderLine:
        return cls(
            line_no=row.line_no, quantity=row.quantity, unit_price=row.unit_price,
            amount=row.amount, requested_date=row.requested_date,
            confirmed_quantity=row.confirmed_quantity, confirmed_date=row.confirmed_date,
            confirmation_version=row.confirmation_version, shipped_quantity=row.shipped_quantity,
            received_quantity=row.received_quantity, accepted_quantity=row.accepted_quantity,
            rejected_quantity=row.rejected_quantity, closed=row.closed, product_id=row.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))


@strawberry.type
class ShipmentNoticeLine:
    line_no: int
    quantity: Decimal
    lot: str
    expiry: date | None
    sscc: str | None
    received_quantity: Decimal


@strawberry.type(description="An ASN: its number is a barcode the receiving dock scans.")
class ShipmentNotice:
    number: str
    carrier: str
    tracking_number: str
    expected_arrival: date | None
    created_at: datetime
    lines: list[ShipmentNoticeLine]

    @strawberry.field(description="The ASN label as a PDF: the ASN number and the pallets' SSCCs "
                                  "as barcodes (GET with the same bearer token).")
    def document_url(self) -> str:
        return document_url(DocumentKind.ASN_LABEL, self.number)

    @classmethod
    def from_row(cls, row: models.ShipmentNotice, line_numbers: dict[int, int]) -> ShipmentNotice:
        return cls(
            number=row.number, carrier=row.carrier, tracking_number=row.tracking_number,
            expected_arrival=row.expected_arrival, created_at=row.created_at,
            lines=[ShipmentNoticeLine(line_no=line_numbers.get(line.order_line_id, 0),
                                      quantity=line.quantity, lot=line.lot, expiry=line.expiry,
                                      sscc=line.sscc, received_quantity=line.received_quantity)
                   for line in row.lines],
        )


@strawberry.type
class PurchaseOrder:
    id: strawberry.ID
    number: str = strawberry.field(description="PO-YYYY-NNNNNN, also the order's barcode.")
    state: PurchaseOrderState
    version: int = strawberry.field(description="Increases with every change of the order.")
    currency: str
    total_amount: Decimal
    approved_amount: Decimal | None
    notes: str
    rejection_comment: str | None
    order_date: date
    submitted_at: datetime | None
    approved_at: datetime | None
    sent_at: datetime | None
    cancelled_at: datetime | None
    row_id: strawberry.Private[int]
    supplier_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.PurchaseOrder) -> PurchaseOrder:
        return cls(
            id=strawberry.ID(str(row.id)), number=row.number, state=PoState(row.state),
            version=row.version, currency=row.currency, total_amount=row.total_amount,
            approved_amount=row.approved_amount, notes=row.notes,
            rejection_comment=row.rejection_comment, order_date=row.order_date,
            submitted_at=row.submitted_at, approved_at=row.approved_at, sent_at=row.sent_at,
            cancelled_at=row.cancelled_at, row_id=row.id, supplier_id=row.supplier_id,
            warehouse_id=row.warehouse_id,
        )

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return Supplier.from_row(await info.context.loaders.supplier.load(self.supplier_id))

    @strawberry.field(description="The order as a PDF with its approval trail (GET with the same "
                                  "bearer token).")
    def document_url(self) -> str:
        return document_url(DocumentKind.PURCHASE_ORDER, self.number)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = await info.context.loaders.lines_of_order.load(self.row_id)
        return [PurchaseOrderLine.from_row(row) for row in rows]

    @strawberry.field
    async def shipment_notices(self, info: Info) -> list[ShipmentNotice]:
        lines = await info.context.loaders.lines_of_order.load(self.row_id)
        numbers = {line.id: line.line_no for line in lines}
        rows = await info.context.loaders.notices_of_order.load(self.row_id)
        return [ShipmentNotice.from_row(row, numbers) for row in rows]

    @strawberry.field(description="Every approval decision on this order: who, when, comment. "
                                  "Empty for supplier users.")
    async def approval_trail(self, info: Info) -> list[ApprovalTask]:
        if info.context.user().is_supplier:
            return []
        rows = await info.context.loaders.approval_trail_of_order.load(self.row_id)
        return [ApprovalTask.from_row(row) for row in rows]


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None
    user_errors: list[UserError]


@strawberry.type
class ShipmentNoticePayload:
    shipment_notice: ShipmentNotice | None
    purchase_order: PurchaseOrder | None
    user_errors: list[UserError]
