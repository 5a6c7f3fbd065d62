"""``fulfilment_report``: how the sales orders taken in a date range were served, per salesperson
or per region.

Everything is about the orders dated from ``date_from`` to ``date_to`` (both included), not
cancelled:

- Fill rate: lines shipped complete and on time ÷ lines. On time is a last shipment on or before
  the line's requested date (UTC day), or at any time when it has none.
- Backorder rate: lines ever backordered ÷ lines. The order line keeps only its backordered
  quantity *now*, so "ever" is read as: a backordered quantity now, or a ``SHORTAGE`` sales
  alert recorded for the line (written when a line is backordered at order time or on a short
  pick) — a backorder served and shipped since still counts.
- Order to cash, in days (fractions of a day kept), averaged over each order × shipment of it:
  order created → shipped, shipped → invoiced (the invoice raised), invoiced → paid (start of the
  day of the last payment allocated to an invoice now fully paid), and order created → paid.
  Unpaid invoices are left out of the last two, unshipped orders out of all four."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.errors import InvalidInput
from server.events import Event
from server.finance.models import (
    CustomerInvoice,
    CustomerInvoiceState,
    Payment,
    PaymentAllocation,
)
from server.finance.reports import CENT, exact, percent, tune_for_report
from server.sales.alerts import ALERT_TOPIC, AlertKind
from server.sales.models import SalesOrder, SalesOrderLine, SalesOrderState, Shipment, ShipmentLine

FULFILMENT_READERS = (Role.FINANCE_DIRECTOR,)
# Sales see the report too, limited to the orders they are the salesperson of.
OWN_ROWS_READERS = (Role.SALES,)
UNNAMED = "(none)"
SECONDS_A_DAY = 86400


class FulfilmentGroupBy(StrEnum):
    SALESPERSON = "salesperson"
    REGION = "region"


@dataclass(frozen=True, slots=True)
class FulfilmentRow:
    key: str
    label: str
    orders: int
    lines: int
    filled_lines: int
    fill_rate_pct: Decimal | None
    backordered_lines: int
    backorder_rate_pct: Decimal | None
    days_to_ship: Decimal | None
    days_to_invoice: Decimal | None
    days_to_pay: Decimal | None
    days_order_to_cash: Decimal | None


@dataclass(frozen=True, slots=True)
class FulfilmentReport:
    date_from: date
    date_to: date
    group_by: FulfilmentGroupBy
    rows: list[FulfilmentRow]


def _group_columns(group_by: FulfilmentGroupBy) -> tuple[Any, Any]:
    # Inline literals, not bound parameters: PostgreSQL must see the GROUP BY expression as
    # the very one in SELECT.
    if group_by is FulfilmentGroupBy.SALESPERSON:
        return (func.coalesce(User.username, literal_column("''")),
                func.coalesce(User.display_name, literal_column(f"'{UNNAMED}'")))
    return SalesOrder.region, SalesOrder.region


class _Clock:
    """Day arithmetic that reads the same on both databases."""

    def __init__(self, session: AsyncSession) -> None:
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def day(self, instant: Any) -> Any:
        """The UTC day of a timestamp, comparable with a date column."""
        if self.postgres:
            return cast(func.timezone(literal_column("'UTC'"), instant), Date)
        return func.date(instant)

    def days(self, later: Any, earlier: Any) -> Any:
        """Days from ``earlier`` to ``later``, either a timestamp or a date (its start, UTC)."""
        if self.postgres:
            return func.extract("epoch", self._naive(later) - self._naive(earlier)) / SECONDS_A_DAY
        return func.julianday(later) - func.julianday(earlier)

    @staticmethod
    def _naive(value: Any) -> Any:
        if isinstance(value.type, Date):
            return cast(value, DateTime)
        return func.timezone(literal_column("'UTC'"), value)


async def fulfilment_report(
    session: AsyncSession, principal: Principal, date_from: date, date_to: date,
    group_by: FulfilmentGroupBy,
) -> FulfilmentReport:
    """One row per salesperson or region with orders dated in the range, by key."""
    principal.require(*FULFILMENT_READERS, *OWN_ROWS_READERS)
    if date_from > date_to:
        raise InvalidInput(f"dateFrom {date_from} is after dateTo {date_to}", field="dateFrom")
    await tune_for_report(session)
    scope = [SalesOrder.order_date >= date_from, SalesOrder.order_date <= date_to,
             SalesOrder.state != SalesOrderState.CANCELLED.value]
    if not principal.has_any(*FULFILMENT_READERS):
        scope.append(SalesOrder.salesperson_id == principal.user_id)
    clock = _Clock(session)
    lines = await _lines(session, clock, scope, group_by)
    cycles = await _cycles(session, clock, scope, group_by)
    rows = [_row(key, label, figures, cycles.get(key)) for (key, label), figures
            in sorted(lines.items())]
    return FulfilmentReport(date_from, date_to, group_by, rows)


async def _lines(session: AsyncSession, clock: _Clock, scope: list[Any],
                 group_by: FulfilmentGroupBy) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(key, label) → (orders, lines, filled lines, backordered lines)."""
    key, label = _group_columns(group_by)
    # Each line's last shipment day and the lines with a shortage alert, as subqueries joined
    # once rather than looked up for every order line.
    last_shipped = (select(ShipmentLine.order_line_id.label("order_line_id"),
                           func.max(clock.day(Shipment.shipped_at)).label("day"))
                    .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                    .group_by(ShipmentLine.order_line_id).subquery("last_shipped"))
    short = (select(Event.document_number.label("number"),
                    Event.payload["lineNo"].as_integer().label("line_no"))
             .where(Event.topic == ALERT_TOPIC, Event.kind == AlertKind.SHORTAGE.value)
             .distinct().subquery("short"))
    on_time = case((SalesOrderLine.requested_date.is_(None), True),
                   else_=last_shipped.c.day <= SalesOrderLine.requested_date)
    filled = case((and_(SalesOrderLine.shipped_quantity >= SalesOrderLine.quantity, on_time),
                   1), else_=0)
    backordered = case((SalesOrderLine.backordered_quantity > 0, 1),
                       (short.c.number.is_not(None), 1), else_=0)
    result = await session.execute(
        select(key, label, func.count(distinct(SalesOrder.id)), func.count(),
               func.sum(filled), func.sum(backordered))
        .select_from(SalesOrderLine)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .outerjoin(User, User.id == SalesOrder.salesperson_id)
        .outerjoin(last_shipped, last_shipped.c.order_line_id == SalesOrderLine.id)
        .outerjoin(short, and_(short.c.number == SalesOrder.number,
                               short.c.line_no == SalesOrderLine.line_no))
        .where(*scope).group_by(key, label))
    return {(str(k), str(lbl)): tuple(figures) for k, lbl, *figures in result}


async def _cycles(session: AsyncSession, clock: _Clock, scope: list[Any],
                  group_by: FulfilmentGroupBy) -> dict[str, tuple[Any, ...]]:
    """Key → average days (to ship, to invoice, to pay, order to cash)."""
    key, _ = _group_columns(group_by)
    paid_on = (select(PaymentAllocation.invoice_id.label("invoice_id"),
                      func.max(Payment.received_on).label("paid_on"))
               .join(Payment, Payment.id == PaymentAllocation.payment_id)
               .join(CustomerInvoice, CustomerInvoice.id == PaymentAllocation.invoice_id)
               .where(CustomerInvoice.state == CustomerInvoiceState.PAID.value)
               .group_by(PaymentAllocation.invoice_id).subquery("paid"))
    # One row per order × shipment: a shipment of several lines of an order counts once.
    journeys = (
        select(key.label("key"), SalesOrder.created_at.label("ordered"),
               Shipment.shipped_at.label("shipped"),
               CustomerInvoice.created_at.label("invoiced"), paid_on.c.paid_on.label("paid"))
        .distinct()
        .select_from(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .outerjoin(User, User.id == SalesOrder.salesperson_id)
        .outerjoin(CustomerInvoice, CustomerInvoice.shipment_id == Shipment.id)
        .outerjoin(paid_on, paid_on.c.invoice_id == CustomerInvoice.id)
        .where(*scope).subquery("journeys"))
    trip = journeys.c
    result = await session.execute(
        select(trip.key, func.avg(clock.days(trip.shipped, trip.ordered)),
               func.avg(clock.days(trip.invoiced, trip.shipped)),
               func.avg(clock.days(trip.paid, trip.invoiced)),
               func.avg(clock.days(trip.paid, trip.ordered)))
        .group_by(trip.key))
    return {str(k): tuple(figures) for k, *figures in result}


def _days(value: Any) -> Decimal | None:
    return exact(value).quantize(CENT) if value is not None else None


def _row(key: str, label: str, lines: tuple[Any, ...], cycles: tuple[Any, ...] | None
         ) -> FulfilmentRow:
    orders, count, filled, backordered = lines
    to_ship, to_invoice, to_pay, to_cash = cycles or (None, None, None, None)
    return FulfilmentRow(
        key=key, label=label or UNNAMED, orders=orders, lines=count,
        filled_lines=int(filled or 0), fill_rate_pct=percent(Decimal(filled or 0), Decimal(count)),
        backordered_lines=int(backordered or 0),
        backorder_rate_pct=percent(Decimal(backordered or 0), Decimal(count)),
        days_to_ship=_days(to_ship), days_to_invoice=_days(to_invoice),
        days_to_pay=_days(to_pay), days_order_to_cash=_days(to_cash))
