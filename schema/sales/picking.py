"""Picking and shipping: pick lists released from sales orders, picks confirmed from the handheld,
shipments that take the picked stock out of the warehouse. A transfer is a pick list too (its
number is the list's): ``pickList`` and ``confirmPick`` serve it, so handhelds pick transfers
as they pick orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.catalog.types import Location, Product, Warehouse
from schema.context import Info
from schema.documents.templates import PrintDocumentKind
from schema.errors import UserError, attempt
from schema.pagination import Connection, connection
from server.documents.models import DocumentKind
from server.documents.service import ProducedDocument, document_url, documents_of_shipment
from server.documents.shipping import confirm_shipment_with_documents
from server.sales import pick_queries, picking
from server.sales.models import PickLineStatus, PickListState
from server.sales.pick_queries import PickListView, ShipmentView
from server.sales.pick_rules import PickRequest
from server.sales.shipping import ShipmentRequest
from server.transfers import queries as transfer_queries
from server.transfers.models import TransferState
from server.transfers.picking import confirm_transfer_pick
from server.transfers.queries import PickView as TransferPickView
from server.transfers.queries import TransferView
from server.transfers.rules import is_transfer_number, pick_list_state

KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first result."
VERSION_HELP = "The pick list version the device showed; a newer one gets STALE_VERSION."

PickListStateKind = strawberry.enum(PickListState, name="PickListState")
PickLineStatusKind = strawberry.enum(PickLineStatus, name="PickLineStatus")


@strawberry.type(description="Pick so much of a product (and lot) from a bin for one sales "
                             "order line.")
class PickListLine:
    line_no: int
    order_number: str
    order_line_no: int
    sku: str
    lot: str
    quantity: Decimal
    picked: Decimal
    short: Decimal
    remaining: Decimal = strawberry.field(description="Still to pick or report short.")
    short_reason: str | None
    status: PickLineStatusKind
    task_id: strawberry.ID | None = strawberry.field(description="Its PICK warehouse task.")
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_transfer_pick(cls, pick: TransferPickView, line_no_of: dict[int, int],
                           transfer_number: str) -> PickListLine:
        row = pick.pick
        return cls(
            line_no=row.line_no, order_number=transfer_number,
            order_line_no=line_no_of[row.transfer_line_id], sku=pick.sku, lot=row.lot,
            quantity=row.quantity, picked=row.picked_quantity, short=row.short_quantity,
            remaining=row.quantity - row.picked_quantity - row.short_quantity,
            short_reason=row.short_reason, status=PickLineStatus(row.status),
            task_id=strawberry.ID(str(row.task_id)) if row.task_id is not None else None,
            product_id=row.product_id, location_id=row.location_id)

    @classmethod
    def from_view(cls, view: pick_queries.PickLineView) -> PickListLine:
        row = view.line
        return cls(
            line_no=row.line_no, order_number=view.order_line.order_number,
            order_line_no=view.order_line.line_no, sku=view.sku, lot=row.lot,
            quantity=row.quantity, picked=row.picked_quantity, short=row.short_quantity,
            remaining=row.quantity - row.picked_quantity - row.short_quantity,
            short_reason=row.short_reason, status=PickLineStatus(row.status),
            task_id=strawberry.ID(str(row.task_id)) if row.task_id is not None else None,
            product_id=row.product_id, location_id=row.location_id)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))

    @strawberry.field(description="The bin to pick from; its code is its barcode.")
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self.location_id))


@strawberry.type(description="A pick list (PK): the reserved stock of some sales orders, line by "
                             "line in walking order.")
class PickList:
    number: str
    warehouse_code: str
    state: PickListStateKind
    version: int = strawberry.field(description="Send it back as basedOnVersion.")
    created_at: datetime
    order_numbers: list[str]
    lines: list[PickListLine]
    warehouse_id: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: PickListView) -> PickList:
        row = view.pick_list
        return cls(number=row.number, warehouse_code=view.warehouse_code,
                   state=PickListState(row.state), version=row.version,
                   created_at=row.created_at, order_numbers=view.order_numbers,
                   lines=[PickListLine.from_view(line) for line in view.lines],
                   warehouse_id=row.warehouse_id)

    @classmethod
    def from_transfer(cls, view: TransferView) -> PickList:
        """A transfer is its own pick list at the source: its pick lines, each naming the
        transfer as the order and the transfer line as the order line."""
        row = view.transfer
        line_no_of = {line.line.id: line.line.line_no for line in view.lines}
        return cls(number=row.number, warehouse_code=view.from_warehouse_code,
                   state=pick_list_state(TransferState(row.state)), version=row.version,
                   created_at=row.created_at, order_numbers=[row.number],
                   lines=[PickListLine.from_transfer_pick(pick, line_no_of, row.number)
                          for pick in view.picks],
                   warehouse_id=row.from_warehouse_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))

    @strawberry.field(description="The pick list as a PDF (GET with the same bearer token).")
    def document_url(self) -> str:
        return document_url(DocumentKind.PICK_LIST, self.number)


@strawberry.type(description="A document produced from a template version, with the SHA-256 "
                             "of its PDF.")
class PrintedDocument:
    kind: PrintDocumentKind
    template_version: int
    sha256: str
    produced_at: datetime
    url: str = strawberry.field(description="Prints it again with the current template.")

    @classmethod
    def from_produced(cls, produced: ProducedDocument) -> PrintedDocument:
        return cls(kind=DocumentKind(produced.kind), template_version=produced.template_version,
                   sha256=produced.sha256, produced_at=produced.produced_at, url=produced.url)


@strawberry.type(description="A quantity of one sales order line shipped, at its price and at "
                             "the moving-average cost the ledger took it out at (COGS).")
class ShipmentLine:
    order_number: str
    order_line_no: int
    sku: str
    lot: str
    quantity: Decimal
    unit_price: Decimal
    unit_cost: Decimal
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))


@strawberry.type(description="A shipment (SH): what left the warehouse on one pick list.")
class Shipment:
    number: str
    pick_list_number: str
    warehouse_code: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    shipped_by: str = strawberry.field(description="The username of who confirmed it.")
    lines: list[ShipmentLine]
    warehouse_id: strawberry.Private[int]
    row_id: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: ShipmentView) -> Shipment:
        row = view.shipment
        return cls(
            row_id=row.id, number=row.number, pick_list_number=view.pick_list_number,
            warehouse_code=view.warehouse_code, carrier=row.carrier,
            tracking_number=row.tracking_number, shipped_at=row.shipped_at,
            shipped_by=view.shipped_by, warehouse_id=row.warehouse_id,
            lines=[ShipmentLine(
                order_number=line.order_line.order_number, order_line_no=line.order_line.line_no,
                sku=line.sku, lot=line.line.lot, quantity=line.line.quantity,
                unit_price=line.line.unit_price, unit_cost=line.line.unit_cost,
                product_id=line.line.product_id) for line in view.lines])

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))

    @strawberry.field(description="The delivery note (出库单) as a PDF.")
    def document_url(self) -> str:
        return document_url(DocumentKind.DELIVERY_NOTE, self.number)

    @strawberry.field(description="The 100 × 150 mm shipping label as a PDF.")
    def label_url(self) -> str:
        return document_url(DocumentKind.SHIPPING_LABEL, self.number)

    @strawberry.field(description="The customer invoice as a PDF.")
    def invoice_url(self) -> str:
        return document_url(DocumentKind.INVOICE, self.number)

    @strawberry.field(description="The delivery note and label produced when it was confirmed.")
    async def documents(self, info: Info) -> list[PrintedDocument]:
        produced = await documents_of_shipment(info.context.session, self.row_id)
        return [PrintedDocument.from_produced(each) for each in produced]


@strawberry.type
class PickListPayload:
    pick_list: PickList | None
    user_errors: list[UserError]


@strawberry.type
class ShipmentPayload:
    shipment: Shipment | None
    user_errors: list[UserError]
    document_warning: str | None = strawberry.field(
        default=None, description="Set when the shipment was confirmed but its delivery note "
                                  "and label could not be produced (nothing was recorded).")


@strawberry.input
class ReleasePickingInput:
    sales_order_numbers: list[str] = strawberry.field(
        description="Open orders of one warehouse; their reserved stock not on an open pick "
                    "list yet goes on one new pick list.")
    idempotency_key: str = strawberry.field(description=KEY_HELP)


@strawberry.input
class ConfirmPickInput:
    pick_list_number: str
    line_no: int
    bin_barcode: str = strawberry.field(description="The bin as scanned; must be the line's.")
    quantity: Decimal = strawberry.field(description="Picked, in base units; may be 0 when all "
                                                     "of it is short.")
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    product_barcode: str | None = strawberry.field(
        default=None, description="As scanned; a GS1 label's lot counts when lot is not given.")
    sku: str | None = strawberry.field(default=None, description="Instead of productBarcode.")
    lot: str | None = None
    short_quantity: Decimal | None = strawberry.field(
        default=Decimal(0), description="Not in the bin: written off, then picked from another "
                                        "bin (a new line) or backordered.")
    short_reason: str | None = None
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class ConfirmShipmentInput:
    pick_list_number: str
    carrier: str
    tracking_number: str
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.type
class PickingQuery:
    @strawberry.field
    async def pick_list(self, info: Info, number: str) -> PickList | None:
        if is_transfer_number(number):
            found = await transfer_queries.transfer_of(info.context.session, info.context.user(),
                                                       number)
            return PickList.from_transfer(found) if found else None
        view = await pick_queries.pick_list(info.context.session, info.context.user(), number)
        return PickList.from_view(view) if view else None

    @strawberry.field(description="A warehouse's pick lists, oldest first.")
    async def pick_lists(
        self, info: Info, warehouse_code: str, states: list[PickListStateKind] | None = None,
        first: int = 50, after: str | None = None,
    ) -> Connection[PickList]:
        page = await pick_queries.list_pick_lists(
            info.context.session, info.context.user(), warehouse_code,
            [PickListState(state) for state in states] if states else None,
            page_request(info, first, after))
        return connection(page, PickList.from_view)

    @strawberry.field
    async def shipment(self, info: Info, number: str) -> Shipment | None:
        view = await pick_queries.shipment(info.context.session, info.context.user(), number)
        return Shipment.from_view(view) if view else None


@strawberry.type
class PickingMutation:
    @strawberry.mutation(description="Put the reserved stock of sales orders on a new pick list "
                                     "and the warehouse to-do list (PICK tasks).")
    async def release_picking(self, info: Info, input: ReleasePickingInput) -> PickListPayload:
        context = info.context
        view, errors = await attempt(lambda: picking.release_picking(
            context.db, context.user(), input.sales_order_numbers, input.idempotency_key))
        return PickListPayload(pick_list=view and PickList.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Record a pick (and a short) on a pick list line: WRONG_BIN, "
                                     "WRONG_PRODUCT, WRONG_LOT, OVER_PICK when the scans or the "
                                     "quantity do not fit the line.")
    async def confirm_pick(self, info: Info, input: ConfirmPickInput) -> PickListPayload:
        context = info.context
        request = PickRequest(
            pick_list_number=input.pick_list_number, line_no=input.line_no,
            bin_barcode=input.bin_barcode, quantity=input.quantity,
            idempotency_key=input.idempotency_key, product_barcode=input.product_barcode,
            sku=input.sku, lot=input.lot, short_quantity=input.short_quantity or Decimal(0),
            short_reason=input.short_reason, based_on_version=input.based_on_version)
        if is_transfer_number(input.pick_list_number):
            moved, errors = await attempt(
                lambda: confirm_transfer_pick(context.db, context.user(), request))
            return PickListPayload(pick_list=moved and PickList.from_transfer(moved),
                                   user_errors=errors)
        view, errors = await attempt(
            lambda: picking.confirm_pick(context.db, context.user(), request))
        return PickListPayload(pick_list=view and PickList.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Ship everything picked on a pick list at the moving-average "
                                     "cost; the orders become shipped or partially shipped.")
    async def confirm_shipment(self, info: Info, input: ConfirmShipmentInput) -> ShipmentPayload:
        context = info.context
        request = ShipmentRequest(
            pick_list_number=input.pick_list_number, carrier=input.carrier,
            tracking_number=input.tracking_number, idempotency_key=input.idempotency_key,
            based_on_version=input.based_on_version)
        shipped, errors = await attempt(
            lambda: confirm_shipment_with_documents(context.db, context.user(), request))
        if shipped is None:
            return ShipmentPayload(shipment=None, user_errors=errors)
        return ShipmentPayload(shipment=Shipment.from_view(shipped.view), user_errors=errors,
                               document_warning=shipped.warning)
