"""Master-data mutations: build the input, call one use case, map its result or errors."""

from __future__ import annotations

import strawberry

from schema.catalog.inputs import (
    CreateCustomerInput,
    CreateProductInput,
    CreateSupplierInput,
    SetSupplierItemInput,
    UpdateCustomerInput,
    UpdateProductInput,
    UpdateSupplierInput,
)
from schema.catalog.types import (
    Customer,
    CustomerPayload,
    Location,
    LocationPayload,
    LocationType,
    Product,
    ProductPayload,
    Supplier,
    SupplierItem,
    SupplierItemPayload,
    SupplierPayload,
    Warehouse,
    WarehousePayload,
)
from schema.context import Info
from schema.errors import attempt
from server.catalog import customers, products, supplier_items, suppliers
from server.catalog import service as catalog
from server.catalog.service import LocationDraft, WarehouseDraft


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str


@strawberry.input
class UpdateWarehouseInput:
    code: str = strawberry.field(description="Which warehouse; codes never change.")
    name: str | None = None
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")


@strawberry.input
class CreateLocationInput:
    code: str = strawberry.field(description="The bin's code, printed as its barcode.")
    warehouse_code: str
    type: LocationType


@strawberry.input
class UpdateLocationInput:
    code: str
    type: LocationType | None = None
    active: bool | None = None


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        row, errors = await attempt(lambda: catalog.create_warehouse(
            info.context.db, info.context.user(), WarehouseDraft(input.code, input.name)
        ))
        return WarehousePayload(warehouse=row and Warehouse.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def update_warehouse(self, info: Info, input: UpdateWarehouseInput) -> WarehousePayload:
        row, errors = await attempt(lambda: catalog.update_warehouse(
            info.context.db, info.context.user(), input.code, name=input.name, active=input.active
        ))
        return WarehousePayload(warehouse=row and Warehouse.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        draft = LocationDraft(input.code, input.warehouse_code, input.type)
        row, errors = await attempt(
            lambda: catalog.create_location(info.context.db, info.context.user(), draft)
        )
        return LocationPayload(location=row and Location.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def update_location(self, info: Info, input: UpdateLocationInput) -> LocationPayload:
        row, errors = await attempt(lambda: catalog.update_location(
            info.context.db, info.context.user(), input.code,
            type=input.type,
            active=input.active,
        ))
        return LocationPayload(location=row and Location.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        row, errors = await attempt(lambda: products.create_product(
            info.context.db, info.context.user(), input.to_draft()
        ))
        return ProductPayload(product=row and Product.from_row(row), user_errors=errors)

    @strawberry.mutation(description="Change, deactivate or reactivate a product and its "
                                     "barcodes.")
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload:
        row, errors = await attempt(lambda: products.update_product(
            info.context.db, info.context.user(), input.sku, input.to_changes()
        ))
        return ProductPayload(product=row and Product.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def create_supplier(self, info: Info, input: CreateSupplierInput) -> SupplierPayload:
        row, errors = await attempt(lambda: suppliers.create_supplier(
            info.context.db, info.context.user(), input.to_draft()
        ))
        return SupplierPayload(supplier=row and Supplier.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def update_supplier(self, info: Info, input: UpdateSupplierInput) -> SupplierPayload:
        row, errors = await attempt(lambda: suppliers.update_supplier(
            info.context.db, info.context.user(), input.code, input.to_changes()
        ))
        return SupplierPayload(supplier=row and Supplier.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def set_supplier_item(
        self, info: Info, input: SetSupplierItemInput
    ) -> SupplierItemPayload:
        row, errors = await attempt(lambda: supplier_items.set_supplier_item(
            info.context.db, info.context.user(), input.to_terms()
        ))
        return SupplierItemPayload(supplier_item=row and SupplierItem.from_row(row),
                                   user_errors=errors)

    @strawberry.mutation
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        row, errors = await attempt(lambda: customers.create_customer(
            info.context.db, info.context.user(), input.to_draft()
        ))
        return CustomerPayload(customer=row and Customer.from_row(row), user_errors=errors)

    @strawberry.mutation
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        row, errors = await attempt(lambda: customers.update_customer(
            info.context.db, info.context.user(), input.code, input.to_changes()
        ))
        return CustomerPayload(customer=row and Customer.from_row(row), user_errors=errors)
