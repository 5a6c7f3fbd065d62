"""A warehouse with stock on its shelves for stocktake tests: build_world's WH1, P1 and P3 in
WH1-A-01, P1 in WH1-A-02, all brought in by adjustments at known costs."""

from __future__ import annotations

import uuid
from decimal import Decimal

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from server.stocktake import closing
from server.stocktake.rules import CountRequest
from server.stocktake.service import APPROVAL_DOCUMENT_TYPE
from tests.world import World, build_world

FINANCE_STEP = StepSpec("finance", Mode.ANY, None, (Role.FINANCE_DIRECTOR,))


async def stocked_world(db: Database) -> World:
    """10 × P1 at 100 and 4 × P3 (lot L1) at 40 in WH1-A-01; 5 × P1 in WH1-A-02."""
    world = await build_world(db)
    for sku, location, quantity, cost, lot in [("P1", "WH1-A-01", 10, "100", None),
                                               ("P3", "WH1-A-01", 4, "40", "L1"),
                                               ("P1", "WH1-A-02", 5, "100", None)]:
        await adjust(db, world, sku, location, quantity, cost, lot)
    return world


async def adjust(db: Database, world: World, sku: str, location: str, quantity: int,
                 cost: str | None = None, lot: str | None = None) -> None:
    await adjust_stock(db, world["warehouse"], AdjustmentRequest(
        warehouse_code="WH1", sku=sku, location_code=location, quantity=Decimal(quantity),
        reason="set-up", idempotency_key=uuid.uuid4().hex, lot=lot,
        unit_cost=Decimal(cost) if cost is not None else None))


async def require_finance_approval(db: Database, world: World) -> None:
    await approvals.set_policy(db, world.admin, APPROVAL_DOCUMENT_TYPE, [FINANCE_STEP])


def count(number: str, location: str, quantity: str | int, *, sku: str | None = "P1",
          barcode: str | None = None, lot: str | None = None, device: str = "pda-1",
          key: str | None = None) -> CountRequest:
    return CountRequest(stocktake_number=number, location_code=location,
                        quantity=Decimal(quantity), device_id=device,
                        idempotency_key=key or uuid.uuid4().hex,
                        sku=None if barcode else sku, barcode=barcode, lot=lot)


def posting(number: str, *, zero_uncounted: bool = False,
            key: str | None = None) -> closing.PostRequest:
    return closing.PostRequest(number=number, idempotency_key=key or uuid.uuid4().hex,
                               zero_uncounted=zero_uncounted)
