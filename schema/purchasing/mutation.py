"""Purchasing mutations: staff create, edit, submit and cancel; suppliers confirm, decline, ship."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from schema.purchasing.inputs import (
    CancelPurchaseOrderInput,
    ClosePurchaseOrderLineInput,
    ConfirmPurchaseOrderInput,
    CreatePurchaseOrderInput,
    CreateShipmentNoticeInput,
    DeclinePurchaseOrderInput,
    PurchaseOrderLineInput,
    SubmitPurchaseOrderInput,
    UpdatePurchaseOrderInput,
)
from schema.purchasing.types import (
    PurchaseOrder,
    PurchaseOrderPayload,
    ShipmentNotice,
    ShipmentNoticePayload,
)
from server.purchasing import models, orders, portal
from server.purchasing.rules import LineDraft


def _drafts(lines: list[PurchaseOrderLineInput]) -> list[LineDraft]:
    return [LineDraft(line.sku, line.quantity, line.unit_price, line.requested_date)
            for line in lines]


def _payload(row: models.PurchaseOrder | None, errors: list[UserError]) -> PurchaseOrderPayload:
    return PurchaseOrderPayload(purchase_order=row and PurchaseOrder.from_row(row),
                                user_errors=errors)


@strawberry.type
class PurchasingMutation:
    @strawberry.mutation
    async def create_purchase_order(
        self, info: Info, input: CreatePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        draft = orders.OrderDraft(input.supplier_code, input.warehouse_code,
                                  _drafts(input.lines), input.currency, input.notes)
        return _payload(*await attempt(lambda: orders.create_purchase_order(
            info.context.db, info.context.user(), draft)))

    @strawberry.mutation
    async def update_purchase_order(
        self, info: Info, input: UpdatePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        changes = orders.OrderChanges(
            number=input.number, based_on_version=input.based_on_version, notes=input.notes,
            lines=_drafts(input.lines) if input.lines is not None else None,
            line_numbers=[line.line_no for line in input.lines] if input.lines else None,
        )
        return _payload(*await attempt(lambda: orders.update_purchase_order(
            info.context.db, info.context.user(), changes)))

    @strawberry.mutation(description="Send a draft into approval; with no step applying it is "
                                     "approved and sent to the supplier at once.")
    async def submit_purchase_order(
        self, info: Info, input: SubmitPurchaseOrderInput
    ) -> PurchaseOrderPayload:
        return _payload(*await attempt(lambda: orders.submit_purchase_order(
            info.context.db, info.context.user(), input.number, input.based_on_version)))

    @strawberry.mutation
    async def cancel_purchase_order(
        self, info: Info, input: CancelPurchaseOrderInput
    ) -> PurchaseOrderPayload:
        return _payload(*await attempt(lambda: orders.cancel_purchase_order(
            info.context.db, info.context.user(), input.number, input.reason,
            input.based_on_version)))

    @strawberry.mutation(description="Expect nothing more on a line (closing it short): what it "
                                     "still has on order is released.")
    async def close_purchase_order_line(
        self, info: Info, input: ClosePurchaseOrderLineInput
    ) -> PurchaseOrderPayload:
        return _payload(*await attempt(lambda: orders.close_line_short(
            info.context.db, info.context.user(), input.number, input.line_no, input.reason,
            input.based_on_version)))

    @strawberry.mutation(description="Supplier: confirm quantities and delivery dates per line.")
    async def confirm_purchase_order(
        self, info: Info, input: ConfirmPurchaseOrderInput
    ) -> PurchaseOrderPayload:
        confirmations = [portal.LineConfirmation(line.line_no, line.quantity, line.delivery_date)
                         for line in input.lines]
        return _payload(*await attempt(lambda: portal.confirm_purchase_order(
            info.context.db, info.context.user(), input.number, confirmations,
            input.based_on_version)))

    @strawberry.mutation(description="Supplier: cannot deliver this order.")
    async def decline_purchase_order(
        self, info: Info, input: DeclinePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        return _payload(*await attempt(lambda: portal.decline_purchase_order(
            info.context.db, info.context.user(), input.number, input.reason)))

    @strawberry.mutation(description="Supplier: announce a shipment (ASN); its quantities go "
                                     "from on order to in transit.")
    async def create_shipment_notice(
        self, info: Info, input: CreateShipmentNoticeInput
    ) -> ShipmentNoticePayload:
        draft = portal.NoticeDraft(
            order_number=input.purchase_order_number, number=input.number,
            carrier=input.carrier, tracking_number=input.tracking_number,
            expected_arrival=input.expected_arrival,
            lines=[portal.NoticeLine(line.line_no, line.quantity, line.lot, line.expiry,
                                     line.sscc) for line in input.lines],
        )
        result, errors = await attempt(lambda: portal.create_shipment_notice(
            info.context.db, info.context.user(), draft))
        if result is None:
            return ShipmentNoticePayload(shipment_notice=None, purchase_order=None,
                                         user_errors=errors)
        notice, order = result
        numbers = {line.id: line.line_no for line in order.lines}
        return ShipmentNoticePayload(shipment_notice=ShipmentNotice.from_row(notice, numbers),
                                     purchase_order=PurchaseOrder.from_row(order), user_errors=[])
