"""``stockChanged``: live stock of one warehouse, resumable from a cursor.

Each pushed change is built from its event's payload (the levels after the change, as committed),
never from the connection's context: strawberry keeps one context, and so its DataLoaders, for the
whole life of a WebSocket, and they would serve stale stock.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from schema.context import Info
from schema.event_execution import SharedEventRoot
from server.event_hub import HubStopped
from server.event_log import StoredEvent
from server.event_stream import stock_changes
from server.inventory.models import Bucket

StockBucket = strawberry.enum(Bucket, name="StockBucket")


@strawberry.type(description="How much one bucket changed (signed).")
class BucketDelta:
    bucket: StockBucket
    quantity: Decimal


@strawberry.type(description="Every bucket of the product in the warehouse after the change.")
class StockChangeLevels:
    on_order: Decimal
    in_transit: Decimal
    pending_qc: Decimal
    available: Decimal
    reserved: Decimal
    picked: Decimal
    rejected: Decimal
    backordered: Decimal
    on_hand: Decimal = strawberry.field(description="pendingQc + available + reserved + picked "
                                                    "+ rejected.")

    @classmethod
    def from_payload(cls, levels: dict[str, str], on_hand: str) -> StockChangeLevels:
        def level(bucket: Bucket) -> Decimal:
            return Decimal(levels.get(bucket.value, "0"))

        return cls(
            on_order=level(Bucket.ON_ORDER), in_transit=level(Bucket.IN_TRANSIT),
            pending_qc=level(Bucket.PENDING_QC), available=level(Bucket.AVAILABLE),
            reserved=level(Bucket.RESERVED), picked=level(Bucket.PICKED),
            rejected=level(Bucket.REJECTED), backordered=level(Bucket.BACKORDERED),
            on_hand=Decimal(on_hand),
        )


@strawberry.type(description="One committed change of a product's stock in a warehouse.")
class StockChange(SharedEventRoot):
    cursor: str = strawberry.field(
        description="Pass as `after` when subscribing again to resume right after this change."
    )
    sku: str
    product_id: strawberry.ID
    warehouse_code: str
    deltas: list[BucketDelta]
    levels: StockChangeLevels
    average_cost: Decimal
    value: Decimal
    position_version: int = strawberry.field(
        description="Grows with every change of this product in this warehouse: a snapshot with "
                    "a lower version than one already shown is older."
    )
    document_type: str
    document_number: str | None
    document_line: int | None
    reason: str | None
    actor: str
    posted_at: datetime

    @classmethod
    def from_event(cls, event: StoredEvent) -> StockChange:
        """One object per event, shared by every subscriber it is pushed to."""
        shared = event.derived.get(cls.__name__)
        if shared is None:
            shared = event.derived[cls.__name__] = cls._build(event)
        change: StockChange = shared
        return change

    @classmethod
    def _build(cls, event: StoredEvent) -> StockChange:
        body: dict[str, Any] = event.payload
        return cls(
            cursor=event.cursor,
            sku=body["sku"],
            product_id=strawberry.ID(str(body["productId"])),
            warehouse_code=body["warehouseCode"],
            deltas=[BucketDelta(bucket=Bucket(bucket), quantity=Decimal(quantity))
                    for bucket, quantity in body["deltas"].items()],
            levels=StockChangeLevels.from_payload(body["levels"], body["onHand"]),
            average_cost=Decimal(body["averageCost"]),
            value=Decimal(body["value"]),
            position_version=body["positionVersion"],
            document_type=body["documentType"],
            document_number=body.get("documentNumber"),
            document_line=body.get("documentLine"),
            reason=body.get("reason"),
            actor=body["actor"],
            posted_at=datetime.fromisoformat(body["postedAt"]),
        )


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        description="Every stock change in a warehouse (optionally only some SKUs) as it commits. "
                    "With `after` (a change's cursor) the changes missed since are sent first, "
                    "each exactly once. A subscriber that falls too far behind is closed with "
                    "SUBSCRIBER_TOO_SLOW and resumes from its last cursor."
    )
    async def stock_changed(
        self, info: Info, warehouse_code: str, skus: list[str] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[StockChange, None]:
        context = info.context
        if context.events is None:
            raise HubStopped("live events are not running on this server")
        stream = await stock_changes(
            context.db, context.events, context.user(), warehouse_code, skus, after
        )
        try:
            async for event in stream:
                yield StockChange.from_event(event)
        finally:
            await stream.aclose()
