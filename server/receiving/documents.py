"""What a scanned document expects at the dock: a PO, an ASN, or one pallet (SSCC) of an ASN,
with each line's ordered, shipped, received and still receivable quantities."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.catalog.models import Product, ProductBarcode, Supplier, Warehouse
from server.errors import InvalidInput, NotFound
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
    ShipmentNoticeLine,
)
from server.purchasing.orders import ORDER_PREFIX, load_order
from server.purchasing.rules import shipping_allowance
from server.receiving.barcodes import BarcodeKind, resolve_in_session
from server.receiving.receipt_rules import LineProgress, receivable_now

ZERO = Decimal(0)


@dataclass(slots=True)
class Target:
    """The order a scan names, and the ASN and pallet when it names one of those."""

    scanned: str
    order: PurchaseOrder
    notice: ShipmentNotice | None = None
    sscc: str | None = None

    def notice_lines(self) -> list[ShipmentNoticeLine]:
        """The ASN lines this receipt may draw on: the pallet's, else the whole notice's."""
        if self.notice is None:
            return []
        return [line for line in self.notice.lines if self.sscc is None or line.sscc == self.sscc]


@dataclass(frozen=True, slots=True)
class ExpectedLine:
    line_no: int
    product: Product
    barcodes: Sequence[ProductBarcode]
    ordered: Decimal
    shipped: Decimal
    received: Decimal
    remaining: Decimal
    max_receivable: Decimal
    lot: str | None = None
    expiry: date | None = None
    sscc: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivingDocument:
    scanned: str
    order: PurchaseOrder
    notice: ShipmentNotice | None
    sscc: str | None
    warehouse: Warehouse
    supplier: Supplier
    lines: Sequence[ExpectedLine]


def progress_of(line: PurchaseOrderLine, tolerance_pct: Decimal) -> LineProgress:
    return LineProgress(
        line_no=line.line_no, ordered=line.quantity, shipped=line.shipped_quantity,
        received=line.received_quantity, closed=line.closed,
        allowance=shipping_allowance(line.quantity, tolerance_pct),
    )


async def find_target(session: AsyncSession, code: str, *, lock: bool = False) -> Target:
    """The order (locked FOR UPDATE when asked) behind a scanned PO, ASN or pallet label."""
    if code.startswith(f"{ORDER_PREFIX}-"):  # the usual scan: the PO's own number, read once
        with suppress(NotFound):
            return Target(code, await load_order(session, code, lock=lock, field="document"))
    resolution = await resolve_in_session(session, code)
    notice = resolution.shipment_notice
    if resolution.kind in (BarcodeKind.SHIPMENT_NOTICE, BarcodeKind.PALLET) and notice:
        order = await load_order(session, resolution.purchase_order.number, lock=lock,
                                 field="document")
        if lock:  # its lines were read before the order's lock: another receipt may have moved them
            notice = await _reread(session, notice)
        sscc = resolution.read.sscc if resolution.kind is BarcodeKind.PALLET else None
        return Target(code, order, notice, sscc)
    if resolution.kind is BarcodeKind.PURCHASE_ORDER and resolution.purchase_order:
        order = await load_order(session, resolution.purchase_order.number, lock=lock,
                                 field="document")
        return Target(code, order)
    raise InvalidInput(f"{code!r} is a {resolution.kind.value.lower().replace('_', ' ')}, not a "
                       "PO, ASN or pallet label", field="document")


async def _reread(session: AsyncSession, notice: ShipmentNotice) -> ShipmentNotice:
    return (await session.scalars(
        select(ShipmentNotice).where(ShipmentNotice.id == notice.id)
        .options(selectinload(ShipmentNotice.lines)).execution_options(populate_existing=True)
    )).one()


async def receiving_document(session: AsyncSession, code: str) -> ReceivingDocument:
    target = await find_target(session, code)
    return await view_of(session, target)


async def view_of(session: AsyncSession, target: Target) -> ReceivingDocument:
    order = target.order
    supplier = await session.get_one(Supplier, order.supplier_id)
    warehouse = await session.get_one(Warehouse, order.warehouse_id)
    product_ids = {line.product_id for line in order.lines}
    products = {p.id: p for p in await session.scalars(
        select(Product).where(Product.id.in_(product_ids)))}
    barcodes: dict[int, list[ProductBarcode]] = {pid: [] for pid in product_ids}
    for barcode in await session.scalars(select(ProductBarcode).where(
            ProductBarcode.product_id.in_(product_ids)).order_by(ProductBarcode.id)):
        barcodes[barcode.product_id].append(barcode)
    by_id = {line.id: line for line in order.lines}
    tolerance = supplier.over_receipt_tolerance_pct

    def expected(line: PurchaseOrderLine, notice_line: ShipmentNoticeLine | None = None
                 ) -> ExpectedLine:
        if notice_line is None:
            shipped, received = line.shipped_quantity, line.received_quantity
            remaining = ZERO if line.closed else max(line.quantity - received, ZERO)
        else:
            shipped, received = notice_line.quantity, notice_line.received_quantity
            remaining = max(shipped - received, ZERO)
        return ExpectedLine(
            line_no=line.line_no, product=products[line.product_id],
            barcodes=barcodes[line.product_id], ordered=line.quantity, shipped=shipped,
            received=received, remaining=remaining,
            max_receivable=receivable_now(progress_of(line, tolerance)),
            lot=notice_line.lot if notice_line else None,
            expiry=notice_line.expiry if notice_line else None,
            sscc=notice_line.sscc if notice_line else None,
        )

    if target.notice is None:
        lines = [expected(line) for line in order.lines]
    else:
        lines = [expected(by_id[n.order_line_id], n) for n in target.notice_lines()]
    if not lines:
        raise NotFound(f"nothing on {target.scanned!r} to receive", field="document")
    return ReceivingDocument(target.scanned, order, target.notice, target.sscc, warehouse,
                             supplier, lines)
