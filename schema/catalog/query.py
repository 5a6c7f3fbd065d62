"""Master-data queries: Relay connections with filters, and look-ups by business key."""

from __future__ import annotations

import strawberry

from schema.catalog.types import Customer, Location, LocationType, Product, Supplier, Warehouse
from schema.context import Info
from schema.pagination import Connection, connection
from server.catalog import customers, products, suppliers
from server.catalog import queries as catalog
from server.catalog.customers import CustomerFilter
from server.catalog.products import ProductFilter
from server.catalog.queries import LocationFilter, PageRequest
from server.catalog.suppliers import SupplierFilter


def page_request(info: Info, first: int, after: str | None) -> PageRequest:
    return PageRequest(first=first, after=after, max_page_size=info.context.settings.max_page_size)


@strawberry.type
class CatalogQuery:
    @strawberry.field
    async def warehouses(
        self, info: Info, first: int = 50, after: str | None = None, active: bool | None = None
    ) -> Connection[Warehouse]:
        page = await catalog.list_warehouses(
            info.context.session, info.context.user(), page_request(info, first, after), active
        )
        return connection(page, Warehouse.from_row)

    @strawberry.field
    async def warehouse(self, info: Info, code: str) -> Warehouse | None:
        row = await catalog.warehouse_of_code(info.context.session, info.context.user(), code)
        return Warehouse.from_row(row) if row else None

    @strawberry.field
    async def locations(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        warehouse_code: str | None = None,
        type: LocationType | None = None,
        active: bool | None = None,
        code_prefix: str | None = None,
    ) -> Connection[Location]:
        where = LocationFilter(
            warehouse_code=warehouse_code,
            type=type,
            active=active,
            code_prefix=code_prefix,
        )
        page = await catalog.list_locations(
            info.context.session, info.context.user(), page_request(info, first, after), where
        )
        return connection(page, Location.from_row)

    @strawberry.field(description="Products; search matches sku or name. A supplier user sees "
                                  "only the products it supplies.")
    async def products(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        search: str | None = None,
        category: str | None = None,
        active: bool | None = None,
        qc_required: bool | None = None,
    ) -> Connection[Product]:
        where = ProductFilter(search=search, category=category, active=active,
                              qc_required=qc_required)
        page = await products.list_products(
            info.context.session, info.context.user(), page_request(info, first, after), where
        )
        return connection(page, Product.from_row)

    @strawberry.field
    async def product(self, info: Info, sku: str) -> Product | None:
        row = await products.product_of_sku(info.context.session, info.context.user(), sku)
        return Product.from_row(row) if row else None

    @strawberry.field(description="The product a scanned barcode belongs to.")
    async def product_by_barcode(self, info: Info, barcode: str) -> Product | None:
        row = await products.product_of_barcode(info.context.session, info.context.user(),
                                                barcode)
        return Product.from_row(row) if row else None

    @strawberry.field(description="Suppliers; search matches code or name. A supplier user "
                                  "sees only its own.")
    async def suppliers(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        search: str | None = None,
        active: bool | None = None,
    ) -> Connection[Supplier]:
        page = await suppliers.list_suppliers(
            info.context.session, info.context.user(), page_request(info, first, after),
            SupplierFilter(search=search, active=active),
        )
        return connection(page, Supplier.from_row)

    @strawberry.field
    async def supplier(self, info: Info, code: str) -> Supplier | None:
        row = await suppliers.supplier_of_code(info.context.session, info.context.user(), code)
        return Supplier.from_row(row) if row else None

    @strawberry.field(description="Customers; search matches code or name, salesperson is a "
                                  "username.")
    async def customers(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        search: str | None = None,
        region: str | None = None,
        salesperson: str | None = None,
        active: bool | None = None,
    ) -> Connection[Customer]:
        where = CustomerFilter(search=search, region=region, salesperson=salesperson,
                               active=active)
        page = await customers.list_customers(
            info.context.session, info.context.user(), page_request(info, first, after), where
        )
        return connection(page, Customer.from_row)

    @strawberry.field
    async def customer(self, info: Info, code: str) -> Customer | None:
        row = await customers.customer_of_code(info.context.session, info.context.user(), code)
        return Customer.from_row(row) if row else None
