"""Master-data mutations: build the input, call one use case, map its result or errors."""

from __future__ import annotations

import strawberry

from schema.catalog.types import (
    Location,
    LocationPayload,
    LocationType,
    Warehouse,
    WarehousePayload,
)
from schema.context import Info
from schema.errors import attempt
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
