"""Two scanners receiving the same pallet at once: the second sees what the first booked on the
ASN, because the notice is read again once the order is locked."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.db import Database
from server.purchasing import portal
from server.purchasing.models import ShipmentNoticeLine
from server.receiving import receipts
from server.receiving.receipt_rules import ReceiptRequest
from tests.receiving_setup import approved_order, receiving_world
from tests.world import World

SSCC = "003456789012345670"
PALLET_LABEL = "]C100" + SSCC


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


async def test_a_pallet_scanned_twice_at_once_is_received_once(
    db: Database, world: World, postgres_only: None
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    await portal.confirm_purchase_order(db, world["s1"], order.number,
                                        [portal.LineConfirmation(1, Decimal(100), date.today())])
    await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(50), lot="LOT-A", sscc=SSCC)]))

    async def scan() -> receipts.ReceiptView | receipts.ReceiptRefused:
        request = ReceiptRequest(PALLET_LABEL, "WH1", str(uuid.uuid4()))
        try:
            return await receipts.receive_goods(db, world["warehouse"], request)
        except receipts.ReceiptRefused as error:
            return error

    outcomes = await asyncio.gather(scan(), scan())
    refusals = [o for o in outcomes if isinstance(o, receipts.ReceiptRefused)]
    assert [r.problems[0].code for r in refusals] == ["OVER_RECEIPT"]
    async with db.reader() as session:
        received = await session.scalar(select(ShipmentNoticeLine.received_quantity)
                                        .where(ShipmentNoticeLine.sscc == SSCC))
    assert received == Decimal(50)
