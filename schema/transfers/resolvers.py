"""Transfers: create (reserving at the source), pick and ship from the source's handhelds,
receive by scan at the destination; queries and a status subscription per warehouse."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.live import drained, live_hub
from schema.pagination import Connection, connection
from schema.receiving.receipts import ReceiveLineInput
from schema.transfers.types import Transfer, TransferDirection, TransferStateKind
from server.receiving.receipt_rules import ReceiveLine
from server.sales.pick_rules import PickRequest
from server.transfers import queries
from server.transfers.cancel import CancelTransferRequest, cancel_transfer
from server.transfers.picking import confirm_transfer_pick
from server.transfers.queries import Direction
from server.transfers.receipts import TransferReceiptRequest, receive_transfer
from server.transfers.rules import TransferDraft, TransferLineDraft
from server.transfers.service import create_transfer
from server.transfers.shipping import ShipTransferRequest, ship_transfer

KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first result."
VERSION_HELP = "The transfer version the device showed; a newer one gets STALE_VERSION."


@strawberry.type
class TransferPayload:
    transfer: Transfer | None
    user_errors: list[UserError]


@strawberry.input
class TransferLineInput:
    sku: str
    quantity: Decimal


@strawberry.input
class CreateTransferInput:
    from_warehouse_code: str
    to_warehouse_code: str
    lines: list[TransferLineInput]
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    note: str = ""


@strawberry.input
class ConfirmTransferPickInput:
    transfer_number: str
    line_no: int = strawberry.field(description="A pick line of the transfer.")
    bin_barcode: str = strawberry.field(description="The bin as scanned; must be the line's.")
    quantity: Decimal = strawberry.field(description="Picked, in base units; may be 0 when all "
                                                     "of it is short.")
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    product_barcode: str | None = None
    sku: str | None = strawberry.field(default=None, description="Instead of productBarcode.")
    lot: str | None = None
    short_quantity: Decimal | None = strawberry.field(
        default=Decimal(0), description="Not in the bin: written off, then picked from another "
                                        "bin (a new pick line) or left off the transfer.")
    short_reason: str | None = None
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class ShipTransferInput:
    transfer_number: str
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class CancelTransferInput:
    transfer_number: str
    reason: str
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.input
class ReceiveTransferInput:
    transfer_number: str = strawberry.field(description="As scanned at the destination's dock.")
    warehouse_code: str = strawberry.field(description="The destination.")
    lines: list[ReceiveLineInput]
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    based_on_version: int | None = strawberry.field(default=None, description=VERSION_HELP)


@strawberry.type
class TransferEvent:
    cursor: str
    kind: str = strawberry.field(description="TRANSFER_CREATED, TRANSFER_PICKED, "
                                             "TRANSFER_SHIPPED, TRANSFER_RECEIVED or "
                                             "TRANSFER_CANCELLED.")
    direction: TransferDirection
    transfer: Transfer


@strawberry.type
class TransferQuery:
    @strawberry.field
    async def transfer(self, info: Info, number: str) -> Transfer | None:
        found = await queries.transfer_of(info.context.session, info.context.user(), number)
        return Transfer.from_view(found) if found else None

    @strawberry.field(description="A warehouse's transfers, newest first: INCOMING ones are "
                                  "what its stock shows in transit.")
    async def transfers(
        self, info: Info, warehouse_code: str, direction: TransferDirection,
        states: list[TransferStateKind] | None = None, first: int = 50, after: str | None = None,
    ) -> Connection[Transfer]:
        page = await queries.transfers_of(
            info.context.session, info.context.user(), warehouse_code, Direction(direction),
            [state.value for state in states] if states else None,
            page_request(info, first, after))
        return connection(page, Transfer.from_view)


@strawberry.type
class TransferMutation:
    @strawberry.mutation(description="A transfer between two warehouses, every line reserved at "
                                     "the source with a PICK task per bin; INSUFFICIENT_STOCK "
                                     "with the numbers, and nothing saved, otherwise.")
    async def create_transfer(self, info: Info, input: CreateTransferInput) -> TransferPayload:
        context = info.context
        draft = TransferDraft(
            input.from_warehouse_code, input.to_warehouse_code,
            [TransferLineDraft(line.sku, line.quantity) for line in input.lines],
            input.idempotency_key, input.note)
        view, errors = await attempt(lambda: create_transfer(context.db, context.user(), draft))
        return TransferPayload(transfer=view and Transfer.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Record a pick (and a short) on a transfer's pick line: "
                                     "WRONG_BIN, WRONG_PRODUCT, WRONG_LOT, OVER_PICK as for "
                                     "confirmPick.")
    async def confirm_transfer_pick(
        self, info: Info, input: ConfirmTransferPickInput
    ) -> TransferPayload:
        context = info.context
        request = PickRequest(
            pick_list_number=input.transfer_number, line_no=input.line_no,
            bin_barcode=input.bin_barcode, quantity=input.quantity,
            idempotency_key=input.idempotency_key, product_barcode=input.product_barcode,
            sku=input.sku, lot=input.lot, short_quantity=input.short_quantity or Decimal(0),
            short_reason=input.short_reason, based_on_version=input.based_on_version)
        view, errors = await attempt(
            lambda: confirm_transfer_pick(context.db, context.user(), request))
        return TransferPayload(transfer=view and Transfer.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Ship a picked transfer: out of the source at its average "
                                     "cost, into the destination's in_transit carrying it.")
    async def ship_transfer(self, info: Info, input: ShipTransferInput) -> TransferPayload:
        context = info.context
        request = ShipTransferRequest(input.transfer_number, input.idempotency_key,
                                      input.based_on_version)
        view, errors = await attempt(lambda: ship_transfer(context.db, context.user(), request))
        return TransferPayload(transfer=view and Transfer.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Cancel a transfer nothing of which is picked yet: its "
                                     "reservations go back to available, its PICK tasks off "
                                     "the to-do list.")
    async def cancel_transfer(self, info: Info, input: CancelTransferInput) -> TransferPayload:
        context = info.context
        request = CancelTransferRequest(input.transfer_number, input.reason,
                                        input.idempotency_key, input.based_on_version)
        view, errors = await attempt(lambda: cancel_transfer(context.db, context.user(), request))
        return TransferPayload(transfer=view and Transfer.from_view(view), user_errors=errors)

    @strawberry.mutation(description="Receive scanned goods of a shipped transfer at its "
                                     "destination: in_transit → available in the receiving bin "
                                     "at the cost that travelled, with putaway tasks; "
                                     "OVER_RECEIPT, NOT_ON_ORDER, STALE_VERSION post nothing.")
    async def receive_transfer(self, info: Info, input: ReceiveTransferInput) -> TransferPayload:
        context = info.context
        request = TransferReceiptRequest(
            input.transfer_number, input.warehouse_code, input.idempotency_key,
            [ReceiveLine(quantity=line.quantity, barcode=line.barcode, sku=line.sku,
                         lot=line.lot, expiry=line.expiry, serials=tuple(line.serials or ()))
             for line in input.lines], input.based_on_version)
        view, errors = await attempt(
            lambda: receive_transfer(context.db, context.user(), request))
        return TransferPayload(transfer=view and Transfer.from_view(view), user_errors=errors)


@strawberry.type
class TransferSubscription:
    @strawberry.subscription(description="A warehouse's transfers, outgoing and incoming, as they "
                                         "are created, picked, shipped and received; with "
                                         "`after` (an event's cursor), the missed ones first.")
    async def transfer_events(
        self, info: Info, warehouse_code: str, after: str | None = None
    ) -> AsyncGenerator[TransferEvent, None]:
        context = info.context
        stream = await queries.transfer_feed(context.db, live_hub(context), context.user(),
                                             warehouse_code, after)
        async for event in drained(stream):
            async with context.db.reader() as session:
                view = await queries.transfer_view(session, event.payload["number"])
            yield TransferEvent(cursor=event.cursor, kind=event.kind,
                                direction=Direction(event.payload["direction"]),
                                transfer=Transfer.from_view(view))
