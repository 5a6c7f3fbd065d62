"""resolveBarcode: what a scanned code is, with the rows it names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.catalog.types import Location, Product
from schema.context import Info
from schema.errors import UserError, attempt
from schema.purchasing.types import PurchaseOrder, ShipmentNotice
from server.receiving import barcodes

BarcodeKind = strawberry.enum(barcodes.BarcodeKind, name="BarcodeKind")
Symbology = strawberry.enum(barcodes.Symbology, name="Symbology")


@strawberry.type(description="One scan as read, and what it names.")
class ScannedBarcode:
    raw: str = strawberry.field(description="Exactly as received.")
    kind: BarcodeKind
    symbology: Symbology
    gtin: str | None
    lot: str | None
    expiry: date | None
    serial: str | None
    sscc: str | None
    po_number: str | None = strawberry.field(description="GS1 AI 400.")
    count: Decimal | None = strawberry.field(
        description="GS1 AI 30/37: number of items or trade units.")
    net_weight_kg: Decimal | None = strawberry.field(description="GS1 AI 310n.")
    pack_quantity: Decimal | None = strawberry.field(
        description="Units one scan of this product barcode counts (a case: 12).")
    product: Product | None = strawberry.field(
        description="Kind PRODUCT, and any GS1 read whose GTIN is known.")
    location: Location | None
    purchase_order: PurchaseOrder | None = strawberry.field(
        description="Kind PURCHASE_ORDER; for SHIPMENT_NOTICE and PALLET the notice's order.")
    shipment_notice: ShipmentNotice | None
    document_number: str | None = strawberry.field(
        description="Kinds SALES_RETURN and TRANSFER: the document's number (query "
                    "`salesReturn` or `transfer` for its lines).")
    warnings: list[str] = strawberry.field(
        description="E.g. an ambiguous read: a GS separator likely dropped.")

    @classmethod
    def from_resolution(cls, found: barcodes.Resolution) -> ScannedBarcode:
        read, order, notice = found.read, found.purchase_order, found.shipment_notice
        line_numbers = {line.id: line.line_no for line in order.lines} if order else {}
        return cls(
            raw=read.raw, kind=found.kind, symbology=read.symbology, gtin=read.gtin,
            lot=read.lot, expiry=read.expiry, serial=read.serial, sscc=read.sscc,
            po_number=read.po_number, count=read.count, net_weight_kg=read.net_weight_kg,
            pack_quantity=found.pack_quantity,
            product=Product.from_row(found.product) if found.product else None,
            location=Location.from_row(found.location) if found.location else None,
            purchase_order=PurchaseOrder.from_row(order) if order else None,
            shipment_notice=ShipmentNotice.from_row(notice, line_numbers) if notice else None,
            document_number=found.document_number,
            warnings=list(read.warnings),
        )


@strawberry.type
class ResolveBarcodePayload:
    scan: ScannedBarcode | None
    user_errors: list[UserError]


@strawberry.type
class BarcodeQuery:
    @strawberry.field(description="What a scan is: a product (with its pack quantity), a bin, a "
                                  "PO, an ASN, a pallet (SSCC) on one, a sales return or a "
                                  "transfer. GS1-128, DataMatrix, QR, EAN/UPC and our own "
                                  "numbers. Internal users.")
    async def resolve_barcode(self, info: Info, code: str) -> ResolveBarcodePayload:
        found, errors = await attempt(lambda: barcodes.resolve_barcode(
            info.context.db, info.context.user(), code))
        return ResolveBarcodePayload(
            scan=ScannedBarcode.from_resolution(found) if found else None, user_errors=errors)
