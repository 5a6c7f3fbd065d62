"""Pick lists and shipments as staff read them (the rows with the business keys their rows only
hold as ids), and the locked reads picking and shipping start from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from server.auth import Principal, User
from server.catalog.models import Location, LocationType, Product, Warehouse
from server.catalog.queries import PageRequest
from server.catalog.service import warehouse_by_code
from server.errors import DomainError, InvalidState, NotFound
from server.pagination import Page, paginate
from server.sales.models import (
    PickList,
    PickListLine,
    PickListState,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)


@dataclass(frozen=True, slots=True)
class OrderLineRef:
    order_number: str
    line_no: int


@dataclass(frozen=True, slots=True)
class PickLineView:
    line: PickListLine
    order_line: OrderLineRef
    sku: str
    bin_code: str


@dataclass(frozen=True, slots=True)
class PickListView:
    pick_list: PickList
    warehouse_code: str
    lines: list[PickLineView]

    @property
    def order_numbers(self) -> list[str]:
        """The orders it picks for, in the order their lines first come."""
        return list(dict.fromkeys(line.order_line.order_number for line in self.lines))


@dataclass(frozen=True, slots=True)
class ShipmentLineView:
    line: ShipmentLine
    order_line: OrderLineRef
    sku: str


@dataclass(frozen=True, slots=True)
class ShipmentView:
    shipment: Shipment
    pick_list_number: str
    warehouse_code: str
    shipped_by: str
    lines: list[ShipmentLineView]


async def load_pick_list(session: AsyncSession, number: str, *, lock: bool = False) -> PickList:
    """The pick list with its lines; ``lock`` takes its row for the rest of the transaction."""
    stmt = select(PickList).where(PickList.number == number)
    if lock:
        stmt = stmt.with_for_update()
    found = await session.scalar(stmt.options(selectinload(PickList.lines))
                                 .execution_options(populate_existing=True))
    if found is None:
        raise NotFound(f"no pick list {number!r}", field="pickListNumber")
    return found


async def lock_pick_list(
    session: AsyncSession, number: str, *states: PickListState, based_on_version: int | None
) -> PickList:
    """The pick list, locked; INVALID_STATE outside ``states``, STALE_VERSION when it moved on
    since the version the device showed."""
    pick_list = await load_pick_list(session, number, lock=True)
    if pick_list.state not in {state.value for state in states}:
        raise InvalidState(f"{number} is {pick_list.state}", field="pickListNumber")
    if based_on_version is not None and based_on_version != pick_list.version:
        raise DomainError(f"{number} changed since version {based_on_version}: it is now "
                          f"version {pick_list.version}; reload it", field="basedOnVersion",
                          code="STALE_VERSION")
    return pick_list


async def staging_bin(session: AsyncSession, warehouse_id: int) -> Location:
    """Where picked stock waits for shipping: the warehouse's first active staging bin."""
    location = await session.scalar(
        select(Location).where(Location.warehouse_id == warehouse_id,
                               Location.type == LocationType.STAGING.value,
                               Location.active.is_(True))
        .order_by(Location.code).limit(1))
    if location is None:
        raise InvalidState("the warehouse has no active staging location to pick into",
                           field="pickListNumber")
    return location


async def order_lines_by_ids(
    session: AsyncSession, ids: set[int]
) -> dict[int, OrderLineRef]:
    rows = await session.execute(
        select(SalesOrderLine.id, SalesOrder.number, SalesOrderLine.line_no)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrderLine.id.in_(ids)))
    return {line_id: OrderLineRef(number, line_no) for line_id, number, line_no in rows}


async def _names(
    session: AsyncSession, key: InstrumentedAttribute[int], name: InstrumentedAttribute[str],
    ids: set[int],
) -> dict[int, str]:
    return {i: text for i, text in await session.execute(select(key, name).where(key.in_(ids)))}


async def pick_list_views(
    session: AsyncSession, pick_lists: Sequence[PickList]
) -> list[PickListView]:
    lines = [line for pick_list in pick_lists for line in pick_list.lines]
    order_lines = await order_lines_by_ids(session, {line.order_line_id for line in lines})
    skus = await _names(session, Product.id, Product.sku, {line.product_id for line in lines})
    bins = await _names(session, Location.id, Location.code, {line.location_id for line in lines})
    warehouses = await _names(session, Warehouse.id, Warehouse.code,
                              {pick_list.warehouse_id for pick_list in pick_lists})
    return [
        PickListView(pick_list, warehouses[pick_list.warehouse_id], [
            PickLineView(line, order_lines[line.order_line_id], skus[line.product_id],
                         bins[line.location_id])
            for line in pick_list.lines])
        for pick_list in pick_lists
    ]


async def pick_list_view(session: AsyncSession, number: str) -> PickListView:
    [view] = await pick_list_views(session, [await load_pick_list(session, number)])
    return view


async def pick_list(
    session: AsyncSession, principal: Principal, number: str
) -> PickListView | None:
    principal.require_internal()
    try:
        return await pick_list_view(session, number)
    except NotFound:
        return None


async def list_pick_lists(
    session: AsyncSession, principal: Principal, warehouse_code: str,
    states: Sequence[PickListState] | None, page: PageRequest,
) -> Page[PickListView]:
    """A warehouse's pick lists, oldest first, narrowed to some states."""
    principal.require_internal()
    warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    stmt = (select(PickList).where(PickList.warehouse_id == warehouse.id)
            .options(selectinload(PickList.lines)))
    if states:
        stmt = stmt.where(PickList.state.in_([state.value for state in states]))
    found = await paginate(session, stmt, PickList.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size)
    views = await pick_list_views(session, found.rows)
    return Page(views, found.cursors, found.has_next_page, found.has_previous_page)


async def shipment_view(session: AsyncSession, number: str) -> ShipmentView:
    shipment = await session.scalar(select(Shipment).where(Shipment.number == number)
                                    .options(selectinload(Shipment.lines)))
    if shipment is None:
        raise NotFound(f"no shipment {number!r}", field="number")
    lines = shipment.lines
    order_lines = await order_lines_by_ids(session, {line.order_line_id for line in lines})
    skus = await _names(session, Product.id, Product.sku, {line.product_id for line in lines})
    pick_list_number = await session.scalar(
        select(PickList.number).where(PickList.id == shipment.pick_list_id))
    warehouse = await session.get_one(Warehouse, shipment.warehouse_id)
    user = await session.get_one(User, shipment.shipped_by_id)
    return ShipmentView(shipment, str(pick_list_number), warehouse.code, user.username, [
        ShipmentLineView(line, order_lines[line.order_line_id], skus[line.product_id])
        for line in lines])


async def shipment(
    session: AsyncSession, principal: Principal, number: str
) -> ShipmentView | None:
    principal.require_internal()
    try:
        return await shipment_view(session, number)
    except NotFound:
        return None
