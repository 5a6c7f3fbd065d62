"""Master-data reads: filtered pages and batch look-ups for DataLoaders (one query per batch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Location, LocationType, Warehouse
from server.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: str | None
    max_page_size: int


@dataclass(frozen=True, slots=True)
class LocationFilter:
    warehouse_code: str | None = None
    type: LocationType | None = None
    active: bool | None = None
    code_prefix: str | None = None


async def list_warehouses(
    session: AsyncSession, principal: Principal, page: PageRequest, active: bool | None = None
) -> Page[Warehouse]:
    principal.require_internal()
    stmt = select(Warehouse)
    if active is not None:
        stmt = stmt.where(Warehouse.active.is_(active))
    return await paginate(session, stmt, Warehouse.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def list_locations(
    session: AsyncSession, principal: Principal, page: PageRequest, where: LocationFilter
) -> Page[Location]:
    principal.require_internal()
    stmt = select(Location)
    if where.warehouse_code is not None:
        stmt = stmt.join(Warehouse).where(Warehouse.code == where.warehouse_code)
    if where.type is not None:
        stmt = stmt.where(Location.type == where.type.value)
    if where.active is not None:
        stmt = stmt.where(Location.active.is_(where.active))
    if where.code_prefix:
        stmt = stmt.where(Location.code.startswith(where.code_prefix, autoescape=True))
    return await paginate(session, stmt, Location.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def warehouse_of_code(
    session: AsyncSession, principal: Principal, code: str
) -> Warehouse | None:
    principal.require_internal()
    return await session.scalar(select(Warehouse).where(Warehouse.code == code))


async def warehouses_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Warehouse | None]:
    rows = {w.id: w for w in await session.scalars(select(Warehouse).where(Warehouse.id.in_(ids)))}
    return [rows.get(i) for i in ids]


async def locations_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Location | None]:
    stmt = select(Location).where(Location.id.in_(ids))
    rows = {location.id: location for location in await session.scalars(stmt)}
    return [rows.get(i) for i in ids]


async def locations_by_warehouse_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[Location]]:
    grouped: dict[int, list[Location]] = defaultdict(list)
    stmt = select(Location).where(Location.warehouse_id.in_(ids)).order_by(Location.code)
    for location in await session.scalars(stmt):
        grouped[location.warehouse_id].append(location)
    return [grouped[i] for i in ids]
