"""Purchase return queries, mutations and subscription; supplier users see and follow only
their own supplier's returns, from approval on."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.live import drained, live_hub
from schema.pagination import Connection, connection
from schema.purchasing.return_types import (
    PurchaseReturn,
    PurchaseReturnEvent,
    PurchaseReturnPayload,
    PurchaseReturnState,
    ReturnBucket,
    SupplierAccount,
)
from server.event_log import StoredEvent
from server.finance import returns as shipping
from server.inventory.models import Bucket
from server.purchasing import models, return_queries, returns
from server.purchasing.return_rules import ReturnDraft, ReturnLineDraft


@strawberry.input
class PurchaseReturnLineInput:
    sku: str
    quantity: Decimal
    from_bucket: ReturnBucket
    reason: str
    lot: str = strawberry.field(default="", description="'' for goods without a lot.")
    po_number: str | None = strawberry.field(
        default=None, description="Return against this order only; otherwise against the "
                                  "supplier's orders into the warehouse, newest first.")


@strawberry.input
class CreatePurchaseReturnInput:
    supplier_code: str
    warehouse_code: str
    lines: list[PurchaseReturnLineInput]


@strawberry.input
class ShipPurchaseReturnInput:
    number: str
    idempotency_key: str


@strawberry.input
class CancelPurchaseReturnInput:
    number: str
    reason: str


def _payload(row: models.PurchaseReturn | None, errors: list[UserError]) -> PurchaseReturnPayload:
    return PurchaseReturnPayload(purchase_return=row and PurchaseReturn.from_row(row),
                                 user_errors=errors)


@strawberry.type
class PurchaseReturnQuery:
    @strawberry.field
    async def purchase_return(self, info: Info, number: str) -> PurchaseReturn | None:
        row = await return_queries.purchase_return(info.context.session, info.context.user(),
                                                   number)
        return PurchaseReturn.from_row(row) if row else None

    @strawberry.field(description="Newest first.")
    async def purchase_returns(
        self, info: Info, first: int = 50, after: str | None = None,
        states: list[PurchaseReturnState] | None = None, supplier_code: str | None = None,
    ) -> Connection[PurchaseReturn]:
        page = await return_queries.list_returns(
            info.context.session, info.context.user(), page_request(info, first, after),
            return_queries.ReturnFilter(states=states, supplier_code=supplier_code))
        return connection(page, PurchaseReturn.from_row)

    @strawberry.field(description="Invoices that may be paid, debit notes set against them and "
                                  "what is owed; a supplier user reads only its own.")
    async def supplier_account(self, info: Info, supplier_code: str) -> SupplierAccount:
        row = await shipping.supplier_account(info.context.session, info.context.user(),
                                              supplier_code)
        return SupplierAccount.from_row(row)


@strawberry.type
class PurchaseReturnMutation:
    @strawberry.mutation(description="Hold goods to send back to a supplier and send the return "
                                     "into the PURCHASE_RETURN approval flow.")
    async def create_purchase_return(
        self, info: Info, input: CreatePurchaseReturnInput
    ) -> PurchaseReturnPayload:
        draft = ReturnDraft(input.supplier_code, input.warehouse_code, [
            ReturnLineDraft(line.sku, line.quantity, Bucket(line.from_bucket.value), line.reason,
                            line.lot, line.po_number) for line in input.lines])
        return _payload(*await attempt(lambda: returns.create_purchase_return(
            info.context.db, info.context.user(), draft)))

    @strawberry.mutation(description="Release the held goods of a return not yet shipped.")
    async def cancel_purchase_return(
        self, info: Info, input: CancelPurchaseReturnInput
    ) -> PurchaseReturnPayload:
        return _payload(*await attempt(lambda: returns.cancel_purchase_return(
            info.context.db, info.context.user(), input.number, input.reason)))

    @strawberry.mutation(description="The goods leave for the supplier at their cost; the "
                                     "supplier is credited by a debit note.")
    async def ship_purchase_return(
        self, info: Info, input: ShipPurchaseReturnInput
    ) -> PurchaseReturnPayload:
        shipped, errors = await attempt(lambda: shipping.ship_purchase_return(
            info.context.db, info.context.user(), input.number, input.idempotency_key))
        return _payload(shipped and shipped.purchase_return, errors)


def _event(event: StoredEvent) -> PurchaseReturnEvent:
    body = event.payload
    return PurchaseReturnEvent(
        cursor=event.cursor, kind=event.kind, number=body["number"], state=body["state"],
        version=body["version"], total_amount=Decimal(body["totalAmount"]),
        debit_note=body.get("debitNote"), actor=body["actor"], at=event.created_at)


@strawberry.type
class PurchaseReturnSubscription:
    @strawberry.subscription(description="Changes of the named returns, or of one supplier's "
                                         "returns; a supplier user follows only its own.")
    async def purchase_return_events(
        self, info: Info, numbers: list[str] | None = None, supplier_code: str | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[PurchaseReturnEvent, None]:
        context = info.context
        stream = await return_queries.return_events(
            context.db, live_hub(context), context.user(), numbers, supplier_code, after)
        async for event in drained(stream):
            yield _event(event)
