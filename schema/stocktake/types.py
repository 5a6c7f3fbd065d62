"""GraphQL types of stocktakes: the document, its lines (with what a blind count hides), its
count tasks, a device's count, and the events of the live feeds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.approvals.types import ApprovalTask
from schema.catalog.types import Warehouse
from schema.context import Info
from schema.errors import UserError
from schema.loaders import Loaders
from server.db import AsyncSession
from server.stocktake import models as rows
from server.stocktake import queries
from server.stocktake.rules import BinStatus, StocktakeStatus, sees_expected, total_value

StocktakeStatusKind = strawberry.enum(StocktakeStatus, name="StocktakeStatus")
CountTaskStatusKind = strawberry.enum(BinStatus, name="CountTaskStatus")
KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first result."


@strawberry.type(description="One bin × product × lot. In a blind count a counter sees no "
                             "expected quantity and no variance until counting is over.")
class StocktakeLine:
    location_code: str
    sku: str
    lot: str
    frozen: Decimal | None = strawberry.field(description="What the bin held at the start.")
    moved: Decimal | None = strawberry.field(
        description="Net movements into (+) and out of (−) the bin since the start.")
    expected: Decimal | None = strawberry.field(description="frozen + moved.")
    counted: Decimal | None = strawberry.field(
        description="The devices' counts of the current round added up; null: not counted "
                    "(left alone when posting, unless zeroUncounted).")
    variance: Decimal | None = strawberry.field(description="counted − expected.")
    variance_value: Decimal | None = strawberry.field(
        description="The variance at the current average cost.")

    @classmethod
    def from_view(cls, view: queries.LineView) -> StocktakeLine:
        line, shown = view.line, view.expected_visible
        return cls(location_code=view.location_code, sku=view.sku, lot=line.key[2],
                   frozen=line.frozen if shown else None, moved=line.moved if shown else None,
                   expected=line.expected if shown else None, counted=line.counted,
                   variance=line.variance if shown else None,
                   variance_value=line.value if shown else None)


@strawberry.type(description="A bin to count: open until a device counts in it, open again "
                             "after a recount request (the round goes up).")
class CountTask:
    id: strawberry.ID
    stocktake_number: str
    location_code: str
    status: CountTaskStatusKind
    round: int
    updated_at: datetime

    @classmethod
    def from_view(cls, view: queries.TaskView, stocktake_number: str) -> CountTask:
        task = view.task
        return cls(id=strawberry.ID(str(task.id)), stocktake_number=stocktake_number,
                   location_code=view.location_code, status=BinStatus(task.status),
                   round=task.round, updated_at=task.updated_at)


@strawberry.type(description="A count of the warehouse's bins (盘点).")
class Stocktake:
    id: strawberry.ID
    number: str
    status: StocktakeStatusKind
    blind: bool
    all_locations: bool
    zero_uncounted: bool
    requested_variance_value: Decimal | None = strawberry.field(
        description="The variance value when posting was asked for.")
    rejection_comment: str | None
    started_at: datetime
    posted_at: datetime | None
    cancelled_at: datetime | None
    version: int
    row: strawberry.Private[rows.Stocktake]
    # The session of the request, or of the pushed event in a subscription.
    session: strawberry.Private[AsyncSession]
    loaders: strawberry.Private[Loaders]

    @classmethod
    def from_row(cls, row: rows.Stocktake, session: AsyncSession, loaders: Loaders) -> Stocktake:
        return cls(id=strawberry.ID(str(row.id)), number=row.number,
                   status=StocktakeStatus(row.status), blind=row.blind,
                   all_locations=row.all_locations, zero_uncounted=row.zero_uncounted,
                   requested_variance_value=row.requested_variance_value,
                   rejection_comment=row.rejection_comment, started_at=row.started_at,
                   posted_at=row.posted_at, cancelled_at=row.cancelled_at, version=row.version,
                   row=row, session=session, loaders=loaders)

    @strawberry.field
    async def warehouse(self) -> Warehouse:
        return Warehouse.from_row(await self.loaders.warehouse.load(self.row.warehouse_id))

    @strawberry.field(description="Every line, in bin, product, lot order.")
    async def lines(self, info: Info) -> list[StocktakeLine]:
        views = await queries.line_views(self.session, info.context.user(), self.row)
        return [StocktakeLine.from_view(view) for view in views]

    @strawberry.field(description="The lines' variance value added up (hidden from counters "
                                   "while a blind count runs).")
    async def variance_value(self, info: Info) -> Decimal | None:
        if not sees_expected(self.row.blind, StocktakeStatus(self.row.status),
                             frozenset(info.context.user().roles)):
            return None
        views = await queries.line_views(self.session, info.context.user(), self.row)
        return total_value(view.line for view in views)

    @strawberry.field(description="Every approval decision on posting it: who, when, comment.")
    async def approval_trail(self) -> list[ApprovalTask]:
        return [ApprovalTask.from_row(row)
                for row in await queries.approval_trail(self.session, self.row)]

    @strawberry.field(description="The count tasks, one per bin, in bin order.")
    async def tasks(self) -> list[CountTask]:
        views = await queries.task_views(self.session, self.row)
        return [CountTask.from_view(view, self.row.number) for view in views]


@strawberry.type(description="What one device counted of one item in one bin in one round.")
class StocktakeCount:
    location_code: str
    sku: str
    entry: str = strawberry.field(description="What was counted by: the barcode, or the sku.")
    lot: str
    quantity: Decimal
    device_id: str
    round: int
    counted_at: datetime


@strawberry.type(description="A count task that appeared (TASK_CREATED), was reopened for a "
                             "recount (TASK_UPDATED) or was counted (TASK_DONE), as it stands "
                             "now.")
class CountTaskEvent:
    cursor: str
    kind: str
    task: CountTask


@strawberry.type(description="A stocktake's status changed: STOCKTAKE_STARTED, _COUNTING, "
                             "_RECOUNT_REQUESTED, _PENDING_APPROVAL, _REJECTED, _POSTED or "
                             "_CANCELLED; the stocktake as it stands now.")
class StocktakeEvent:
    cursor: str
    kind: str
    stocktake: Stocktake


@strawberry.input
class StartStocktakeInput:
    warehouse_code: str
    location_codes: list[str] | None = strawberry.field(
        default=None, description="The bins to count; null counts every active bin.")
    blind: bool = strawberry.field(
        default=False, description="Hide expected quantities from the counters.")


@strawberry.input
class RecordCountInput:
    stocktake_number: str
    location_code: str = strawberry.field(description="The bin, as scanned.")
    quantity: Decimal = strawberry.field(
        description="Units counted; with a case barcode, cases (each counts its pack size).")
    device_id: str = strawberry.field(
        description="The counting device: its later count of the same item replaces this one.")
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    sku: str | None = None
    barcode: str | None = strawberry.field(
        default=None, description="The product barcode as scanned (instead of the sku).")
    lot: str | None = strawberry.field(
        default=None, description="The lot; by default the one on a GS1 label, else none.")


@strawberry.input
class RequestRecountInput:
    stocktake_number: str
    location_codes: list[str]


@strawberry.input
class PostStocktakeInput:
    number: str
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    zero_uncounted: bool = strawberry.field(
        default=False, description="Count what nobody counted as zero (else it is left alone).")


@strawberry.input
class CancelStocktakeInput:
    number: str
    reason: str


@strawberry.type
class StocktakePayload:
    stocktake: Stocktake | None
    user_errors: list[UserError]


@strawberry.type
class RecordCountPayload:
    count: StocktakeCount | None
    stocktake: Stocktake | None
    user_errors: list[UserError]
