"""``supplier_scorecard``: how each supplier delivered on the purchase orders dated in a range.

Everything is about the lines of the orders dated from ``date_from`` to ``date_to`` (both
included) that went out to the supplier (approved or later, not cancelled or rejected):

- Lines and lines received: the order lines, and the receipt lines recorded against them.
- On time in full, against the supplier-confirmed date and against the requested date: a line is
  OTIF when its whole ordered quantity was received by the end of that UTC day; lines without
  that date are left out of its percentage (null when no line has one).
- QC: rejected quantity ÷ inspected quantity, and quantity accepted on concession ÷ inspected
  quantity, over the inspections of those receipt lines.
- Price trend: per product, its last unit price in the range against its first, summed over the
  supplier's products (a basket: Σ last − Σ first, as a % of Σ first).
- Price variance: each line's price against the price of the same product on this supplier's
  previous order line (any date before), × the ordered quantity; lines without a previous price
  are left out. Its percentage is of the previous prices × quantities.
- Lead time: order date → UTC day of each receipt, in days, averaged over the receipt lines.
- Returns: the quantity shipped back to the supplier on purchase returns against those lines
  (QC-rejected goods and accepted goods found wanting later), and its share of the quantity
  received on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Supplier
from server.errors import InvalidInput, NotFound
from server.finance.reports import CENT, exact, money, percent, quantity
from server.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from server.purchasing.return_states import ReturnState
from server.purchasing.states import PoState
from server.receiving.models import Inspection, InspectionResult, Receipt, ReceiptLine

SCORECARD_READERS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER)
_NOT_SENT = (PoState.DRAFT, PoState.PENDING_APPROVAL, PoState.REJECTED, PoState.CANCELLED)


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    supplier_code: str
    supplier_name: str
    lines: int
    lines_received: int
    otif_confirmed_pct: Decimal | None
    otif_requested_pct: Decimal | None
    inspected_quantity: Decimal
    reject_rate_pct: Decimal | None
    concession_rate_pct: Decimal | None
    price_trend_pct: Decimal | None
    price_variance: Decimal
    price_variance_pct: Decimal | None
    average_lead_time_days: Decimal | None
    returned_quantity: Decimal
    return_rate_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class SupplierScorecard:
    date_from: date
    date_to: date
    rows: list[ScorecardRow]


def _receipt_day(session: AsyncSession) -> Any:
    """The UTC day of a receipt, comparable with a date column on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), Receipt.received_at), Date)
    return func.date(Receipt.received_at)


def _days_to_receipt(session: AsyncSession) -> Any:
    """Days from the order date to the receipt's UTC day."""
    if session.get_bind().dialect.name == "postgresql":
        return _receipt_day(session) - PurchaseOrder.order_date
    return func.julianday(_receipt_day(session)) - func.julianday(PurchaseOrder.order_date)


async def supplier_scorecard(
    session: AsyncSession, principal: Principal, date_from: date, date_to: date,
    supplier_code: str | None = None,
) -> SupplierScorecard:
    """One row per supplier with orders dated in the range, by supplier code."""
    principal.require(*SCORECARD_READERS)
    if date_from > date_to:
        raise InvalidInput(f"dateFrom {date_from} is after dateTo {date_to}", field="dateFrom")
    sent = [PurchaseOrder.state.not_in([state.value for state in _NOT_SENT])]
    if supplier_code is not None:
        supplier_id = await session.scalar(select(Supplier.id).where(
            Supplier.code == supplier_code))
        if supplier_id is None:
            raise NotFound(f"no supplier {supplier_code!r}", field="supplierCode")
        sent.append(PurchaseOrder.supplier_id == supplier_id)
    scope = [*sent, PurchaseOrder.order_date >= date_from, PurchaseOrder.order_date <= date_to]
    delivery = await _delivery(session, scope)
    quality = await _quality(session, scope)
    prices = await _prices(session, sent, date_from, date_to)
    returns = await _returns(session, scope)
    suppliers = await session.execute(
        select(Supplier.id, Supplier.code, Supplier.name)
        .where(Supplier.id.in_(list(delivery))).order_by(Supplier.code))
    rows = [_row(code, name, delivery[supplier_id], quality.get(supplier_id),
                 prices.get(supplier_id), returns.get(supplier_id))
            for supplier_id, code, name in suppliers]
    return SupplierScorecard(date_from, date_to, rows)


async def _delivery(session: AsyncSession, scope: list[Any]) -> dict[int, tuple[Any, ...]]:
    """Supplier id → (lines, lines with a confirmed date, of them OTIF, lines with a requested
    date, of them OTIF, receipt lines, summed lead days)."""
    day = _receipt_day(session)
    per_line = (
        select(PurchaseOrder.supplier_id.label("supplier_id"),
               PurchaseOrderLine.quantity.label("ordered"),
               PurchaseOrderLine.confirmed_date.label("confirmed_date"),
               PurchaseOrderLine.requested_date.label("requested_date"),
               func.sum(case((day <= PurchaseOrderLine.confirmed_date, ReceiptLine.quantity),
                             else_=0)).label("by_confirmed"),
               func.sum(case((day <= PurchaseOrderLine.requested_date, ReceiptLine.quantity),
                             else_=0)).label("by_requested"),
               func.count(ReceiptLine.id).label("receipt_lines"),
               func.sum(_days_to_receipt(session)).label("lead_days"))
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .outerjoin(ReceiptLine, ReceiptLine.order_line_id == PurchaseOrderLine.id)
        .outerjoin(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(*scope)
        .group_by(PurchaseOrder.supplier_id, PurchaseOrderLine.id, PurchaseOrderLine.quantity,
                  PurchaseOrderLine.confirmed_date, PurchaseOrderLine.requested_date)
        .subquery("per_line"))
    line = per_line.c

    def otif(by: Any, due: Any) -> Any:
        return func.sum(case((and_(due.is_not(None), by >= line.ordered), 1), else_=0))

    result = await session.execute(
        select(line.supplier_id, func.count(), func.count(line.confirmed_date),
               otif(line.by_confirmed, line.confirmed_date), func.count(line.requested_date),
               otif(line.by_requested, line.requested_date), func.sum(line.receipt_lines),
               func.sum(line.lead_days))
        .group_by(line.supplier_id))
    return {supplier_id: tuple(figures) for supplier_id, *figures in result}


async def _quality(session: AsyncSession, scope: list[Any]) -> dict[int, tuple[Any, ...]]:
    """Supplier id → (inspected, rejected, accepted on concession) quantities."""
    concession = case((Inspection.result == InspectionResult.CONCESSION.value,
                       Inspection.accepted_quantity), else_=0)
    result = await session.execute(
        select(PurchaseOrder.supplier_id,
               func.sum(Inspection.accepted_quantity + Inspection.rejected_quantity),
               func.sum(Inspection.rejected_quantity), func.sum(concession))
        .select_from(Inspection)
        .join(ReceiptLine, ReceiptLine.id == Inspection.receipt_line_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ReceiptLine.order_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(*scope).group_by(PurchaseOrder.supplier_id))
    return {supplier_id: tuple(figures) for supplier_id, *figures in result}


async def _returns(session: AsyncSession, scope: list[Any]) -> dict[int, tuple[Any, ...]]:
    """Supplier id → (quantity received, quantity shipped back on purchase returns)."""
    received = dict((await session.execute(
        select(PurchaseOrder.supplier_id, func.sum(PurchaseOrderLine.received_quantity))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(*scope).group_by(PurchaseOrder.supplier_id))).all())
    returned = dict((await session.execute(
        select(PurchaseOrder.supplier_id, func.sum(PurchaseReturnLine.quantity))
        .select_from(PurchaseReturnLine)
        .join(PurchaseReturn, PurchaseReturn.id == PurchaseReturnLine.return_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == PurchaseReturnLine.order_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(*scope, PurchaseReturn.state == ReturnState.SHIPPED.value)
        .group_by(PurchaseOrder.supplier_id))).all())
    return {supplier_id: (quantity_received, returned.get(supplier_id, 0))
            for supplier_id, quantity_received in received.items()}


async def _prices(session: AsyncSession, sent: list[Any], date_from: date, date_to: date
                  ) -> dict[int, tuple[Any, ...]]:
    """Supplier id → (Σ first prices, Σ last prices, Σ (price − previous) × quantity,
    Σ previous × quantity)."""
    partition = (PurchaseOrder.supplier_id, PurchaseOrderLine.product_id)
    in_order = (PurchaseOrder.order_date, PurchaseOrder.id, PurchaseOrderLine.id)
    # The previous price reaches back before the range, so the window runs over every line up
    # to its end and the range is applied after.
    history = (
        select(PurchaseOrder.supplier_id.label("supplier_id"),
               PurchaseOrderLine.product_id.label("product_id"),
               PurchaseOrder.order_date.label("order_date"),
               PurchaseOrder.id.label("order_id"), PurchaseOrderLine.id.label("line_id"),
               PurchaseOrderLine.quantity.label("ordered"),
               PurchaseOrderLine.unit_price.label("price"),
               func.lag(PurchaseOrderLine.unit_price).over(
                   partition_by=partition, order_by=in_order).label("previous"))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.order_date <= date_to, *sent)
        .subquery("history"))
    old = history.c
    window = (old.supplier_id, old.product_id)
    ranked = (
        select(old.supplier_id, old.ordered, old.price, old.previous,
               func.row_number().over(partition_by=window, order_by=(
                   old.order_date, old.order_id, old.line_id)).label("from_first"),
               func.row_number().over(partition_by=window, order_by=(
                   old.order_date.desc(), old.order_id.desc(), old.line_id.desc()))
               .label("from_last"))
        .where(old.order_date >= date_from)
        .subquery("ranked"))
    line = ranked.c
    compared = line.previous.is_not(None)
    result = await session.execute(
        select(line.supplier_id,
               func.sum(case((line.from_first == 1, line.price), else_=0)),
               func.sum(case((line.from_last == 1, line.price), else_=0)),
               func.sum(case((compared, (line.price - line.previous) * line.ordered), else_=0)),
               func.sum(case((compared, line.previous * line.ordered), else_=0)),
               func.count(line.previous))
        .group_by(line.supplier_id))
    return {supplier_id: tuple(figures) for supplier_id, *figures in result}


def _row(code: str, name: str, delivery: tuple[Any, ...], quality: tuple[Any, ...] | None,
         prices: tuple[Any, ...] | None, returns: tuple[Any, ...] | None) -> ScorecardRow:
    lines, confirmed, otif_confirmed, requested, otif_requested, received, lead_days = delivery
    inspected, rejected, conceded = (exact(value) for value in quality or (0, 0, 0))
    first, last, variance, previous, compared = prices or (0, 0, 0, 0, 0)
    received_quantity, returned = (exact(value) for value in returns or (0, 0))
    variance_cents = money(variance)
    return ScorecardRow(
        supplier_code=code, supplier_name=name, lines=lines, lines_received=int(received or 0),
        otif_confirmed_pct=percent(Decimal(otif_confirmed or 0), Decimal(confirmed)),
        otif_requested_pct=percent(Decimal(otif_requested or 0), Decimal(requested)),
        inspected_quantity=quantity(inspected),
        reject_rate_pct=percent(rejected, inspected),
        concession_rate_pct=percent(conceded, inspected),
        price_trend_pct=percent(exact(last) - exact(first), exact(first)),
        price_variance=variance_cents,
        price_variance_pct=percent(exact(variance), exact(previous)) if compared else None,
        average_lead_time_days=(exact(lead_days) / received).quantize(CENT)
        if received else None,
        returned_quantity=quantity(returned),
        return_rate_pct=percent(returned, received_quantity))
