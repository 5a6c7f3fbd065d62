"""``receive_goods``: one confirmed scan session posted as a goods receipt (GR) in one transaction.

The order row is locked first, so receipts of the same order take turns and every quantity check
sees what the previous receipt left. Receipts are progress, not terms: they leave the order's
version alone, so two scanners may work the same order and only the quantity checks decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Location, Product, Supplier, Warehouse
from server.catalog.products import product_by_sku
from server.catalog.service import RECEIVING_BIN_ID, no_receiving_bin
from server.db import Database, insert_rows, utcnow
from server.errors import DomainError, InvalidInput, Problem
from server.events import events_batched, record_event
from server.idempotency import run_once
from server.inventory.balances import Names
from server.inventory.lots import register_lots
from server.inventory.models import Bucket
from server.inventory.moves import Move, PostingContext
from server.inventory.posting import HeldNames, apply_moves, lock_stock, record_moves
from server.numbering import next_number
from server.purchasing.events import order_event
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, ShipmentNoticeLine
from server.purchasing.orders import check_version
from server.purchasing.states import PoAction, PoState, check_allowed
from server.receiving import documents, queries
from server.receiving.barcodes import resolve_in_session
from server.receiving.documents import ReceivingDocument, Target
from server.receiving.models import Receipt, ReceiptLine
from server.receiving.queries import ReceiptView
from server.receiving.receipt_rules import (
    LineProgress,
    ReceiptRequest,
    ReceiveLine,
    fully_received,
    receivable_now,
    request_problems,
    sources,
    spread,
)
from server.receiving.tasks import open_receipt_tasks, receipt_bins

DOCUMENT_TYPE = "GR"
OPERATION = "receiveGoods"
RECEIVERS = (Role.WAREHOUSE,)


class ReceiptRefused(DomainError):
    """Nothing was posted; ``current`` is the document as it stands, when it was found."""

    def __init__(self, error: DomainError, current: ReceivingDocument | None) -> None:
        super().__init__(str(error))
        self.problems = error.problems
        self.current = current


@dataclass(slots=True)
class _Counted:
    """One input line resolved to a product, with the lot and expiry it carries."""

    index: int
    product: Product
    quantity: Decimal
    lot: str
    expiry: date | None
    serials: tuple[str, ...]
    barcode: str | None


async def receive_goods(
    db: Database, principal: Principal, request: ReceiptRequest
) -> ReceiptView:
    principal.require(*RECEIVERS)
    posted: list[ReceiptView] = []

    async def perform(session: AsyncSession) -> dict[str, Any]:
        view = await _post(session, principal, request)
        posted.append(view)  # the answer, built before commit: no second read of it
        return {"number": view.receipt.number}

    try:
        if problems := request_problems(request):
            raise InvalidInput.of(problems)
        outcome = await run_once(db, principal, OPERATION, request.idempotency_key, perform)
    except DomainError as error:
        raise ReceiptRefused(error, await _current(db, request.document)) from error
    if posted:
        return posted[0]
    async with db.reader() as session:  # a replay: the first call's receipt
        receipt = await queries.load_receipt(session, outcome.result["number"])
        [view] = await queries.views_of(session, [receipt])
        return view


async def _current(db: Database, code: str) -> ReceivingDocument | None:
    async with db.reader() as session:
        try:
            return await documents.receiving_document(session, code)
        except DomainError:
            return None


async def _post(
    session: AsyncSession, principal: Principal, request: ReceiptRequest
) -> ReceiptView:
    target = await documents.find_target(session, request.document, lock=True)
    order = target.order
    _check_receivable(order)
    check_version(order, request.based_on_version)
    warehouse, supplier, location = await _warehouse_and_supplier(
        session, order, request.warehouse_code)
    counted = await _counted(session, target, request.lines)
    if location is None:
        raise no_receiving_bin(warehouse.code)
    receipt = Receipt(
        order_id=order.id, notice_id=target.notice and target.notice.id,
        supplier_id=order.supplier_id, warehouse_id=warehouse.id, location_id=location.id,
        document_scan=request.document, received_by_id=principal.user_id, received_at=utcnow(),
    )
    tolerance = supplier.over_receipt_tolerance_pct
    moves = _receive(target, tolerance, counted, receipt, location)
    # Everything that may wait on another transaction, and everything that needs no number,
    # comes before the receipt number, whose row every receipt needs: it stays locked only for
    # the writes that carry the number. The stock is locked first, so its balances change
    # without waiting.
    locked = await lock_stock(session, moves)
    await register_lots(session, [(line.product_id, line.lot, line.expiry)
                                  for line in receipt.lines])
    bins = await receipt_bins(session, receipt, receipt.lines)
    products = {c.product.id: c.product for c in counted}
    applied = await apply_moves(session, moves, locked, HeldNames(
        Names({i: p.sku for i, p in products.items()}, {warehouse.id: warehouse.code},
              {location.id: location.code}), {location.id: location.warehouse_id}))
    receipt.number = number = await next_number(session, DOCUMENT_TYPE, utcnow().date())
    await _insert(session, receipt)
    notice_number = target.notice.number if target.notice else None
    async with events_batched(session):
        # Tasks first: backorders served by this posting take their goods off the putaway tasks.
        await open_receipt_tasks(session, receipt, receipt.lines, products, bins)
        await record_moves(session, applied, PostingContext(
            DOCUMENT_TYPE, principal, number, reason=f"received against {order.number}"))
        done = fully_received([documents.progress_of(line, tolerance) for line in order.lines])
        order.state = (PoState.RECEIVED if done else PoState.PARTIALLY_RECEIVED).value
        await record_event(session, topic="receipt", kind="RECEIVED", warehouse_id=warehouse.id,
                           document_type=DOCUMENT_TYPE, document_number=number,
                           payload={"number": number, "orderNumber": order.number,
                                    "noticeNumber": notice_number})
        # The order's lines were read under its lock: no line can have come since.
        await order_event(session, order, "PO_RECEIVED", principal,
                          product_ids={line.product_id for line in order.lines}, receipt=number)
    line_numbers = {line.id: line.line_no for line in order.lines}
    return ReceiptView(receipt, order.number, notice_number, principal.username,
                       {line.id: line_numbers[line.order_line_id] for line in receipt.lines},
                       products, warehouse, location)


# Built once, Core: the receipt, then its lines in one INSERT (``insert_rows``).
_receipt, _receipt_line = Receipt.__table__, ReceiptLine.__table__
_INSERT_RECEIPT = insert(_receipt).returning(_receipt.c.id)


async def _insert(session: AsyncSession, receipt: Receipt) -> None:
    """Write the receipt and its lines and give them their ids. The objects stay outside the
    session (an ORM flush of them costs more than these two statements): the answer and the
    tasks only read them."""
    receipt.id = await session.scalar(_INSERT_RECEIPT, _values(receipt, _receipt))
    for line in receipt.lines:
        line.receipt_id = receipt.id
    ids = await insert_rows(session, _receipt_line,
                            [_values(line, _receipt_line) for line in receipt.lines])
    for line, id_ in zip(receipt.lines, ids, strict=True):
        line.id = id_


def _values(row: Receipt | ReceiptLine, table: Table) -> dict[str, Any]:
    """The columns set on ``row``."""
    state = inspect(row).dict
    return {column.key: state[column.key] for column in table.columns if column.key in state}


def _check_receivable(order: PurchaseOrder) -> None:
    state = PoState(order.state)
    if state in (PoState.CLOSED, PoState.CANCELLED):
        raise DomainError(f"{order.number} is {state.value}: nothing more can be received on it",
                          field="document", code="PO_CLOSED")
    check_allowed(PoAction.RECEIVE, state, order.number)


# Built once: the order's warehouse, its supplier and the warehouse's receiving bin (None when
# it has none), one read.
_WAREHOUSE_SUPPLIER_BIN = (
    select(Warehouse, Supplier, Location)
    .select_from(Warehouse)
    .join(Supplier, Supplier.id == bindparam("supplier_id"))
    .outerjoin(Location, Location.id == RECEIVING_BIN_ID)
    .where(Warehouse.id == bindparam("warehouse_id")))


async def _warehouse_and_supplier(
    session: AsyncSession, order: PurchaseOrder, code: str
) -> tuple[Warehouse, Supplier, Location | None]:
    """The order's warehouse, checked against the scanned one, its supplier and its receiving
    bin."""
    warehouse, supplier, location = (await session.execute(_WAREHOUSE_SUPPLIER_BIN, {
        "supplier_id": order.supplier_id, "warehouse_id": order.warehouse_id})).one()
    if warehouse.code != code:
        raise InvalidInput(f"{order.number} is delivered to {warehouse.code}, not {code}",
                           field="warehouseCode")
    return warehouse, supplier, location


async def _counted(
    session: AsyncSession, target: Target, lines: Sequence[ReceiveLine]
) -> list[_Counted]:
    """The input lines with their products, lots and expiries; a pallet label alone stands for
    everything still expected on that pallet."""
    if not lines:
        return await _whole_pallet(session, target)
    problems: list[Problem] = []
    counted: list[_Counted] = []
    for index, line in enumerate(lines):
        field = f"lines[{index}].{'sku' if line.sku is not None else 'barcode'}"
        try:
            counted.append(await _identify(session, index, line))
        except DomainError as error:
            problems.extend(Problem(p.code, p.message, field) for p in error.problems)
    if problems:
        raise DomainError.of(problems)
    return counted


async def _identify(session: AsyncSession, index: int, line: ReceiveLine) -> _Counted:
    lot, expiry, serials = line.lot, line.expiry, line.serials
    if line.sku is not None:
        product = await product_by_sku(session, line.sku)
    else:
        assert line.barcode is not None  # request_problems wants one of the two
        resolution = await resolve_in_session(session, line.barcode)
        if resolution.product is None:
            raise InvalidInput(f"{line.barcode!r} is a {resolution.kind.value.lower()}, "
                               "not a product")
        product, read = resolution.product, resolution.read
        if lot is not None and read.lot is not None and lot != read.lot:
            raise InvalidInput(f"lot {lot!r} differs from the label's lot {read.lot!r}")
        lot = lot if lot is not None else read.lot
        expiry = expiry or read.expiry
        if not serials and read.serial and line.quantity == 1:
            serials = (read.serial,)
    return _Counted(index, product, line.quantity, lot or "", expiry, serials, line.barcode)


async def _whole_pallet(session: AsyncSession, target: Target) -> list[_Counted]:
    if target.sscc is None:
        raise InvalidInput("scan at least one product", field="lines")
    by_id = {line.id: line for line in target.order.lines}
    products = {p.id: p for p in await session.scalars(select(Product).where(
        Product.id.in_({line.product_id for line in target.order.lines})))}
    counted = [
        _Counted(-1, products[by_id[n.order_line_id].product_id], n.quantity - n.received_quantity,
                 n.lot, n.expiry, (), None)
        for n in target.notice_lines() if n.quantity > n.received_quantity
    ]
    if not counted:
        raise DomainError(f"pallet {target.sscc} has been received already", field="document",
                          code="OVER_RECEIPT")
    return counted


def _receive(
    target: Target, tolerance_pct: Decimal, counted: Sequence[_Counted], receipt: Receipt,
    location: Location,
) -> list[Move]:
    """Spread each counted line over the order's lines, advancing them, and return the moves.
    Every line that cannot be received is reported, and nothing is kept."""
    order = target.order
    problems: list[Problem] = []
    moves: list[Move] = []
    for entry in counted:
        field = f"lines[{entry.index}].quantity" if entry.index >= 0 else "document"
        candidates = _candidates(target, entry.product.id)
        _announced_lot(target, entry, {line.id for line in candidates})
        if not candidates:
            where = f"pallet {target.sscc}" if target.sscc else (
                target.notice.number if target.notice else order.number)
            problems.append(Problem("NOT_ON_ORDER", f"{entry.product.sku} is not on {where}",
                                    field))
            continue
        lines = {line.line_no: line for line in candidates}
        progress = [documents.progress_of(line, tolerance_pct) for line in candidates]
        parts = spread(entry.quantity, progress)
        if parts is None:
            problems.append(_over_receipt(entry, progress, tolerance_pct, field))
            continue
        for line_no, quantity in parts:
            line = lines[line_no]
            moves.extend(_moves_for(entry, line, quantity, order, location))
            _advance(target, entry, line, quantity, receipt)
    if problems:
        raise DomainError.of(problems)
    return moves


def _announced_lot(target: Target, entry: _Counted, line_ids: set[int]) -> None:
    """A scan without a lot, against an ASN that announced exactly one lot for the product,
    takes that lot (and its expiry): the supplier's label said so."""
    if entry.lot:
        return
    announced = {(n.lot, n.expiry) for n in target.notice_lines()
                 if n.order_line_id in line_ids and n.lot}
    if len(announced) == 1:
        [(entry.lot, expiry)] = announced
        entry.expiry = entry.expiry or expiry


def _candidates(target: Target, product_id: int) -> list[PurchaseOrderLine]:
    lines = [line for line in target.order.lines if line.product_id == product_id]
    if target.notice is None:
        return lines
    announced = {n.order_line_id for n in target.notice_lines()}
    return [line for line in lines if line.id in announced]


def _over_receipt(
    entry: _Counted, progress: Sequence[LineProgress], tolerance_pct: Decimal, field: str
) -> Problem:
    ordered = sum((p.ordered for p in progress), Decimal(0))
    received = sum((p.received for p in progress), Decimal(0))
    closed = all(p.closed for p in progress)
    if closed and all(p.in_transit == 0 for p in progress):
        return Problem("LINE_CLOSED", f"{entry.product.sku}: the order line is closed; nothing "
                       "more is expected", field)
    room = sum((receivable_now(p) for p in progress), Decimal(0))
    return Problem("OVER_RECEIPT", f"{entry.product.sku}: ordered {ordered}, received {received}, "
                   f"at most {room} more can be received ({tolerance_pct}% tolerance); "
                   f"got {entry.quantity}", field)


def _moves_for(
    entry: _Counted, line: PurchaseOrderLine, quantity: Decimal, order: PurchaseOrder,
    location: Location,
) -> list[Move]:
    to_bucket = Bucket.PENDING_QC if entry.product.qc_required else Bucket.AVAILABLE
    progress = documents.progress_of(line, Decimal(0))
    return [Move(product_id=entry.product.id, warehouse_id=order.warehouse_id, quantity=part,
                 from_bucket=bucket, to_bucket=to_bucket, to_location_id=location.id,
                 lot=entry.lot, unit_cost=line.unit_price, document_line=line.line_no)
            for bucket, part in sources(progress, quantity)]


def _advance(
    target: Target, entry: _Counted, line: PurchaseOrderLine, quantity: Decimal,
    receipt: Receipt,
) -> None:
    """Book the quantity on the order line (and the ASN line) and add the receipt line. What
    arrives unannounced counts as shipped too, so shipped − received stays what is in transit."""
    in_transit = max(line.shipped_quantity - line.received_quantity, Decimal(0))
    line.shipped_quantity += max(quantity - in_transit, Decimal(0))
    line.received_quantity += quantity
    if not entry.product.qc_required:
        line.accepted_quantity += quantity
    notice_line = _notice_line(target, line, entry.lot)
    if notice_line is not None:
        notice_line.received_quantity += quantity
    receipt.lines.append(ReceiptLine(
        line_no=len(receipt.lines) + 1, order_line_id=line.id,
        notice_line_id=notice_line and notice_line.id, product_id=entry.product.id,
        quantity=quantity, unit_cost=line.unit_price, lot=entry.lot, expiry=entry.expiry,
        serials=list(entry.serials), barcode=entry.barcode,
        bucket=(Bucket.PENDING_QC if entry.product.qc_required else Bucket.AVAILABLE).value,
        confirmed_date=line.confirmed_date, requested_date=line.requested_date,
    ))


def _notice_line(target: Target, line: PurchaseOrderLine, lot: str) -> ShipmentNoticeLine | None:
    """The ASN line a quantity is booked on: the one with the same lot, else the first that
    still expects goods, else the first."""
    mine = [n for n in target.notice_lines() if n.order_line_id == line.id]
    for choose in (lambda n: n.lot == lot, lambda n: n.quantity > n.received_quantity,
                   lambda n: True):
        for notice_line in mine:
            if choose(notice_line):
                return notice_line
    return None
