"""Sales orders: taking an order checks and reserves stock on save; each line shows how much
of it is reserved (and in which bins), backordered, picked and shipped."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.catalog.types import Customer, Location, Product, Warehouse
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.pagination import Connection, connection
from server.errors import DomainError
from server.sales import orders, queries
from server.sales.models import SalesOrderState, ShortagePolicy
from server.sales.orders import OrderOutcome
from server.sales.queries import OrderView
from server.sales.rules import (
    SalesLineDraft,
    SalesOrderChanges,
    SalesOrderDraft,
    Shortage,
    ShortageRefused,
)

ShortagePolicyKind = strawberry.enum(ShortagePolicy, name="ShortagePolicy")
SalesOrderStateKind = strawberry.enum(SalesOrderState, name="SalesOrderState")


@strawberry.type(description="Reserved stock of a line: so much of a lot in a bin.")
class ReservedStock:
    lot: str
    quantity: Decimal
    location_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self.location_id))


@strawberry.type(description="One product on a sales order: quantity = reserved + backordered "
                             "+ picked + shipped while the order is open.")
class SalesOrderLine:
    line_no: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    requested_date: date | None
    reserved: Decimal
    backordered: Decimal
    picked: Decimal
    shipped: Decimal
    expected_unit_cost: Decimal | None = strawberry.field(
        description="The moving-average cost when the order was taken.")
    reservations: list[ReservedStock]
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))

    @strawberry.field
    async def sku(self, info: Info) -> str:
        product = await info.context.loaders.product.load(self.product_id)
        return str(product.sku)


@strawberry.type
class SalesOrder:
    id: strawberry.ID
    number: str = strawberry.field(description="SO-YYYY-NNNNNN.")
    customer: Customer
    region: str
    salesperson: str | None = strawberry.field(description="The salesperson's username.")
    state: SalesOrderStateKind
    shortage_policy: ShortagePolicyKind
    currency: str
    total_amount: Decimal
    version: int = strawberry.field(description="Send it back as basedOnVersion.")
    notes: str
    order_date: date
    created_at: datetime
    cancelled_at: datetime | None
    shipped_at: datetime | None
    lines: list[SalesOrderLine]
    warehouse_id: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: OrderView) -> SalesOrder:
        row = view.order
        return cls(
            id=strawberry.ID(str(row.id)), number=row.number,
            customer=Customer.from_row(view.customer), region=row.region,
            salesperson=view.salesperson, state=SalesOrderState(row.state),
            shortage_policy=ShortagePolicy(row.shortage_policy), currency=row.currency,
            total_amount=row.total_amount, version=row.version, notes=row.notes,
            order_date=row.order_date, created_at=row.created_at,
            cancelled_at=row.cancelled_at, shipped_at=row.shipped_at,
            warehouse_id=row.warehouse_id,
            lines=[SalesOrderLine(
                line_no=line.line_no, quantity=line.quantity, unit_price=line.unit_price,
                amount=line.amount, requested_date=line.requested_date,
                reserved=line.reserved_quantity, backordered=line.backordered_quantity,
                picked=line.picked_quantity, shipped=line.shipped_quantity,
                expected_unit_cost=line.expected_unit_cost, product_id=line.product_id,
                reservations=[ReservedStock(lot=r.lot, quantity=r.quantity,
                                            location_id=r.location_id)
                              for r in view.reservations.get(line.id, [])],
            ) for line in row.lines],
        )

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))


@strawberry.type(description="A line that could not be reserved whole.")
class ShortLine:
    line_no: int | None
    sku: str
    requested: Decimal
    available: Decimal = strawberry.field(description="What was available for the line.")
    expected_date: date | None = strawberry.field(
        description="The earliest date more is expected: open POs (confirmed date, else "
                    "requested date) and ASNs (expected arrival); null if none.")
    expected_quantity: Decimal | None = strawberry.field(
        description="How much is expected on expectedDate.")

    @classmethod
    def from_shortage(cls, shortage: Shortage) -> ShortLine:
        return cls(line_no=shortage.line_no, sku=shortage.sku, requested=shortage.requested,
                   available=shortage.available, expected_date=shortage.expected_date,
                   expected_quantity=shortage.expected_quantity)


@strawberry.type
class SalesOrderPayload:
    sales_order: SalesOrder | None
    shortages: list[ShortLine] = strawberry.field(
        description="REJECT: why nothing was saved. BACKORDER: what was backordered.")
    user_errors: list[UserError]


@strawberry.input
class SalesOrderLineInput:
    line_no: int | None = strawberry.field(
        default=None, description="Updates: the line to change; leave out for a new line.")
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Default: the product's list price.")
    requested_date: date | None = None

    def to_draft(self) -> SalesLineDraft:
        return SalesLineDraft(self.sku, self.quantity, self.unit_price, self.requested_date,
                              self.line_no)


@strawberry.input
class CreateSalesOrderInput:
    customer_code: str
    warehouse_code: str
    lines: list[SalesOrderLineInput]
    shortage_policy: ShortagePolicyKind = ShortagePolicy.REJECT
    region: str | None = strawberry.field(default=None, description="Default: the customer's.")
    salesperson_username: str | None = strawberry.field(
        default=None, description="Default: the customer's salesperson.")
    notes: str | None = None
    currency: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key gets the first order.")


@strawberry.input
class UpdateSalesOrderInput:
    number: str
    based_on_version: int
    lines: list[SalesOrderLineInput] | None = strawberry.field(
        default=None, description="Replaces the lines: named ones change, new ones are added, "
                                  "the rest are removed.")
    notes: str | None = None


@strawberry.input
class CancelSalesOrderInput:
    number: str
    reason: str
    based_on_version: int | None = None


def _payload(outcome: OrderOutcome) -> SalesOrderPayload:
    return SalesOrderPayload(sales_order=SalesOrder.from_view(outcome.view),
                             shortages=[ShortLine.from_shortage(s) for s in outcome.shortages],
                             user_errors=[])


def _refused(error: DomainError) -> SalesOrderPayload:
    shortages = error.shortages if isinstance(error, ShortageRefused) else []
    return SalesOrderPayload(sales_order=None,
                             shortages=[ShortLine.from_shortage(s) for s in shortages],
                             user_errors=user_errors(error))


@strawberry.type
class SalesQuery:
    @strawberry.field
    async def sales_order(self, info: Info, number: str) -> SalesOrder | None:
        view = await queries.sales_order(info.context.session, info.context.user(), number)
        return SalesOrder.from_view(view) if view else None

    @strawberry.field(description="Newest first.")
    async def sales_orders(
        self, info: Info, first: int = 50, after: str | None = None,
        states: list[SalesOrderStateKind] | None = None, customer_code: str | None = None,
        salesperson_username: str | None = None,
    ) -> Connection[SalesOrder]:
        where = queries.OrderFilter(states=states, customer_code=customer_code,
                                    salesperson=salesperson_username)
        page = await queries.list_orders(info.context.session, info.context.user(),
                                         page_request(info, first, after), where)
        return connection(page, SalesOrder.from_view)


@strawberry.type
class SalesMutation:
    @strawberry.mutation(description="Take an order: stock is checked and reserved on save; a "
                                     "shortage is refused (REJECT) or backordered (BACKORDER).")
    async def create_sales_order(
        self, info: Info, input: CreateSalesOrderInput
    ) -> SalesOrderPayload:
        draft = SalesOrderDraft(
            customer_code=input.customer_code, warehouse_code=input.warehouse_code,
            lines=[line.to_draft() for line in input.lines],
            shortage_policy=ShortagePolicy(input.shortage_policy), region=input.region,
            salesperson=input.salesperson_username, notes=input.notes or "",
            currency=input.currency, idempotency_key=input.idempotency_key)
        try:
            return _payload(await orders.create_sales_order(
                info.context.db, info.context.user(), draft))
        except DomainError as error:
            return _refused(error)

    @strawberry.mutation(description="Change an open order's lines or notes; more quantity is "
                                     "reserved (or backordered), less is released.")
    async def update_sales_order(
        self, info: Info, input: UpdateSalesOrderInput
    ) -> SalesOrderPayload:
        changes = SalesOrderChanges(
            number=input.number, based_on_version=input.based_on_version, notes=input.notes,
            lines=[line.to_draft() for line in input.lines] if input.lines is not None else None)
        try:
            return _payload(await orders.update_sales_order(
                info.context.db, info.context.user(), changes))
        except DomainError as error:
            return _refused(error)

    @strawberry.mutation(description="Cancel an open order nothing of which is picked; its "
                                     "reservations and backorders are released.")
    async def cancel_sales_order(
        self, info: Info, input: CancelSalesOrderInput
    ) -> SalesOrderPayload:
        try:
            view = await orders.cancel_sales_order(
                info.context.db, info.context.user(), input.number, input.reason,
                input.based_on_version)
        except DomainError as error:
            return _refused(error)
        return SalesOrderPayload(sales_order=SalesOrder.from_view(view), shortages=[],
                                 user_errors=[])
