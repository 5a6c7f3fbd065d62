"""Manual stock movements: build the request, call one use case, map its result or errors."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from schema.context import Info
from schema.errors import attempt
from schema.inventory.types import StockMovement, StockMovementPayload
from server.inventory import service as inventory
from server.inventory.rules import AdjustmentRequest, BinMoveRequest

KEY_HELP = "A new UUID per intended action; a retry with the same key gets the first result."


@strawberry.input
class AdjustStockInput:
    warehouse_code: str
    sku: str
    location_code: str = strawberry.field(description="The bin counted in or out.")
    quantity: Decimal = strawberry.field(
        description="Signed: positive brings stock in, negative takes it out; never 0."
    )
    reason: str = strawberry.field(description="Why: opening balance, cycle count, damage, ...")
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    lot: str | None = None
    unit_cost: Decimal | None = strawberry.field(
        default=None,
        description="Increases only; defaults to the current average cost, required when the "
                    "product has none in this warehouse yet.",
    )


@strawberry.input
class MoveStockInput:
    sku: str
    from_location_code: str
    to_location_code: str
    quantity: Decimal
    idempotency_key: str = strawberry.field(description=KEY_HELP)
    warehouse_code: str | None = strawberry.field(
        default=None, description="Optional check: both bins must be in this warehouse."
    )
    lot: str | None = None


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(description="Count stock into or out of a bin (available), with a reason.")
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockMovementPayload:
        request = AdjustmentRequest(
            warehouse_code=input.warehouse_code, sku=input.sku,
            location_code=input.location_code, quantity=input.quantity, reason=input.reason,
            idempotency_key=input.idempotency_key, lot=input.lot, unit_cost=input.unit_cost,
        )
        row, errors = await attempt(
            lambda: inventory.adjust_stock(info.context.db, info.context.user(), request)
        )
        return StockMovementPayload(movement=row and StockMovement.from_row(row),
                                    user_errors=errors)

    @strawberry.mutation(description="Carry available stock from one bin to another of the same "
                                     "warehouse.")
    async def move_stock(self, info: Info, input: MoveStockInput) -> StockMovementPayload:
        request = BinMoveRequest(
            sku=input.sku, from_location_code=input.from_location_code,
            to_location_code=input.to_location_code, quantity=input.quantity,
            idempotency_key=input.idempotency_key, warehouse_code=input.warehouse_code,
            lot=input.lot,
        )
        row, errors = await attempt(
            lambda: inventory.move_stock(info.context.db, info.context.user(), request)
        )
        return StockMovementPayload(movement=row and StockMovement.from_row(row),
                                    user_errors=errors)
