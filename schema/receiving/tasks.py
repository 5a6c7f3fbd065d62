"""The warehouse to-do list: QC, putaway and pick tasks, the decisions and putaways that work
them off, and a live feed of them per warehouse."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.catalog.types import Location, Product
from schema.context import Info
from schema.errors import UserError, attempt
from schema.inventory.types import StockMovement
from schema.live import drained, live_hub
from schema.loaders import Loaders
from schema.pagination import Connection, connection
from server.errors import NotFound
from server.receiving import inspection, putaway, tasks
from server.receiving import models as rows
from server.receiving.models import InspectionResult, TaskKind, TaskStatus
from server.receiving.task_rules import PutawayRequest

KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first result."

WarehouseTaskKind = strawberry.enum(TaskKind, name="WarehouseTaskKind")
WarehouseTaskStatus = strawberry.enum(TaskStatus, name="WarehouseTaskStatus")
InspectionResultKind = strawberry.enum(InspectionResult, name="InspectionResult")


@strawberry.type(description="One QC decision on part (or all) of a QC task.")
class Inspection:
    result: InspectionResultKind
    accepted_quantity: Decimal
    rejected_quantity: Decimal
    notes: str
    decided_at: datetime
    inspector_id: strawberry.Private[int]
    rejected_location_id: strawberry.Private[int | None]
    loaders: strawberry.Private[Loaders]

    @classmethod
    def from_row(cls, row: rows.Inspection, loaders: Loaders) -> Inspection:
        return cls(result=InspectionResult(row.result), accepted_quantity=row.accepted_quantity,
                   rejected_quantity=row.rejected_quantity, notes=row.notes,
                   decided_at=row.decided_at, inspector_id=row.inspector_id,
                   rejected_location_id=row.rejected_location_id, loaders=loaders)

    @strawberry.field(description="The inspector's username.")
    async def inspector(self) -> str:
        user = await self.loaders.user.load(self.inspector_id)
        return str(user.username)

    @strawberry.field(description="Where the rejected part went.")
    async def rejected_location(self) -> Location | None:
        if self.rejected_location_id is None:
            return None
        return Location.from_row(await self.loaders.location.load(self.rejected_location_id))


@strawberry.type(description="A job on the warehouse to-do list: inspect received stock, or put "
                             "it away into a bin.")
class WarehouseTask:
    id: strawberry.ID
    kind: WarehouseTaskKind
    status: WarehouseTaskStatus
    lot: str
    quantity: Decimal
    done_quantity: Decimal
    remaining_quantity: Decimal
    document_number: str = strawberry.field(
        description="The document it serves: the goods receipt (GR) for QC and putaway, the "
                    "pick list (PK) for a pick.")
    created_at: datetime
    completed_at: datetime | None
    row: strawberry.Private[rows.WarehouseTask]
    # Per request, or per pushed event in a subscription: never the connection's, which would
    # serve what it read at the first event for the life of the WebSocket.
    loaders: strawberry.Private[Loaders]

    @classmethod
    def from_row(cls, row: rows.WarehouseTask, loaders: Loaders) -> WarehouseTask:
        return cls(
            id=strawberry.ID(str(row.id)), kind=TaskKind(row.kind), status=TaskStatus(row.status),
            lot=row.lot, quantity=row.quantity, done_quantity=row.done_quantity,
            remaining_quantity=row.quantity - row.done_quantity,
            document_number=row.document_number, created_at=row.created_at,
            completed_at=row.completed_at, row=row, loaders=loaders,
        )

    @strawberry.field
    async def product(self) -> Product:
        return Product.from_row(await self.loaders.product.load(self.row.product_id))

    @strawberry.field
    async def sku(self) -> str:
        return str((await self.loaders.product.load(self.row.product_id)).sku)

    @strawberry.field(description="Where the stock lies now.")
    async def location(self) -> Location:
        return Location.from_row(await self.loaders.location.load(self.row.location_id))

    @strawberry.field(description="Putaway: the bin to take it to (the product's bin, else an "
                                   "empty one).")
    async def suggested_location(self) -> Location | None:
        if self.row.suggested_location_id is None:
            return None
        return Location.from_row(await self.loaders.location.load(
            self.row.suggested_location_id))

    @strawberry.field
    async def receipt_line_no(self) -> int | None:
        if self.row.receipt_line_id is None:
            return None
        line = await self.loaders.receipt_line.load(self.row.receipt_line_id)
        return int(line.line_no)

    @strawberry.field
    async def inspections(self) -> list[Inspection]:
        found = await self.loaders.inspections_of_task.load(self.row.id)
        return [Inspection.from_row(row, self.loaders) for row in found]


@strawberry.type(description="A task that appeared (TASK_CREATED), moved on (TASK_UPDATED) or "
                             "finished (TASK_DONE), as it stands now.")
class WarehouseTaskEvent:
    cursor: str
    kind: str
    task: WarehouseTask


@strawberry.input
class RecordInspectionInput:
    task_id: strawberry.ID
    result: InspectionResultKind
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    accepted_quantity: Decimal = Decimal(0)
    rejected_quantity: Decimal = Decimal(0)
    notes: str = ""
    reject_location_code: str | None = strawberry.field(
        default=None, description="Where the rejected part goes; by default the warehouse's "
                                  "rejected location.")


@strawberry.type
class RecordInspectionPayload:
    task: WarehouseTask | None
    user_errors: list[UserError]


@strawberry.input
class PutawayInput:
    sku: str
    from_location_code: str
    to_location_barcode: str = strawberry.field(description="The target bin's code, as scanned.")
    quantity: Decimal
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    lot: str | None = None
    warehouse_code: str | None = strawberry.field(
        default=None, description="Optional check: both bins must be in this warehouse.")


@strawberry.type
class PutawayPayload:
    movement: StockMovement | None
    tasks: list[WarehouseTask] = strawberry.field(
        description="The putaway tasks this advanced, oldest first; empty for a plain bin move.")
    user_errors: list[UserError]


def _task_id(value: strawberry.ID) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"no warehouse task {value!r}", field="taskId") from None


@strawberry.type
class TaskQuery:
    @strawberry.field(description="A warehouse's tasks, oldest first; status null means any.")
    async def warehouse_tasks(
        self, info: Info, warehouse_code: str, kinds: list[WarehouseTaskKind] | None = None,
        status: WarehouseTaskStatus | None = TaskStatus.OPEN, first: int = 50,
        after: str | None = None,
    ) -> Connection[WarehouseTask]:
        context = info.context
        page = await tasks.warehouse_tasks(
            context.session, context.user(),
            tasks.TaskFilter(warehouse_code, kinds, status), page_request(info, first, after))
        return connection(page, lambda row: WarehouseTask.from_row(row, context.loaders))


@strawberry.type
class TaskMutation:
    @strawberry.mutation(description="Decide part (or all) of a QC task: accepted stock becomes "
                                     "available (and gets a putaway task), rejected stock goes "
                                     "to a rejected location.")
    async def record_inspection(
        self, info: Info, input: RecordInspectionInput
    ) -> RecordInspectionPayload:
        context = info.context

        def request() -> inspection.InspectionRequest:
            return inspection.InspectionRequest(
                task_id=_task_id(input.task_id), result=InspectionResult(input.result),
                idempotency_key=input.idempotency_key,
                accepted_quantity=input.accepted_quantity,
                rejected_quantity=input.rejected_quantity, notes=input.notes,
                reject_location_code=input.reject_location_code)

        row, errors = await attempt(
            lambda: inspection.record_inspection(context.db, context.user(), request()))
        return RecordInspectionPayload(
            task=row and WarehouseTask.from_row(row, context.loaders), user_errors=errors)

    @strawberry.mutation(description="Put available stock away into the bin scanned.")
    async def putaway(self, info: Info, input: PutawayInput) -> PutawayPayload:
        context = info.context
        request = PutawayRequest(
            sku=input.sku, from_location_code=input.from_location_code,
            to_location_barcode=input.to_location_barcode, quantity=input.quantity,
            idempotency_key=input.idempotency_key, lot=input.lot,
            warehouse_code=input.warehouse_code)
        done, errors = await attempt(
            lambda: putaway.putaway(context.db, context.user(), request))
        if done is None:
            return PutawayPayload(movement=None, tasks=[], user_errors=errors)
        return PutawayPayload(
            movement=StockMovement.from_row(done.movement),
            tasks=[WarehouseTask.from_row(row, context.loaders) for row in done.tasks],
            user_errors=[])


@strawberry.type
class TaskSubscription:
    @strawberry.subscription(description="A warehouse's QC, putaway and pick tasks as they "
                                         "appear, move on and finish; with `after` (an event's "
                                         "cursor), the missed ones first.")
    async def warehouse_tasks(
        self, info: Info, warehouse_code: str, after: str | None = None
    ) -> AsyncGenerator[WarehouseTaskEvent, None]:
        context = info.context
        stream = await tasks.task_feed(context.db, live_hub(context), context.user(),
                                       warehouse_code, after)
        async for event in drained(stream):
            # Fresh loaders on a short read per event: the task as it stands now.
            async with context.db.reader() as session:
                loaders = Loaders(session)
                row = await loaders.warehouse_task.load(event.payload["taskId"])
                yield WarehouseTaskEvent(cursor=event.cursor, kind=event.kind,
                                         task=WarehouseTask.from_row(row, loaders))
