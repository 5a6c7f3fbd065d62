"""Master-data use cases: one transaction each, the role checked first, input validated before
anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Location, LocationType, Warehouse
from server.catalog.rules import code_problem, name_problem, raise_problems
from server.db import Database
from server.errors import Duplicate, InvalidInput, InvalidState, NotFound

WAREHOUSE_EDITORS = (Role.WAREHOUSE,)


@dataclass(frozen=True, slots=True)
class WarehouseDraft:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class LocationDraft:
    code: str
    warehouse_code: str
    type: LocationType


async def warehouse_by_code(session: AsyncSession, code: str, field: str = "code") -> Warehouse:
    warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        raise NotFound(f"no warehouse with code {code!r}", field=field)
    return warehouse


async def location_by_code(session: AsyncSession, code: str, field: str = "code") -> Location:
    location = await session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise NotFound(f"no location with code {code!r}", field=field)
    return location


def _first_active_of(columns: Any, warehouse_id: Any, kind: Any) -> Select[Any]:
    """A warehouse's first active location of a kind, by code: where goods of that kind go."""
    return (select(columns)
            .where(Location.warehouse_id == warehouse_id, Location.type == kind,
                   Location.active.is_(True))
            .order_by(Location.code).limit(1))


# Built once: every receipt, inspection and return looks up its bin.
_FIRST_ACTIVE = _first_active_of(Location, bindparam("warehouse_id"), bindparam("kind"))


async def _first_active(session: AsyncSession, warehouse_id: int,
                        kind: LocationType) -> Location | None:
    return await session.scalar(_FIRST_ACTIVE, {"warehouse_id": warehouse_id,
                                                 "kind": kind.value})


# The id of ``receiving_bin``, for a statement that reads its warehouse (correlated to it).
RECEIVING_BIN_ID = (_first_active_of(Location.id, Warehouse.id, LocationType.RECEIVING.value)
                    .correlate(Warehouse).scalar_subquery())


async def receiving_bin(session: AsyncSession, warehouse_id: int) -> Location:
    """Where goods arriving at a warehouse land: its first active receiving bin."""
    location = await _first_active(session, warehouse_id, LocationType.RECEIVING)
    if location is None:
        raise no_receiving_bin((await session.get_one(Warehouse, warehouse_id)).code)
    return location


def no_receiving_bin(warehouse_code: str) -> InvalidState:
    return InvalidState(f"warehouse {warehouse_code} has no active receiving bin",
                        field="warehouseCode")


async def reject_location(session: AsyncSession, warehouse_id: int, code: str | None) -> Location:
    """The bin named, which must be an active location of the warehouse; else the warehouse's
    first active rejected-type location."""
    field = "rejectLocationCode"
    if code is not None:
        location = await location_by_code(session, code, field)
        if location.warehouse_id != warehouse_id or not location.active:
            raise InvalidInput(f"{code} is not an active location of the task's warehouse",
                               field=field)
        return location
    location = await _first_active(session, warehouse_id, LocationType.REJECTED)
    if location is None:
        warehouse = await session.get_one(Warehouse, warehouse_id)
        raise InvalidInput(f"warehouse {warehouse.code} has no active rejected location: give "
                           f"{field}", field=field)
    return location


async def create_warehouse(db: Database, principal: Principal, draft: WarehouseDraft) -> Warehouse:
    principal.require(*WAREHOUSE_EDITORS)
    raise_problems(code_problem(draft.code, "code"), name_problem(draft.name))
    async with db.transaction() as session:
        if await session.scalar(select(Warehouse.id).where(Warehouse.code == draft.code)):
            raise Duplicate(f"a warehouse with code {draft.code!r} exists", field="code")
        warehouse = Warehouse(code=draft.code, name=draft.name.strip())
        session.add(warehouse)
        await session.flush()
        return warehouse


async def update_warehouse(
    db: Database, principal: Principal, code: str, *, name: str | None, active: bool | None
) -> Warehouse:
    principal.require(*WAREHOUSE_EDITORS)
    raise_problems(name_problem(name) if name is not None else None)
    async with db.transaction() as session:
        warehouse = await warehouse_by_code(session, code)
        if name is not None:
            warehouse.name = name.strip()
        if active is not None:
            warehouse.active = active
        await session.flush()
        return warehouse


async def create_location(db: Database, principal: Principal, draft: LocationDraft) -> Location:
    principal.require(*WAREHOUSE_EDITORS)
    raise_problems(code_problem(draft.code, "code"))
    async with db.transaction() as session:
        warehouse = await warehouse_by_code(session, draft.warehouse_code, "warehouseCode")
        if not warehouse.active:
            raise InvalidInput(f"warehouse {warehouse.code} is inactive", field="warehouseCode")
        if await session.scalar(select(Location.id).where(Location.code == draft.code)):
            raise Duplicate(f"a location with code {draft.code!r} exists", field="code")
        location = Location(code=draft.code, warehouse_id=warehouse.id, type=draft.type.value)
        session.add(location)
        await session.flush()
        return location


async def update_location(
    db: Database, principal: Principal, code: str, *, type: LocationType | None,
    active: bool | None,
) -> Location:
    principal.require(*WAREHOUSE_EDITORS)
    async with db.transaction() as session:
        location = await location_by_code(session, code)
        if type is not None:
            location.type = type.value
        if active is not None:
            location.active = active
        await session.flush()
        return location
