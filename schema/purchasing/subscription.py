"""Subscriptions for approvers (their tasks) and for everyone following purchase orders."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.live import drained, live_hub
from server.event_log import StoredEvent
from server.purchasing import feeds


@strawberry.type(description="An approval task given to me (CREATED) or closed (CLOSED).")
class ApprovalTaskEvent:
    cursor: str
    kind: str
    task_id: strawberry.ID
    document_type: str | None
    document_number: str | None
    step_name: str
    mode: str
    status: str
    facts: JSON

    @classmethod
    def from_event(cls, event: StoredEvent) -> ApprovalTaskEvent:
        body = event.payload
        return cls(cursor=event.cursor, kind=event.kind, task_id=strawberry.ID(str(body["taskId"])),
                   document_type=event.document_type, document_number=event.document_number,
                   step_name=body["stepName"], mode=body["mode"], status=body["status"],
                   facts=body["facts"])


@strawberry.type(description="A change of a purchase order: created, submitted, approved, sent, "
                             "confirmed, shipped, declined, cancelled...")
class PurchaseOrderEvent:
    cursor: str
    kind: str
    number: str
    state: str
    version: int
    total_amount: Decimal
    actor: str
    at: datetime

    @classmethod
    def from_event(cls, event: StoredEvent) -> PurchaseOrderEvent:
        body = event.payload
        return cls(cursor=event.cursor, kind=event.kind, number=body["number"],
                   state=body["state"], version=body["version"],
                   total_amount=Decimal(body["totalAmount"]), actor=body["actor"],
                   at=event.created_at)


@strawberry.type
class PurchasingSubscription:
    @strawberry.subscription(description="My approval tasks as they are created and closed; "
                                         "with `after`, missed ones first.")
    async def approval_tasks(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[ApprovalTaskEvent, None]:
        context = info.context
        stream = feeds.approval_tasks(context.db, live_hub(context), context.user(), after)
        async for event in drained(stream):
            yield ApprovalTaskEvent.from_event(event)

    @strawberry.subscription(description="Changes of the named orders, or of one supplier's "
                                         "orders; a supplier user follows only its own.")
    async def purchase_order_events(
        self, info: Info, numbers: list[str] | None = None, supplier_code: str | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[PurchaseOrderEvent, None]:
        context = info.context
        stream = await feeds.order_events(context.db, live_hub(context), context.user(), numbers,
                                          supplier_code, after)
        async for event in drained(stream):
            yield PurchaseOrderEvent.from_event(event)
