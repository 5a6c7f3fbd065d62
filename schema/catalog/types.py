"""GraphQL types for master data, built from ORM rows with ``from_row``."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.context import Info
from schema.errors import UserError
from server.catalog import models

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
