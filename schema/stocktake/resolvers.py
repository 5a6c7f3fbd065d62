"""Stocktake queries, mutations and subscriptions: each builds the input, calls one use case
and maps the result."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.live import drained, live_hub
from schema.loaders import Loaders
from schema.pagination import Connection, connection
from schema.stocktake.types import (
    CancelStocktakeInput,
    CountTask,
    CountTaskEvent,
    PostStocktakeInput,
    RecordCountInput,
    RecordCountPayload,
    RequestRecountInput,
    StartStocktakeInput,
    Stocktake,
    StocktakeCount,
    StocktakeEvent,
    StocktakePayload,
    StocktakeStatusKind,
)
from server.db import AsyncSession
from server.stocktake import closing, queries, service
from server.stocktake import models as rows
from server.stocktake.rules import CountRequest


@strawberry.type
class StocktakeQuery:
    @strawberry.field
    async def stocktake(self, info: Info, number: str) -> Stocktake | None:
        context = info.context
        row = await queries.stocktake(context.session, context.user(), number)
        return row and Stocktake.from_row(row, context.session, context.loaders)

    @strawberry.field(description="Newest first.")
    async def stocktakes(
        self, info: Info, warehouse_code: str | None = None,
        statuses: list[StocktakeStatusKind] | None = None, first: int = 50,
        after: str | None = None,
    ) -> Connection[Stocktake]:
        context = info.context
        page = await queries.stocktakes(
            context.session, context.user(), queries.StocktakeFilter(warehouse_code, statuses),
            page_request(info, first, after))
        return connection(page, lambda row: Stocktake.from_row(row, context.session,
                                                               context.loaders))


def _payload(info: Info, row: rows.Stocktake | None, errors: list[UserError]) -> StocktakePayload:
    context = info.context
    return StocktakePayload(
        stocktake=row and Stocktake.from_row(row, context.session, context.loaders),
        user_errors=errors)


async def _count_of(info: Info, row: rows.StocktakeCount) -> tuple[StocktakeCount, Stocktake]:
    context = info.context
    location = await context.loaders.location.load(row.location_id)
    product = await context.loaders.product.load(row.product_id)
    stocktake = await context.session.get_one(rows.Stocktake, row.stocktake_id)
    count = StocktakeCount(location_code=location.code, sku=product.sku, entry=row.entry,
                           lot=row.lot,
                           quantity=row.quantity, device_id=row.device_id, round=row.round,
                           counted_at=row.counted_at)
    return count, Stocktake.from_row(stocktake, context.session, context.loaders)


@strawberry.type
class StocktakeMutation:
    @strawberry.mutation(description="Freeze what the bins hold and open a count task per bin; "
                                     "work goes on in the warehouse meanwhile.")
    async def start_stocktake(self, info: Info, input: StartStocktakeInput) -> StocktakePayload:
        context = info.context
        request = service.StartRequest(input.warehouse_code, input.location_codes, input.blind)
        row, errors = await attempt(
            lambda: service.start_stocktake(context.db, context.user(), request))
        return _payload(info, row, errors)

    @strawberry.mutation(description="Record what a device counted of one item in one bin.")
    async def record_count(self, info: Info, input: RecordCountInput) -> RecordCountPayload:
        context = info.context
        request = CountRequest(
            stocktake_number=input.stocktake_number, location_code=input.location_code,
            quantity=input.quantity, device_id=input.device_id,
            idempotency_key=input.idempotency_key, sku=input.sku, barcode=input.barcode,
            lot=input.lot)
        row, errors = await attempt(
            lambda: service.record_count(context.db, context.user(), request))
        if row is None:
            return RecordCountPayload(count=None, stocktake=None, user_errors=errors)
        count, stocktake = await _count_of(info, row)
        return RecordCountPayload(count=count, stocktake=stocktake, user_errors=[])

    @strawberry.mutation(description="Count bins again: earlier rounds' counts stop standing.")
    async def request_recount(self, info: Info, input: RequestRecountInput) -> StocktakePayload:
        context = info.context
        row, errors = await attempt(lambda: service.request_recount(
            context.db, context.user(), input.stocktake_number, input.location_codes))
        return _payload(info, row, errors)

    @strawberry.mutation(description="Post the variances through the ledger; over the approval "
                                     "threshold the stocktake waits for the STOCKTAKE approval "
                                     "flow and posts when approved.")
    async def post_stocktake(self, info: Info, input: PostStocktakeInput) -> StocktakePayload:
        context = info.context
        request = closing.PostRequest(input.number, input.idempotency_key, input.zero_uncounted)
        threshold = context.settings.stocktake_approval_threshold
        row, errors = await attempt(lambda: closing.post_stocktake(
            context.db, context.user(), request, threshold))
        return _payload(info, row, errors)

    @strawberry.mutation(description="Drop a stocktake that has not posted; nothing changes.")
    async def cancel_stocktake(self, info: Info, input: CancelStocktakeInput) -> StocktakePayload:
        context = info.context
        row, errors = await attempt(lambda: service.cancel_stocktake(
            context.db, context.user(), input.number, input.reason))
        return _payload(info, row, errors)


async def _stocktake_now(session: AsyncSession, loaders: Loaders, number: str) -> Stocktake:
    row = await service.load_stocktake(session, number)
    return Stocktake.from_row(row, session, loaders)


@strawberry.type
class StocktakeSubscription:
    @strawberry.subscription(description="A warehouse's count tasks as they appear, are "
                                         "reopened and are counted; with `after` (an event's "
                                         "cursor), the missed ones first.")
    async def stocktake_tasks(
        self, info: Info, warehouse_code: str, after: str | None = None
    ) -> AsyncGenerator[CountTaskEvent, None]:
        context = info.context
        stream = await queries.task_feed(context.db, live_hub(context), context.user(),
                                         warehouse_code, after)
        async for event in drained(stream):
            async with context.db.reader() as session:
                view = await queries.task_by_id(session, event.payload["taskId"])
                task = CountTask.from_view(view, event.payload["stocktakeNumber"])
            yield CountTaskEvent(cursor=event.cursor, kind=event.kind, task=task)

    @strawberry.subscription(description="A warehouse's stocktakes as their status changes; "
                                         "with `after`, the missed events first.")
    async def stocktake_events(
        self, info: Info, warehouse_code: str, after: str | None = None
    ) -> AsyncGenerator[StocktakeEvent, None]:
        context = info.context
        stream = await queries.status_feed(context.db, live_hub(context), context.user(),
                                           warehouse_code, after)
        async for event in drained(stream):
            # A fresh session per event: the stocktake and its lines as they stand now.
            async with context.db.reader() as session:
                stocktake = await _stocktake_now(session, Loaders(session),
                                                 str(event.document_number))
                yield StocktakeEvent(cursor=event.cursor, kind=event.kind,
                                     stocktake=stocktake)
