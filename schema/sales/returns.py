"""Sales returns (RMA): announce what a customer sends back of a shipped order, receive it by
scanning the return number at the dock (goods to pending_qc, a QC task per line), and decide each
task: restock or scrap. Credit notes follow from the receipts (customerCreditNotes)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.live import drained, live_hub
from schema.pagination import Connection, connection
from server.sales import return_receiving, returns
from server.sales.return_models import SalesReturnState
from server.sales.return_receiving import ReturnInspectionRequest, ReturnReceiptOutcome
from server.sales.return_rules import (
    ReturnedLine,
    ReturnLineDraft,
    ReturnReceiptRequest,
    SalesReturnDraft,
)
from server.sales.returns import ReturnView

SalesReturnStatus = strawberry.enum(SalesReturnState, name="SalesReturnState")


@strawberry.type(description="So much of one sales order line coming back: received = restocked "
                             "+ scrapped + what still waits for inspection.")
class SalesReturnLine:
    line_no: int
    sku: str
    order_line_no: int
    quantity: Decimal
    unit_price: Decimal = strawberry.field(description="As sold: what the credit note reverses.")
    unit_cost: Decimal = strawberry.field(
        description="The cost the goods left with (their shipments' ledger rows).")
    lot: str
    received: Decimal
    restocked: Decimal
    scrapped: Decimal


@strawberry.type
class SalesReturn:
    number: str = strawberry.field(description="RMA-YYYY-NNNNNN; scans as a barcode.")
    sales_order_number: str
    customer_code: str
    warehouse_code: str
    state: SalesReturnStatus
    reason: str
    created_at: datetime
    lines: list[SalesReturnLine]

    @classmethod
    def from_view(cls, view: ReturnView) -> SalesReturn:
        row = view.row
        return cls(
            number=row.number, sales_order_number=view.order_number,
            customer_code=view.customer_code, warehouse_code=view.warehouse_code,
            state=SalesReturnState(row.state), reason=row.reason, created_at=row.created_at,
            lines=[SalesReturnLine(
                line_no=v.line.line_no, sku=v.sku, order_line_no=v.order_line_no,
                quantity=v.line.quantity, unit_price=v.line.unit_price,
                unit_cost=v.line.unit_cost, lot=v.line.lot, received=v.line.received_quantity,
                restocked=v.line.restocked_quantity, scrapped=v.line.scrapped_quantity)
                for v in view.lines])


@strawberry.type(description="One return receipt line and the QC task that inspects it.")
class SalesReturnReceiptLine:
    line_no: int
    quantity: Decimal
    lot: str
    task_id: int | None


@strawberry.type
class SalesReturnReceipt:
    number: str = strawberry.field(description="RR-YYYY-NNNNNN.")
    received_at: datetime
    lines: list[SalesReturnReceiptLine]


@strawberry.type
class SalesReturnPayload:
    sales_return: SalesReturn | None
    user_errors: list[UserError]


@strawberry.type
class ReceiveSalesReturnPayload:
    receipt: SalesReturnReceipt | None
    sales_return: SalesReturn | None
    user_errors: list[UserError]


@strawberry.input
class SalesReturnLineInput:
    sku: str
    quantity: Decimal


@strawberry.input
class CreateSalesReturnInput:
    sales_order_number: str
    lines: list[SalesReturnLineInput]
    reason: str
    idempotency_key: str


@strawberry.input
class ReturnedLineInput:
    quantity: Decimal
    barcode: str | None = strawberry.field(default=None, description="As scanned.")
    sku: str | None = strawberry.field(default=None, description="Keyed in instead.")
    lot: str | None = strawberry.field(
        default=None, description="Default: the lot that left, when only one did.")


@strawberry.input
class ReceiveSalesReturnInput:
    document: str = strawberry.field(description="The return number, as scanned.")
    warehouse_code: str
    lines: list[ReturnedLineInput]
    idempotency_key: str


@strawberry.input
class InspectSalesReturnInput:
    task_id: int
    restock_quantity: Decimal = Decimal(0)
    scrap_quantity: Decimal = Decimal(0)
    notes: str = ""
    reject_location_code: str | None = strawberry.field(
        default=None, description="Where scrapped goods go; default: the first rejected bin.")
    idempotency_key: str


@strawberry.type(description="A return's state changed: RETURN_CREATED, RETURN_RECEIVED, "
                             "RETURN_INSPECTED.")
class SalesReturnEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume right after this.")
    kind: str
    number: str
    sales_order_number: str
    state: SalesReturnStatus
    receipt_number: str | None
    created_at: datetime


def _receipt(outcome: ReturnReceiptOutcome) -> SalesReturnReceipt:
    row = outcome.receipt
    return SalesReturnReceipt(number=row.number, received_at=row.received_at, lines=[
        SalesReturnReceiptLine(line_no=line.line_no, quantity=line.quantity, lot=line.lot,
                               task_id=line.task_id) for line in outcome.lines])


@strawberry.type
class SalesReturnQuery:
    @strawberry.field
    async def sales_return(self, info: Info, number: str) -> SalesReturn | None:
        view = await returns.sales_return(info.context.session, info.context.user(), number)
        return SalesReturn.from_view(view) if view else None

    @strawberry.field(description="Newest first.")
    async def sales_returns(
        self, info: Info, first: int = 50, after: str | None = None,
        states: list[SalesReturnStatus] | None = None, sales_order_number: str | None = None,
    ) -> Connection[SalesReturn]:
        page = await returns.list_returns(
            info.context.session, info.context.user(), page_request(info, first, after),
            [SalesReturnState(state) for state in states] if states else None,
            sales_order_number)
        return connection(page, SalesReturn.from_view)


@strawberry.type
class SalesReturnMutation:
    @strawberry.mutation(description="Announce goods of a shipped order coming back: at most "
                                     "what shipped on it less what earlier returns took. Sales.")
    async def create_sales_return(
        self, info: Info, input: CreateSalesReturnInput
    ) -> SalesReturnPayload:
        draft = SalesReturnDraft(
            input.sales_order_number, [ReturnLineDraft(line.sku, line.quantity)
                                       for line in input.lines],
            input.reason, input.idempotency_key)
        view, errors = await attempt(lambda: returns.create_sales_return(
            info.context.db, info.context.user(), draft))
        return SalesReturnPayload(sales_return=SalesReturn.from_view(view) if view else None,
                                  user_errors=errors)

    @strawberry.mutation(description="Receive returned goods by scanning the return number: "
                                     "they go to pending_qc at the cost they left with, a QC "
                                     "task per line, and a credit note is raised. Warehouse.")
    async def receive_sales_return(
        self, info: Info, input: ReceiveSalesReturnInput
    ) -> ReceiveSalesReturnPayload:
        request = ReturnReceiptRequest(
            input.document, input.warehouse_code, input.idempotency_key,
            [ReturnedLine(line.quantity, line.barcode, line.sku, line.lot)
             for line in input.lines])
        outcome, errors = await attempt(lambda: return_receiving.receive_sales_return(
            info.context.db, info.context.user(), request))
        if outcome is None:
            return ReceiveSalesReturnPayload(receipt=None, sales_return=None,
                                             user_errors=errors)
        return ReceiveSalesReturnPayload(receipt=_receipt(outcome),
                                         sales_return=SalesReturn.from_view(outcome.sales_return),
                                         user_errors=[])

    @strawberry.mutation(description="Decide part (or all) of a return's QC task: restock to "
                                     "available (waiting backorders are served first) or scrap "
                                     "to a rejected bin. QC.")
    async def inspect_sales_return(
        self, info: Info, input: InspectSalesReturnInput
    ) -> SalesReturnPayload:
        request = ReturnInspectionRequest(
            input.task_id, input.idempotency_key, input.restock_quantity, input.scrap_quantity,
            input.notes, input.reject_location_code)
        view, errors = await attempt(lambda: return_receiving.inspect_sales_return(
            info.context.db, info.context.user(), request))
        return SalesReturnPayload(sales_return=SalesReturn.from_view(view) if view else None,
                                  user_errors=errors)


@strawberry.type
class SalesReturnSubscription:
    @strawberry.subscription(description="Return state changes, of one warehouse and/or one "
                                          "return; with `after`, those missed come first.")
    async def sales_return_events(
        self, info: Info, warehouse_code: str | None = None, number: str | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[SalesReturnEvent, None]:
        context = info.context
        stream = await returns.return_feed(context.db, live_hub(context), context.user(),
                                           warehouse_code, number, after)
        async for event in drained(stream):
            body = event.payload
            yield SalesReturnEvent(
                cursor=event.cursor, kind=event.kind, number=body["number"],
                sales_order_number=body["orderNumber"], state=SalesReturnState(body["state"]),
                receipt_number=body.get("receipt"), created_at=event.created_at)
