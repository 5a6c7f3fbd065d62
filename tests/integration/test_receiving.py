"""Goods receipts on the service layer: against a PO, an ASN and a pallet; every refusal posts
nothing; a key replays; two scanners racing for the last units."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.db import Database, utcnow
from server.errors import DomainError
from server.inventory.models import Bucket, StockLedger, StockLot
from server.purchasing import orders, portal
from server.purchasing.states import PoState
from server.receiving import receipts
from server.receiving.models import Receipt, TaskKind, WarehouseTask
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine
from tests.receiving_setup import approved_order, bins_of, level, order_line, receiving_world
from tests.world import World

D = Decimal
SSCC = "003456789012345670"
PALLET_LABEL = "]C100" + SSCC  # a GS1-128 pallet label: AI 00


@pytest.fixture
async def world(db: Database) -> World:
    return await receiving_world(db)


def request(document: str, *lines: ReceiveLine, key: str | None = None,
            version: int | None = None, warehouse: str = "WH1") -> ReceiptRequest:
    return ReceiptRequest(document, warehouse, key or str(uuid.uuid4()), list(lines), version)


def by_sku(sku: str, quantity: int | str, lot: str | None = None) -> ReceiveLine:
    return ReceiveLine(D(quantity), sku=sku, lot=lot)


async def counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        return (await session.scalar(select(func.count()).select_from(Receipt)) or 0,
                await session.scalar(select(func.count()).select_from(StockLedger)) or 0)


async def refused(db: Database, world: World, req: ReceiptRequest) -> receipts.ReceiptRefused:
    before = await counts(db)
    with pytest.raises(receipts.ReceiptRefused) as caught:
        await receipts.receive_goods(db, world["warehouse"], req)
    assert await counts(db) == before, "a refused receipt posts nothing"
    return caught.value


async def test_partial_receipts_make_stock_available_and_advance_the_order(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    async with db.reader() as session:
        version = (await orders.load_order(session, order.number)).version
    first = await receipts.receive_goods(db, world["warehouse"],
                                         request(order.number, by_sku("P1", 40, "L1")))
    assert first.receipt.number.startswith(f"GR-{utcnow().year}-")
    assert first.order_number == order.number
    assert [(line.quantity, line.bucket, line.unit_cost) for line in first.receipt.lines] == [
        (D(40), "available", D(100))]
    assert await level(db, "P1", Bucket.AVAILABLE) == D(40)
    assert await level(db, "P1", Bucket.ON_ORDER) == D(60)
    assert await bins_of(db, "P1") == {("WH1-RCV", "L1"): D(40)}
    line = await order_line(db, order.number, "P1")
    assert (line.received_quantity, line.accepted_quantity) == (D(40), D(40))
    async with db.reader() as session:
        assert (await orders.load_order(session, order.number)).state == PoState.PARTIALLY_RECEIVED
        [task] = await session.scalars(select(WarehouseTask).where(
            WarehouseTask.document_number == first.receipt.number))
    assert (task.kind, task.quantity) == (TaskKind.PUTAWAY, D(40))

    await receipts.receive_goods(db, world["warehouse"], request(order.number, by_sku("P1", 60)))
    assert await level(db, "P1", Bucket.ON_ORDER) == 0
    assert await level(db, "P1", Bucket.AVAILABLE) == D(100)
    async with db.reader() as session:
        reloaded = await orders.load_order(session, order.number)
    assert reloaded.state == PoState.RECEIVED
    assert reloaded.version == version, "receipts are progress, not a change of terms"


async def test_qc_products_wait_in_pending_qc_with_a_qc_task(db: Database, world: World) -> None:
    order = await approved_order(db, world, {"P2": 10})
    received = await receipts.receive_goods(
        db, world["warehouse"], request(order.number, ReceiveLine(D(10), barcode="6901234567908")))
    [line] = received.receipt.lines
    assert (line.bucket, line.barcode) == ("pending_qc", "6901234567908")
    assert await level(db, "P2", Bucket.PENDING_QC) == D(10)
    assert await level(db, "P2", Bucket.AVAILABLE) == 0
    assert (await order_line(db, order.number, "P2")).accepted_quantity == 0
    async with db.reader() as session:
        [task] = await session.scalars(select(WarehouseTask).where(
            WarehouseTask.document_number == received.receipt.number))
    assert (task.kind, task.bucket) == (TaskKind.QC, "pending_qc")


async def test_receiving_against_an_asn_draws_from_in_transit_and_records_the_promise(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    promised = utcnow().date() + timedelta(days=3)
    await portal.confirm_purchase_order(db, world["s1"], order.number,
                                        [portal.LineConfirmation(1, D(100), promised)])
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, D(50), lot="LOT-A", sscc=SSCC)]))
    assert await level(db, "P1", Bucket.IN_TRANSIT) == D(50)

    received = await receipts.receive_goods(db, world["warehouse"],
                                            request(notice.number, by_sku("P1", 30)))
    assert received.notice_number == notice.number
    [line] = received.receipt.lines
    # Scanned without a lot: the one lot the ASN announced for the product is taken.
    assert (line.lot, line.confirmed_date) == ("LOT-A", promised)
    assert await level(db, "P1", Bucket.IN_TRANSIT) == D(20)
    assert await level(db, "P1", Bucket.ON_ORDER) == D(50)

    pallet = await receipts.receive_goods(db, world["warehouse"], request(PALLET_LABEL))
    [rest] = pallet.receipt.lines
    assert (rest.quantity, rest.lot) == (D(20), "LOT-A")
    assert await level(db, "P1", Bucket.IN_TRANSIT) == 0
    again = await refused(db, world, request(PALLET_LABEL))
    assert again.problems[0].code == "OVER_RECEIPT"


async def test_over_receipt_beyond_tolerance_is_refused_with_the_current_state(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    error = await refused(db, world, request(order.number, by_sku("P1", 106)))
    assert [p.code for p in error.problems] == ["OVER_RECEIPT"]
    assert error.problems[0].field == "lines[0].quantity"
    assert "at most 105" in error.problems[0].message
    assert error.current is not None and error.current.lines[0].max_receivable == D(105)
    await receipts.receive_goods(db, world["warehouse"], request(order.number, by_sku("P1", 105)))
    assert await level(db, "P1", Bucket.AVAILABLE) == D(105)


async def test_refusals_post_nothing(db: Database, world: World) -> None:
    order = await approved_order(db, world, {"P1": 10})
    cases = [
        (request(order.number, by_sku("P3", 1)), "NOT_ON_ORDER"),
        (request(order.number, by_sku("NOPE", 1)), "NOT_FOUND"),
        (request(order.number, ReceiveLine(D(1), barcode="6901234567891")), "MALFORMED_BARCODE"),
        (request(order.number, by_sku("P1", 1), version=order.version + 5), "STALE_VERSION"),
        (request(order.number, by_sku("P1", 1), warehouse="WH2"), "INVALID_INPUT"),
        (request("PO-1999-000001", by_sku("P1", 1)), "UNKNOWN_BARCODE"),
        (request(order.number), "INVALID_INPUT"),
    ]
    for req, code in cases:
        error = await refused(db, world, req)
        assert error.problems[0].code == code, (req, error.problems)
    with pytest.raises(DomainError) as forbidden:
        await receipts.receive_goods(db, world["sales"], request(order.number, by_sku("P1", 1)))
    assert forbidden.value.problems[0].code == "FORBIDDEN"


async def test_closed_orders_and_lines_take_nothing_more(db: Database, world: World) -> None:
    order = await approved_order(db, world, {"P1": 10, "P2": 5})
    await orders.close_line_short(db, world["purchaser"], order.number, 2, "supplier ran out")
    error = await refused(db, world, request(order.number, by_sku("P2", 1)))
    assert error.problems[0].code == "LINE_CLOSED"
    await orders.cancel_purchase_order(db, world["purchaser"], order.number, "not needed")
    error = await refused(db, world, request(order.number, by_sku("P1", 1)))
    assert error.problems[0].code == "PO_CLOSED"
    assert error.current is not None and error.current.order.state == PoState.CANCELLED


async def test_the_same_key_returns_the_first_receipt_and_posts_nothing(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    req = request(order.number, by_sku("P1", 10))
    first = await receipts.receive_goods(db, world["warehouse"], req)
    posted = await counts(db)
    replay = await receipts.receive_goods(db, world["warehouse"], req)
    assert replay.receipt.number == first.receipt.number
    assert await counts(db) == posted
    assert await level(db, "P1", Bucket.AVAILABLE) == D(10)


async def test_two_scanners_racing_for_the_last_units_one_wins(
    db: Database, world: World, postgres_only: None
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    await receipts.receive_goods(db, world["warehouse"], request(order.number, by_sku("P1", 90)))
    async with db.reader() as session:
        version = (await orders.load_order(session, order.number)).version

    async def scan() -> receipts.ReceiptView | receipts.ReceiptRefused:
        try:
            return await receipts.receive_goods(
                db, world["warehouse"], request(order.number, by_sku("P1", 10), version=version))
        except receipts.ReceiptRefused as error:
            return error

    outcomes = await asyncio.gather(scan(), scan())
    winners = [o for o in outcomes if isinstance(o, receipts.ReceiptView)]
    losers = [o for o in outcomes if isinstance(o, receipts.ReceiptRefused)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].problems[0].code == "OVER_RECEIPT"
    assert losers[0].current is not None
    assert losers[0].current.lines[0].received == D(100)
    assert await level(db, "P1", Bucket.AVAILABLE) == D(100)


async def test_received_lots_are_known_with_their_expiry_and_first_arrival(
    db: Database, world: World
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    first_expiry, later_expiry = date(2027, 3, 31), date(2028, 1, 1)
    await receipts.receive_goods(db, world["warehouse"], request(
        order.number, ReceiveLine(D(5), sku="P1", lot="L1", expiry=first_expiry)))
    await receipts.receive_goods(db, world["warehouse"], request(
        order.number, ReceiveLine(D(5), sku="P1", lot="L1", expiry=later_expiry),
        by_sku("P1", 5)))
    async with db.reader() as session:
        lots = list(await session.scalars(select(StockLot)))
    assert [(lot.lot, lot.expiry) for lot in lots] == [("L1", first_expiry)], \
        "a lot is recorded once, as it first arrived; stock without a lot is no lot"
