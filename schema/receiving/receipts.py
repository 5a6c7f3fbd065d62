"""Goods receipts: what a scanned document expects, posting a receipt, and reading receipts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.catalog.types import Location, Product, ProductBarcode, Warehouse
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.inventory.types import StockBucket
from schema.pagination import Connection, connection
from schema.purchasing.types import PurchaseOrderState
from server.documents.models import DocumentKind
from server.documents.service import document_url
from server.errors import DomainError
from server.inventory.models import Bucket
from server.purchasing.states import PoState
from server.receiving import documents, queries, receipts
from server.receiving.queries import ReceiptView
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine, on_time

KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first receipt."


@strawberry.type(description="One line the scanned document expects, and how far it has come.")
class ExpectedLine:
    line_no: int
    product: Product
    sku: str
    qc_required: bool
    ordered: Decimal
    shipped: Decimal = strawberry.field(
        description="On this ASN or pallet when one was scanned, else on the order line.")
    received: Decimal
    remaining: Decimal
    max_receivable: Decimal = strawberry.field(
        description="The most the order line can still take, the supplier's tolerance included.")
    lot: str | None
    expiry: date | None
    sscc: str | None
    barcodes: list[ProductBarcode]

    @classmethod
    def from_row(cls, row: documents.ExpectedLine) -> ExpectedLine:
        return cls(
            line_no=row.line_no, product=Product.from_row(row.product), sku=row.product.sku,
            qc_required=row.product.qc_required, ordered=row.ordered, shipped=row.shipped,
            received=row.received, remaining=row.remaining, max_receivable=row.max_receivable,
            lot=row.lot, expiry=row.expiry, sscc=row.sscc,
            barcodes=[ProductBarcode.from_row(b) for b in row.barcodes],
        )


@strawberry.type(description="A PO, ASN or pallet as the receiving dock sees it.")
class ReceivingDocument:
    scanned: str
    order_number: str
    notice_number: str | None
    sscc: str | None
    version: int = strawberry.field(description="Send it back as basedOnVersion.")
    state: PurchaseOrderState
    warehouse_code: str
    supplier_code: str
    lines: list[ExpectedLine]

    @classmethod
    def from_row(cls, row: documents.ReceivingDocument) -> ReceivingDocument:
        return cls(
            scanned=row.scanned, order_number=row.order.number,
            notice_number=row.notice.number if row.notice else None, sscc=row.sscc,
            version=row.order.version, state=PoState(row.order.state),
            warehouse_code=row.warehouse.code, supplier_code=row.supplier.code,
            lines=[ExpectedLine.from_row(line) for line in row.lines],
        )


@strawberry.type
class ReceiptLine:
    line_no: int
    order_line_no: int
    quantity: Decimal
    unit_cost: Decimal
    lot: str
    expiry: date | None
    serials: list[str]
    barcode: str | None = strawberry.field(description="As scanned; null when keyed in by SKU.")
    bucket: StockBucket
    confirmed_date: date | None
    requested_date: date | None
    on_time: bool | None = strawberry.field(
        description="Received by the supplier-confirmed date (else the requested date).")
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))


@strawberry.type(description="A goods receipt (GR): what arrived against one order.")
class Receipt:
    number: str
    order_number: str
    notice_number: str | None
    received_at: datetime
    received_by: str
    lines: list[ReceiptLine]
    warehouse_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: ReceiptView) -> Receipt:
        row = view.receipt
        received_on = row.received_at.date()
        return cls(
            number=row.number, order_number=view.order_number, notice_number=view.notice_number,
            received_at=row.received_at, received_by=view.received_by,
            warehouse_id=row.warehouse_id, location_id=row.location_id,
            lines=[ReceiptLine(
                line_no=line.line_no, order_line_no=view.order_line_numbers[line.id],
                quantity=line.quantity, unit_cost=line.unit_cost, lot=line.lot,
                expiry=line.expiry, serials=list(line.serials), barcode=line.barcode,
                bucket=Bucket(line.bucket), confirmed_date=line.confirmed_date,
                requested_date=line.requested_date,
                on_time=on_time(received_on, line.confirmed_date, line.requested_date),
                product_id=line.product_id,
            ) for line in row.lines],
        )

    @strawberry.field(description="The receipt and its QC results as a PDF (GET with the same "
                                  "bearer token).")
    def document_url(self) -> str:
        return document_url(DocumentKind.RECEIPT, self.number)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))

    @strawberry.field(description="The receiving bin the goods were booked into.")
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self.location_id))


@strawberry.type
class ReceiveGoodsPayload:
    receipt: Receipt | None
    current: ReceivingDocument | None = strawberry.field(
        description="The document as it stands now, whenever it was found.")
    user_errors: list[UserError]


@strawberry.input
class ReceiveLineInput:
    barcode: str | None = strawberry.field(
        default=None, description="As scanned; a GS1 label's lot and expiry are used when the "
                                  "line does not give them.")
    sku: str | None = None
    quantity: Decimal = strawberry.field(description="In base units (packs already multiplied).")
    lot: str | None = None
    expiry: date | None = None
    serials: list[str] | None = None


@strawberry.input
class ReceiveGoodsInput:
    document: str = strawberry.field(
        description="PO or ASN number, or an SSCC (alone: the whole pallet, when lines is empty).")
    warehouse_code: str
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    lines: list[ReceiveLineInput] = strawberry.field(default_factory=list)
    based_on_version: int | None = None


@strawberry.type
class ReceiptQuery:
    @strawberry.field(description="What a scanned PO, ASN or pallet label expects.")
    async def receiving_document(self, info: Info, code: str) -> ReceivingDocument:
        row = await queries.receiving_document(info.context.session, info.context.user(), code)
        return ReceivingDocument.from_row(row)

    @strawberry.field
    async def receipt(self, info: Info, number: str) -> Receipt | None:
        view = await queries.receipt(info.context.session, info.context.user(), number)
        return Receipt.from_view(view) if view else None

    @strawberry.field(description="Newest first.")
    async def receipts(
        self, info: Info, first: int = 50, after: str | None = None,
        order_number: str | None = None,
    ) -> Connection[Receipt]:
        page = await queries.list_receipts(info.context.session, info.context.user(),
                                           page_request(info, first, after), order_number)
        return connection(page, Receipt.from_view)


@strawberry.type
class ReceiptMutation:
    @strawberry.mutation(description="Post a goods receipt against a PO, ASN or pallet.")
    async def receive_goods(self, info: Info, input: ReceiveGoodsInput) -> ReceiveGoodsPayload:
        request = ReceiptRequest(
            document=input.document, warehouse_code=input.warehouse_code,
            idempotency_key=input.idempotency_key, based_on_version=input.based_on_version,
            lines=[ReceiveLine(quantity=line.quantity, barcode=line.barcode, sku=line.sku,
                               lot=line.lot, expiry=line.expiry, serials=tuple(line.serials or ()))
                   for line in input.lines],
        )
        try:
            view = await receipts.receive_goods(info.context.db, info.context.user(), request)
        except receipts.ReceiptRefused as refused:
            current = refused.current and ReceivingDocument.from_row(refused.current)
            return ReceiveGoodsPayload(receipt=None, current=current,
                                       user_errors=user_errors(refused))
        except DomainError as error:  # not logged in, or not allowed to receive
            return ReceiveGoodsPayload(receipt=None, current=None, user_errors=user_errors(error))
        _prime(info, view)
        return ReceiveGoodsPayload(receipt=Receipt.from_view(view), current=None, user_errors=[])


def _prime(info: Info, view: ReceiptView) -> None:
    """The rows the posting read are what the answer shows: a fresh read would cost the
    request another pooled connection and query."""
    loaders = info.context.loaders
    for product_id, product in view.products.items():
        loaders.product.prime(product_id, product)
    if view.warehouse is not None:
        loaders.warehouse.prime(view.warehouse.id, view.warehouse)
    if view.location is not None:
        loaders.location.prime(view.location.id, view.location)
