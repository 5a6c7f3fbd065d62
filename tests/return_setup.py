"""Goods from S1 ready to go back: P2 (QC required, 250 each) received 10 in lot L1, 6 passed and
4 rejected into WH1-REJ; P1 (no QC, 100 each) received 10 in lot L1, available at WH1-RCV."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from server.db import Database
from server.inventory.models import Bucket
from server.purchasing.return_rules import ReturnDraft, ReturnLineDraft
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult
from tests.receiving_setup import approved_order, receive
from tests.world import World


@dataclass(frozen=True, slots=True)
class Goods:
    order_number: str


async def goods_to_return(db: Database, world: World) -> Goods:
    order = await approved_order(db, world, {"P1": 10, "P2": 10})
    received = await receive(db, world, order.number, [("P1", 10, "L1"), ("P2", 10, "L1")])
    for result, accepted, rejected in [(InspectionResult.PASS, 6, 0),
                                       (InspectionResult.FAIL, 0, 4)]:
        await record_inspection(db, world["qc"], InspectionRequest(
            task_id=received.task_of(2).id, result=result, idempotency_key=uuid.uuid4().hex,
            accepted_quantity=Decimal(accepted), rejected_quantity=Decimal(rejected),
            notes="cracked housings" if rejected else ""))
    return Goods(order.number)


def line(sku: str, quantity: int | str, bucket: Bucket, lot: str = "L1",
         po_number: str | None = None, reason: str = "defective") -> ReturnLineDraft:
    return ReturnLineDraft(sku, Decimal(quantity), bucket, reason, lot, po_number)


def draft(*lines: ReturnLineDraft, supplier: str = "S1") -> ReturnDraft:
    return ReturnDraft(supplier, "WH1", list(lines))
