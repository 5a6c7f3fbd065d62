"""The warehouse to-do list: QC and putaway tasks opened by receipts and inspections, pick tasks
opened by pick lists, advanced by decisions, putaways and picks, each change told as a
``warehouse_task`` event in its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.models import Location, LocationType, Product
from server.catalog.queries import PageRequest
from server.catalog.service import warehouse_by_code
from server.db import Database, IdType, insert_rows, utcnow
from server.errors import NotFound
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.events import record_event
from server.inventory.models import Bucket, StockQuant
from server.inventory.valuation import round4
from server.pagination import Page, paginate
from server.receiving.models import (
    Inspection,
    Receipt,
    ReceiptLine,
    TaskKind,
    TaskStatus,
    WarehouseTask,
)
from server.receiving.task_rules import BinStock, EmptyBin, advance, suggest_bins

TOPIC = "warehouse_task"
TASK_CREATED = "TASK_CREATED"
TASK_UPDATED = "TASK_UPDATED"
TASK_DONE = "TASK_DONE"
TASK_KINDS = frozenset({TASK_CREATED, TASK_UPDATED, TASK_DONE})


def document_type_of(task: WarehouseTask) -> str:
    """The kind of document a task serves, from its number's prefix: a goods receipt (GR), a
    pick list (PK), a transfer (TR, whose picks and receipts both land on the to-do list), a
    return receipt (RR)."""
    return task.document_number.split("-", 1)[0]


async def task_event(session: AsyncSession, task: WarehouseTask, kind: str, sku: str) -> None:
    """Tell the warehouse's to-do screens that ``task`` appeared, moved on or finished."""
    await record_event(
        session, topic=TOPIC, kind=kind, warehouse_id=task.warehouse_id,
        document_type=document_type_of(task), document_number=task.document_number,
        payload={"taskId": task.id, "kind": task.kind, "status": task.status, "sku": sku,
                 "quantity": str(round4(task.quantity)),
                 "doneQuantity": str(round4(task.done_quantity))},
    )


_STORAGE = (Location.warehouse_id == bindparam("warehouse_id"),
            Location.type == LocationType.STORAGE.value, Location.active.is_(True))
_HELD, _EMPTY, _PROMISED = "held", "empty", "promised"
_empty_bins = select(Location.id, Location.code).where(*_STORAGE, ~exists().where(
    StockQuant.location_id == Location.id, StockQuant.quantity > 0)).cte("empty_bin")
_no_quantity = cast(null(), StockQuant.quantity.type)
# Built once, one round trip (every receipt and accepted inspection suggests bins), each row
# tagged with its kind: the bins holding the products, the empty bins, and the distinct
# (empty bin, product) pairs of open putaways already promised there (open tasks pile up while
# goods wait at the dock, the pairs do not).
_BIN_FACTS = union_all(
    select(literal(_HELD), StockQuant.product_id, Location.id, Location.code,
           func.sum(StockQuant.quantity))
    .join(Location, Location.id == StockQuant.location_id)
    .where(StockQuant.product_id.in_(bindparam("products", expanding=True)),
           StockQuant.quantity > 0, *_STORAGE)
    .group_by(StockQuant.product_id, Location.id, Location.code),
    select(literal(_EMPTY), cast(null(), IdType), _empty_bins.c.id, _empty_bins.c.code,
           _no_quantity),
    select(literal(_PROMISED), WarehouseTask.product_id, WarehouseTask.suggested_location_id,
           cast(null(), Location.code.type), _no_quantity).where(
        WarehouseTask.warehouse_id == bindparam("warehouse_id"),
        WarehouseTask.kind == TaskKind.PUTAWAY.value,
        WarehouseTask.status == TaskStatus.OPEN.value,
        WarehouseTask.suggested_location_id.in_(select(_empty_bins.c.id)),
    ).distinct(),
)


async def suggested_bins(
    session: AsyncSession, warehouse_id: int, product_ids: Sequence[int]
) -> dict[int, int | None]:
    """Where to put each product away in the warehouse (see ``suggest_bins``)."""
    holding: dict[int, list[BinStock]] = defaultdict(list)
    empty_bins: dict[int, str] = {}
    promised: dict[int, set[int]] = defaultdict(set)
    for kind, product_id, location_id, code, quantity in await session.execute(
            _BIN_FACTS, {"warehouse_id": warehouse_id, "products": list(product_ids)}):
        if kind == _HELD:
            holding[product_id].append(BinStock(location_id, code, quantity))
        elif kind == _EMPTY:
            empty_bins[location_id] = code
        else:
            promised[location_id].add(product_id)
    empty = [EmptyBin(i, code, frozenset(promised[i])) for i, code in empty_bins.items()]
    return suggest_bins(product_ids, holding, empty)


async def receipt_bins(
    session: AsyncSession, receipt: Receipt, lines: list[ReceiptLine]
) -> dict[int, int | None]:
    """The bins to suggest for the lines received straight to available, read before the
    receipt takes its number (``open_receipt_tasks``)."""
    to_store = [line.product_id for line in lines if line.bucket == Bucket.AVAILABLE.value]
    return await suggested_bins(session, receipt.warehouse_id, to_store) if to_store else {}


async def open_receipt_tasks(
    session: AsyncSession, receipt: Receipt, lines: list[ReceiptLine],
    products: dict[int, Product], bins: dict[int, int | None],
) -> None:
    """In the receipt's transaction: a QC task per line received into pending_qc, a putaway
    task (with a suggested bin from ``receipt_bins``) per line received straight to available.
    The tasks belong to the warehouse, not to whoever received."""
    rows: list[dict[str, Any]] = []
    for line in lines:
        putaway = line.bucket == Bucket.AVAILABLE.value
        rows.append({
            "kind": (TaskKind.PUTAWAY if putaway else TaskKind.QC).value,
            "status": TaskStatus.OPEN.value, "warehouse_id": receipt.warehouse_id,
            "product_id": line.product_id, "lot": line.lot, "location_id": receipt.location_id,
            "bucket": line.bucket,
            "suggested_location_id": bins.get(line.product_id) if putaway else None,
            "quantity": line.quantity, "done_quantity": Decimal(0), "receipt_line_id": line.id,
            "document_number": receipt.number, "created_at": utcnow(),
        })
    ids = await insert_rows(session, WarehouseTask.__table__, rows)
    tasks = [WarehouseTask(id=id_, **row) for id_, row in zip(ids, rows, strict=True)]
    for task in tasks:
        await task_event(session, task, TASK_CREATED, products[task.product_id].sku)


async def open_putaway_task(
    session: AsyncSession, source: WarehouseTask, quantity: Decimal, sku: str
) -> WarehouseTask:
    """After an inspection accepted ``quantity`` of a QC task's stock: put it away."""
    bins = await suggested_bins(session, source.warehouse_id, [source.product_id])
    task = WarehouseTask(
        kind=TaskKind.PUTAWAY.value, status=TaskStatus.OPEN.value,
        warehouse_id=source.warehouse_id, product_id=source.product_id, lot=source.lot,
        location_id=source.location_id, bucket=Bucket.AVAILABLE.value,
        suggested_location_id=bins[source.product_id], quantity=quantity,
        done_quantity=Decimal(0), receipt_line_id=source.receipt_line_id,
        document_number=source.document_number, created_at=utcnow(),
    )
    session.add(task)
    await session.flush()
    await task_event(session, task, TASK_CREATED, sku)
    return task


async def open_pick_task(
    session: AsyncSession, *, warehouse_id: int, product_id: int, sku: str, location_id: int,
    lot: str, quantity: Decimal, pick_list_number: str,
) -> WarehouseTask:
    """A pick list line's job: take ``quantity`` of reserved stock from the bin."""
    task = WarehouseTask(
        kind=TaskKind.PICK.value, status=TaskStatus.OPEN.value, warehouse_id=warehouse_id,
        product_id=product_id, lot=lot, location_id=location_id, bucket=Bucket.RESERVED.value,
        quantity=quantity, done_quantity=Decimal(0), document_number=pick_list_number,
        created_at=utcnow(),
    )
    session.add(task)
    await session.flush()
    await task_event(session, task, TASK_CREATED, sku)
    return task


async def progress(
    session: AsyncSession, task: WarehouseTask, quantity: Decimal, sku: str
) -> None:
    """Count ``quantity`` more as done on ``task`` (locked by the caller), finishing it when
    nothing remains."""
    task.done_quantity += quantity
    if task.done_quantity >= task.quantity:
        task.status = TaskStatus.DONE.value
        task.completed_at = utcnow()
    await session.flush()
    await task_event(session, task, TASK_DONE if task.status == TaskStatus.DONE.value
                     else TASK_UPDATED, sku)


async def lock_task(session: AsyncSession, task_id: int) -> WarehouseTask:
    task = await session.scalar(
        select(WarehouseTask).where(WarehouseTask.id == task_id).with_for_update()
    )
    if task is None:
        raise NotFound(f"no warehouse task {task_id}", field="taskId")
    return task


async def open_putaways_at(
    session: AsyncSession, warehouse_id: int, product_id: int, lot: str, location_id: int
) -> list[WarehouseTask]:
    """The open putaway tasks for this stock, oldest first, locked for advancing."""
    return list(await session.scalars(
        select(WarehouseTask)
        .where(WarehouseTask.warehouse_id == warehouse_id, WarehouseTask.product_id == product_id,
               WarehouseTask.lot == lot, WarehouseTask.location_id == location_id,
               WarehouseTask.kind == TaskKind.PUTAWAY.value,
               WarehouseTask.status == TaskStatus.OPEN.value)
        .order_by(WarehouseTask.created_at, WarehouseTask.id)
        .with_for_update()
    ))


@dataclass(frozen=True, slots=True)
class TaskFilter:
    warehouse_code: str
    kinds: Sequence[TaskKind] | None = None
    status: TaskStatus | None = TaskStatus.OPEN


async def warehouse_tasks(
    session: AsyncSession, principal: Principal, where: TaskFilter, page: PageRequest
) -> Page[WarehouseTask]:
    """A warehouse's tasks, oldest first, narrowed to kinds and a status (None: any)."""
    principal.require_internal()
    warehouse = await warehouse_by_code(session, where.warehouse_code, "warehouseCode")
    stmt = select(WarehouseTask).where(WarehouseTask.warehouse_id == warehouse.id)
    if where.kinds:
        stmt = stmt.where(WarehouseTask.kind.in_([kind.value for kind in where.kinds]))
    if where.status is not None:
        stmt = stmt.where(WarehouseTask.status == where.status.value)
    return await paginate(session, stmt, WarehouseTask.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def tasks_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[WarehouseTask | None]:
    rows = {task.id: task for task in await session.scalars(
        select(WarehouseTask).where(WarehouseTask.id.in_(list(ids))))}
    return [rows.get(i) for i in ids]


async def inspections_by_task_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[Inspection]]:
    """Each task's inspections, in the order they were decided."""
    grouped: dict[int, list[Inspection]] = defaultdict(list)
    for inspection in await session.scalars(
        select(Inspection).where(Inspection.task_id.in_(list(ids))).order_by(Inspection.id)
    ):
        grouped[inspection.task_id].append(inspection)
    return [grouped[i] for i in ids]


async def receipt_lines_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> list[ReceiptLine | None]:
    rows = {line.id: line for line in await session.scalars(
        select(ReceiptLine).where(ReceiptLine.id.in_(list(ids))))}
    return [rows.get(i) for i in ids]


async def task_feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str, after: str | None
) -> AsyncIterator[StoredEvent]:
    """A warehouse's task events (replayed after ``after``, then live) for its to-do screens;
    errors surface here, before the first event."""
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    async with db.reader() as session:
        warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    where = EventFilter(topic=TOPIC, kinds=TASK_KINDS, warehouse_id=warehouse.id)
    return follow(hub, db, where, position)


async def settle_putaways(
    session: AsyncSession, warehouse_id: int, product_id: int,
    taken: Sequence[tuple[int, str, Decimal]],
) -> None:
    """Stock reserved for a sale while still in the receiving bin leaves from there (cross-dock):
    its putaway tasks count that much as done. ``taken``: (bin, lot, quantity) reserved."""
    docks = set(await session.scalars(select(Location.id).where(
        Location.id.in_({location_id for location_id, _, _ in taken}),
        Location.type == LocationType.RECEIVING.value)))
    for location_id, lot, quantity in taken:
        if location_id not in docks:
            continue
        tasks = await open_putaways_at(session, warehouse_id, product_id, lot, location_id)
        if not tasks:
            continue
        sku = (await session.get_one(Product, product_id)).sku
        shares = advance([task.quantity - task.done_quantity for task in tasks], quantity)
        for task, share in zip(tasks, shares, strict=True):
            if share > 0:
                await progress(session, task, share, sku)
