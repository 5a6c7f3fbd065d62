"""The supplier's side of an order: it sees its own orders once sent, confirms quantities and
dates, declines, and announces shipments (ASN). Another supplier's order is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Supplier
from server.db import Database, utcnow
from server.errors import DomainError, Duplicate, InvalidInput, NotFound, Problem
from server.numbering import next_number
from server.purchasing import stock
from server.purchasing.events import order_event
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
    ShipmentNoticeLine,
)
from server.purchasing.orders import check_version, load_order
from server.purchasing.rules import shipping_allowance
from server.purchasing.states import PoAction, PoState, check_allowed

SSCC_LENGTH = 18


@dataclass(frozen=True, slots=True)
class LineConfirmation:
    line_no: int
    quantity: Decimal
    delivery_date: date


@dataclass(frozen=True, slots=True)
class NoticeLine:
    line_no: int
    quantity: Decimal
    lot: str = ""
    expiry: date | None = None
    sscc: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    order_number: str
    lines: Sequence[NoticeLine]
    number: str | None = None
    carrier: str = ""
    tracking_number: str = ""
    expected_arrival: date | None = None


def _acts_for_supplier(principal: Principal) -> None:
    """Suppliers act on their own orders; purchasers may key in what a supplier phoned in."""
    principal.require(Role.SUPPLIER, Role.PURCHASER, Role.PURCHASE_MANAGER)


async def supplier_order(
    session: AsyncSession, principal: Principal, number: str, *, lock: bool = False
) -> PurchaseOrder:
    """The order as the principal may see it: a supplier user only its own, once sent."""
    order = await load_order(session, number, lock=lock)
    if principal.is_supplier and (order.supplier_id != principal.supplier_id
                                  or order.sent_at is None):
        raise NotFound(f"no purchase order {number!r}", field="number")
    return order


def _line(order: PurchaseOrder, line_no: int, field: str) -> PurchaseOrderLine:
    for line in order.lines:
        if line.line_no == line_no:
            return line
    raise NotFound(f"{order.number} has no line {line_no}", field=field)


async def confirm_purchase_order(
    db: Database, principal: Principal, number: str, confirmations: Sequence[LineConfirmation],
    based_on_version: int | None = None,
) -> PurchaseOrder:
    _acts_for_supplier(principal)
    if not confirmations:
        raise InvalidInput("confirm at least one line", field="lines")
    async with db.transaction() as session:
        order = await supplier_order(session, principal, number, lock=True)
        check_version(order, based_on_version)
        check_allowed(PoAction.CONFIRM, PoState(order.state), order.number)
        problems = []
        for index, confirmation in enumerate(confirmations):
            line = _line(order, confirmation.line_no, f"lines[{index}].lineNo")
            if confirmation.quantity < 0:
                problems.append(Problem("INVALID_INPUT", "confirmed quantity must not be negative",
                                        f"lines[{index}].quantity"))
            if confirmation.delivery_date < order.order_date:
                problems.append(Problem("INVALID_INPUT", "delivery date lies before the order",
                                        f"lines[{index}].deliveryDate"))
            line.confirmed_quantity = confirmation.quantity
            line.confirmed_date = confirmation.delivery_date
            line.confirmation_version += 1
        if problems:
            raise DomainError.of(problems)
        order.state = PoState.CONFIRMED.value
        order.version += 1
        await order_event(session, order, "PO_CONFIRMED", principal)
        return order


async def decline_purchase_order(
    db: Database, principal: Principal, number: str, reason: str
) -> PurchaseOrder:
    """The supplier cannot deliver: the order goes back to the purchaser, off order."""
    _acts_for_supplier(principal)
    if not reason.strip():
        raise InvalidInput("give a reason for declining", field="reason")
    async with db.transaction() as session:
        order = await supplier_order(session, principal, number, lock=True)
        check_allowed(PoAction.DECLINE, PoState(order.state), order.number)
        before = stock.on_order_snapshot(order)
        order.state = PoState.REJECTED.value
        order.rejection_comment = reason.strip()
        order.version += 1
        await stock.post_on_order_changes(session, order, before, principal)
        await order_event(session, order, "PO_DECLINED", principal, reason=reason.strip())
        return order


async def create_shipment_notice(
    db: Database, principal: Principal, draft: NoticeDraft
) -> tuple[ShipmentNotice, PurchaseOrder]:
    """Announce a shipment: each line's quantity moves from on order to in transit. A line may
    not ship beyond its order plus the supplier's over-receipt tolerance."""
    _acts_for_supplier(principal)
    _check_notice_shape(draft)
    async with db.transaction() as session:
        order = await supplier_order(session, principal, draft.order_number, lock=True)
        check_allowed(PoAction.SHIP, PoState(order.state), order.number)
        supplier = await session.get_one(Supplier, order.supplier_id)
        number = draft.number or await next_number(session, "ASN", utcnow().date())
        if await session.scalar(select(ShipmentNotice.id).where(ShipmentNotice.number == number)):
            raise Duplicate(f"shipping notice {number!r} exists", field="number")
        notice = ShipmentNotice(
            number=number, order_id=order.id, supplier_id=order.supplier_id,
            carrier=draft.carrier, tracking_number=draft.tracking_number,
            expected_arrival=draft.expected_arrival, created_by_id=principal.user_id,
        )
        shipped: list[tuple[PurchaseOrderLine, Decimal]] = []
        problems = []
        for index, entry in enumerate(draft.lines):
            line = _line(order, entry.line_no, f"lines[{index}].lineNo")
            allowance = shipping_allowance(line.quantity, supplier.over_receipt_tolerance_pct)
            already = line.shipped_quantity + sum(q for earlier, q in shipped if earlier is line)
            if line.closed or already + entry.quantity > allowance:
                problems.append(Problem(
                    "OVER_SHIPMENT",
                    f"line {line.line_no}: ordered {line.quantity}, shipped {already}, at most "
                    f"{allowance} allowed ({supplier.over_receipt_tolerance_pct}% tolerance)"
                    + (" — the line is closed" if line.closed else ""),
                    f"lines[{index}].quantity"))
                continue
            shipped.append((line, entry.quantity))
            notice.lines.append(ShipmentNoticeLine(
                order_line_id=line.id, quantity=entry.quantity, lot=entry.lot,
                expiry=entry.expiry, sscc=entry.sscc,
            ))
        if problems:
            raise DomainError.of(problems)
        session.add(notice)
        await session.flush()
        await stock.post_shipment(session, order, notice.number, shipped, principal)
        order.version += 1
        await order_event(session, order, "PO_SHIPPED", principal, notice=notice.number)
        return notice, order


def _check_notice_shape(draft: NoticeDraft) -> None:
    problems = []
    if not draft.lines:
        problems.append(Problem("INVALID_INPUT", "a shipping notice needs lines", "lines"))
    for index, line in enumerate(draft.lines):
        if line.quantity <= 0:
            problems.append(Problem("INVALID_INPUT", "shipped quantity must be greater than 0",
                                    f"lines[{index}].quantity"))
        if line.sscc is not None and not (line.sscc.isdigit() and len(line.sscc) == SSCC_LENGTH):
            problems.append(Problem("INVALID_INPUT", "an SSCC has 18 digits",
                                    f"lines[{index}].sscc"))
    if draft.number is not None and not draft.number.strip():
        problems.append(Problem("INVALID_INPUT", "the notice number must not be blank", "number"))
    if problems:
        raise DomainError.of(problems)
