"""Reading stocktakes: one by number with its lines and count tasks, the list, and the live
feeds of count tasks and status changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.approvals import service as approvals
from server.approvals.models import ApprovalTask
from server.auth import Principal
from server.catalog.models import Location, Product
from server.catalog.queries import PageRequest
from server.catalog.service import warehouse_by_code
from server.db import Database
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.pagination import Page, paginate
from server.stocktake import events
from server.stocktake.models import Stocktake, StocktakeBin
from server.stocktake.rules import StocktakeStatus, VarianceLine, sees_expected
from server.stocktake.service import APPROVAL_DOCUMENT_TYPE
from server.stocktake.variances import lines_of


@dataclass(frozen=True, slots=True)
class LineView:
    """A line as the viewer may see it: in a blind count a counter gets no expected quantity
    (nor the variance, which would give it away)."""

    line: VarianceLine
    location_code: str
    sku: str
    expected_visible: bool


@dataclass(frozen=True, slots=True)
class TaskView:
    task: StocktakeBin
    location_code: str


async def stocktake(
    session: AsyncSession, principal: Principal, number: str
) -> Stocktake | None:
    principal.require_internal()
    return await session.scalar(select(Stocktake).where(Stocktake.number == number.strip()))


async def line_views(
    session: AsyncSession, principal: Principal, stocktake: Stocktake
) -> list[LineView]:
    lines = await lines_of(session, stocktake)
    visible = sees_expected(stocktake.blind, StocktakeStatus(stocktake.status),
                            frozenset(principal.roles))
    codes = await _location_codes(session, {line.key[0] for line in lines})
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({line.key[1] for line in lines})))).all())
    return [LineView(line, codes[line.key[0]], skus[line.key[1]], visible) for line in lines]


async def task_views(session: AsyncSession, stocktake: Stocktake) -> list[TaskView]:
    tasks = list(await session.scalars(
        select(StocktakeBin).where(StocktakeBin.stocktake_id == stocktake.id)))
    codes = await _location_codes(session, {task.location_id for task in tasks})
    views = [TaskView(task, codes[task.location_id]) for task in tasks]
    return sorted(views, key=lambda view: view.location_code)


async def approval_trail(session: AsyncSession, stocktake: Stocktake) -> list[ApprovalTask]:
    """Every approval task of the stocktake's postings: who decided, when, and why."""
    [trail] = await approvals.trails_by_document_ids(session, APPROVAL_DOCUMENT_TYPE,
                                                     [stocktake.id])
    return trail


async def _location_codes(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    return dict((await session.execute(
        select(Location.id, Location.code).where(Location.id.in_(ids)))).all())


@dataclass(frozen=True, slots=True)
class StocktakeFilter:
    warehouse_code: str | None = None
    statuses: Sequence[StocktakeStatus] | None = None


async def stocktakes(
    session: AsyncSession, principal: Principal, where: StocktakeFilter, page: PageRequest
) -> Page[Stocktake]:
    """Stocktakes, newest first, narrowed to a warehouse and statuses."""
    principal.require_internal()
    stmt = select(Stocktake)
    if where.warehouse_code is not None:
        warehouse = await warehouse_by_code(session, where.warehouse_code, "warehouseCode")
        stmt = stmt.where(Stocktake.warehouse_id == warehouse.id)
    if where.statuses:
        stmt = stmt.where(Stocktake.status.in_([status.value for status in where.statuses]))
    return await paginate(session, stmt, Stocktake.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size, newest_first=True)


async def task_by_id(session: AsyncSession, task_id: int) -> TaskView:
    task = await session.get_one(StocktakeBin, task_id)
    location = await session.get_one(Location, task.location_id)
    return TaskView(task, location.code)


async def task_feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str, after: str | None
) -> AsyncIterator[StoredEvent]:
    """A warehouse's count task events (replayed after ``after``, then live)."""
    return await _feed(db, hub, principal, warehouse_code, after, events.TASK_TOPIC,
                       events.TASK_KINDS)


async def status_feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str, after: str | None
) -> AsyncIterator[StoredEvent]:
    """A warehouse's stocktake status events (replayed after ``after``, then live)."""
    return await _feed(db, hub, principal, warehouse_code, after, events.STATUS_TOPIC,
                       events.STATUS_KINDS)


async def _feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str, after: str | None,
    topic: str, kinds: frozenset[str],
) -> AsyncIterator[StoredEvent]:
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    async with db.reader() as session:
        warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    return follow(hub, db, EventFilter(topic=topic, kinds=kinds, warehouse_id=warehouse.id),
                  position)
