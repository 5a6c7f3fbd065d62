"""``salesAlerts``: what a salesperson must know about their orders, live and resumable."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import Info
from schema.event_execution import SharedEventRoot
from schema.live import drained, live_hub
from server.event_log import StoredEvent
from server.sales import alerts


@strawberry.type(description="SHORTAGE (a line backordered when taken or on a short pick), "
                             "BACKORDER_READY (stock arrived and was reserved for it), LOW_STOCK "
                             "(a reservation took available below the safety stock), SHIPPED.")
class SalesAlert(SharedEventRoot):
    cursor: str = strawberry.field(description="Pass as `after` to resume right after this.")
    kind: str
    order_number: str
    line_no: int | None
    sku: str
    quantity: Decimal
    salesperson: str | None
    region: str
    customer_code: str
    message: str
    created_at: datetime

    @classmethod
    def from_event(cls, event: StoredEvent) -> SalesAlert:
        """Built from the event alone, once for every subscriber it is pushed to."""
        shared = event.derived.get(cls.__name__)
        if shared is None:
            body = event.payload
            shared = event.derived[cls.__name__] = cls(
                cursor=event.cursor, kind=event.kind, order_number=body["orderNumber"],
                line_no=body.get("lineNo"), sku=body["sku"], quantity=Decimal(body["quantity"]),
                salesperson=body.get("salesperson"), region=body.get("region") or "",
                customer_code=body.get("customerCode") or "", message=body["message"],
                created_at=event.created_at)
        alert: SalesAlert = shared
        return alert


@strawberry.type
class SalesAlertSubscription:
    @strawberry.subscription(
        description="Alerts of one salesperson (username) and/or region; a sales user who "
                    "names neither gets their own, other staff everyone's. With `after`, the "
                    "alerts missed since that cursor come first, each once.")
    async def sales_alerts(
        self, info: Info, salesperson: str | None = None, region: str | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[SalesAlert, None]:
        context = info.context
        stream = await alerts.sales_alerts(context.db, live_hub(context), context.user(),
                                           salesperson, region, after)
        async for event in drained(stream):
            yield SalesAlert.from_event(event)
