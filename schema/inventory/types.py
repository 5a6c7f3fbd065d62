"""GraphQL types for stock, built from the inventory read models with ``from_row``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.errors import UserError
from server.inventory import queries
from server.inventory.models import Bucket

StockBucket = strawberry.enum(Bucket, name="StockBucket")


@strawberry.type(description="What one bin holds of a product (and lot), whatever its bucket.")
class BinStock:
    location_code: str
    lot: str | None
    quantity: Decimal

    @classmethod
    def from_row(cls, row: queries.BinQuantity) -> BinStock:
        return cls(location_code=row.location_code, lot=row.lot or None, quantity=row.quantity)


@strawberry.type(description="Every bucket of one product in one warehouse, its value and bins.")
class StockLevel:
    sku: str
    warehouse_code: str
    on_order: Decimal = strawberry.field(description="Ordered from suppliers, not yet shipped.")
    in_transit: Decimal = strawberry.field(
        description="Shipped by suppliers, or by another warehouse (a transfer), not yet received.")
    pending_qc: Decimal
    available: Decimal = strawberry.field(description="Free to sell.")
    reserved: Decimal = strawberry.field(description="Promised to sales orders.")
    picked: Decimal
    rejected: Decimal
    backordered: Decimal = strawberry.field(description="Sales demand not yet reserved.")
    on_hand: Decimal = strawberry.field(
        description="pendingQc + available + reserved + picked + rejected."
    )
    projected: Decimal = strawberry.field(
        description="available + inTransit + onOrder − backordered."
    )
    average_cost: Decimal | None = strawberry.field(
        description="Moving average per unit; null until stock first came in."
    )
    value: Decimal = strawberry.field(description="Value of the stock on hand at cost.")
    version: int = strawberry.field(
        description="Grows with every change of this product in this warehouse."
    )
    bins: list[BinStock]

    @classmethod
    def from_row(cls, row: queries.StockLevel) -> StockLevel:
        b = row.buckets
        return cls(
            sku=row.sku, warehouse_code=row.warehouse_code,
            on_order=b[Bucket.ON_ORDER], in_transit=b[Bucket.IN_TRANSIT],
            pending_qc=b[Bucket.PENDING_QC], available=b[Bucket.AVAILABLE],
            reserved=b[Bucket.RESERVED], picked=b[Bucket.PICKED], rejected=b[Bucket.REJECTED],
            backordered=b[Bucket.BACKORDERED], on_hand=row.on_hand, projected=row.projected,
            average_cost=row.average_cost, value=row.value, version=row.version,
            bins=[BinStock.from_row(bin_) for bin_ in row.bins],
        )


@strawberry.type(description="One append-only ledger row: a quantity moved between buckets "
                             "(a null bucket is outside the warehouse).")
class StockLedgerEntry:
    id: strawberry.ID
    posting_id: str = strawberry.field(description="Shared by the rows of one posting.")
    sku: str
    warehouse_code: str
    from_bucket: StockBucket | None
    to_bucket: StockBucket | None
    from_location_code: str | None
    to_location_code: str | None
    lot: str | None
    quantity: Decimal
    unit_cost: Decimal | None = strawberry.field(
        description="Inbound: the cost it came in at; outbound: the average it left at."
    )
    value: Decimal | None = strawberry.field(
        description="Value moved in or out of stock; null for moves that keep it in (or out)."
    )
    document_type: str
    document_number: str | None
    document_line: int | None
    reason: str | None
    actor: str
    posted_at: datetime

    @classmethod
    def from_row(cls, entry: queries.LedgerEntry) -> StockLedgerEntry:
        row = entry.row
        return cls(
            id=strawberry.ID(str(row.id)), posting_id=row.posting_id, sku=entry.sku,
            warehouse_code=entry.warehouse_code,
            from_bucket=Bucket(row.from_bucket) if row.from_bucket else None,
            to_bucket=Bucket(row.to_bucket) if row.to_bucket else None,
            from_location_code=entry.from_location_code,
            to_location_code=entry.to_location_code, lot=row.lot or None,
            quantity=row.quantity, unit_cost=row.unit_cost, value=row.value,
            document_type=row.document_type, document_number=row.document_number,
            document_line=row.document_line, reason=row.reason, actor=entry.actor,
            posted_at=row.posted_at,
        )


@strawberry.type(description="A manual movement: its document, its ledger rows, the level after.")
class StockMovement:
    document_number: str
    entries: list[StockLedgerEntry]
    stock_level: StockLevel

    @classmethod
    def from_row(cls, movement: queries.StockMovement) -> StockMovement:
        return cls(
            document_number=movement.document_number,
            entries=[StockLedgerEntry.from_row(entry) for entry in movement.entries],
            stock_level=StockLevel.from_row(movement.level),
        )


@strawberry.type
class StockMovementPayload:
    movement: StockMovement | None
    user_errors: list[UserError]
