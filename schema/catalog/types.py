"""GraphQL types for master data, built from ORM rows with ``from_row``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import Info
from schema.errors import UserError
from server import auth
from server.catalog import models
from server.catalog.access import visible_supplier_items

LocationType = strawberry.enum(models.LocationType, name="LocationType")


@strawberry.type
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    active: bool
    created_at: datetime
    row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Warehouse) -> Warehouse:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, name=row.name, active=row.active,
                   created_at=row.created_at, row_id=row.id)

    @strawberry.field
    async def locations(self, info: Info) -> list[Location]:
        rows = await info.context.loaders.locations_of_warehouse.load(self.row_id)
        return [Location.from_row(row) for row in rows]


@strawberry.type(description="A bin or area; its code is its barcode.")
class Location:
    id: strawberry.ID
    code: str
    type: LocationType
    active: bool
    warehouse_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Location) -> Location:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, type=models.LocationType(row.type),
                   active=row.active, warehouse_id=row.warehouse_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None
    user_errors: list[UserError]


@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]


@strawberry.type(description="A scannable code; one scan counts packQuantity units (a case: 12).")
class ProductBarcode:
    barcode: str
    pack_quantity: Decimal

    @classmethod
    def from_row(cls, row: models.ProductBarcode) -> ProductBarcode:
        return cls(barcode=row.barcode, pack_quantity=row.pack_quantity)


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    category: str
    unit_of_measure: str
    qc_required: bool = strawberry.field(description="Receipts go through quality control.")
    make_to_order: bool = strawberry.field(
        description="Bought for the order: a backorder raises a draft purchase order at once.")
    safety_stock: Decimal
    list_price: Decimal
    active: bool
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(id=strawberry.ID(str(row.id)), sku=row.sku, name=row.name,
                   category=row.category, unit_of_measure=row.unit_of_measure,
                   qc_required=row.qc_required, make_to_order=row.make_to_order,
                   safety_stock=row.safety_stock,
                   list_price=row.list_price, active=row.active, tags=list(row.tags),
                   created_at=row.created_at,
                   updated_at=row.updated_at, row_id=row.id)

    @strawberry.field
    async def barcodes(self, info: Info) -> list[ProductBarcode]:
        rows = await info.context.loaders.barcodes_of_product.load(self.row_id)
        return [ProductBarcode.from_row(row) for row in rows]

    @strawberry.field(description="Who sells it to us, the preferred item first; a supplier "
                                  "user sees only its own.")
    async def supplier_items(self, info: Info) -> list[SupplierItem]:
        rows = await info.context.loaders.supplier_items_of_product.load(self.row_id)
        return [SupplierItem.from_row(row)
                for row in visible_supplier_items(info.context.user(), rows)]


@strawberry.type
class Supplier:
    id: strawberry.ID
    code: str
    name: str
    contact_name: str
    contact_phone: str
    contact_email: str
    over_receipt_tolerance_pct: Decimal = strawberry.field(
        description="How far above the ordered quantity a receipt may go, in percent."
    )
    active: bool
    created_at: datetime
    row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Supplier) -> Supplier:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, name=row.name,
                   contact_name=row.contact_name, contact_phone=row.contact_phone,
                   contact_email=row.contact_email,
                   over_receipt_tolerance_pct=row.over_receipt_tolerance_pct, active=row.active,
                   created_at=row.created_at, row_id=row.id)

    @strawberry.field(description="Its supplier items, active or not.")
    async def items(self, info: Info) -> list[SupplierItem]:
        rows = await info.context.loaders.supplier_items_of_supplier.load(self.row_id)
        return [SupplierItem.from_row(row) for row in rows]


@strawberry.type(description="One supplier's terms for one product.")
class SupplierItem:
    id: strawberry.ID
    price: Decimal
    currency: str
    moq: Decimal = strawberry.field(description="Minimum order quantity.")
    pack_multiple: Decimal = strawberry.field(description="Orders come in multiples of this.")
    lead_time_days: int
    preferred: bool = strawberry.field(description="At most one item per product is preferred.")
    active: bool
    supplier_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.SupplierItem) -> SupplierItem:
        return cls(id=strawberry.ID(str(row.id)), price=row.price, currency=row.currency,
                   moq=row.moq, pack_multiple=row.pack_multiple,
                   lead_time_days=row.lead_time_days, preferred=row.preferred, active=row.active,
                   supplier_id=row.supplier_id, product_id=row.product_id)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return Supplier.from_row(await info.context.loaders.supplier.load(self.supplier_id))


@strawberry.type(description="The user who looks after a customer.")
class Salesperson:
    username: str
    display_name: str

    @classmethod
    def from_row(cls, row: auth.User) -> Salesperson:
        return cls(username=row.username, display_name=row.display_name)


@strawberry.type
class Customer:
    id: strawberry.ID
    code: str
    name: str
    region: str
    active: bool
    created_at: datetime
    salesperson_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, name=row.name, region=row.region,
                   active=row.active, created_at=row.created_at,
                   salesperson_id=row.salesperson_id)

    @strawberry.field
    async def salesperson(self, info: Info) -> Salesperson | None:
        if self.salesperson_id is None:
            return None
        return Salesperson.from_row(await info.context.loaders.salesperson.load(
            self.salesperson_id
        ))


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class SupplierPayload:
    supplier: Supplier | None
    user_errors: list[UserError]


@strawberry.type
class SupplierItemPayload:
    supplier_item: SupplierItem | None
    user_errors: list[UserError]


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    user_errors: list[UserError]
