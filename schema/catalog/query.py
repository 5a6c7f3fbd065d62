"""Master-data queries: Relay connections with filters, and look-ups by business key."""

from __future__ import annotations

import strawberry

from schema.catalog.types import Location, LocationType, Warehouse
from schema.context import Info
from schema.pagination import Connection, connection
from server.catalog import queries as catalog
from server.catalog.queries import LocationFilter, PageRequest


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
