"""What sales returns take off the margin report, grouped as the report groups shipments:

- returned revenue: the quantities received back in the range × the order line price (what the
  credit notes reverse, before VAT), dated by the return receipt;
- restocked cost: the quantities inspection restocked in the range × the cost they left with
  (the return line's cost, read from its shipments' ledger rows): COGS that came back;
- scrap loss: the quantities scrapped in the range × that cost: their COGS stays spent.

Two aggregate queries, returned as exact sums per (key, label) for the report to net out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import User
from server.catalog.models import Customer, Product
from server.finance.reports import day_start, exact
from server.sales.models import SalesOrder, SalesOrderLine
from server.sales.return_models import (
    SalesReturnInspection,
    SalesReturnLine,
    SalesReturnReceipt,
    SalesReturnReceiptLine,
)

ZERO = Decimal(0)


@dataclass(slots=True)
class ReturnFigures:
    returned_revenue: Decimal = ZERO
    restocked_cost: Decimal = ZERO
    # The restocked quantity at the order line's expected cost, for the expected margin.
    restocked_expected_cost: Decimal = ZERO
    scrap_loss: Decimal = ZERO
    uncosted: int = 0


def _joined(statement: Any, return_line_id: Any, group: tuple[Any, Any],
            salesperson_id: int | None) -> Any:
    """The return lines' order, customer, product and salesperson, grouped by ``group``."""
    statement = (
        statement.join(SalesReturnLine, SalesReturnLine.id == return_line_id)
        .join(SalesOrderLine, SalesOrderLine.id == SalesReturnLine.order_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(Product, Product.id == SalesReturnLine.product_id)
        .outerjoin(User, User.id == SalesOrder.salesperson_id))
    if salesperson_id is not None:
        statement = statement.where(SalesOrder.salesperson_id == salesperson_id)
    return statement.group_by(*group)


async def return_figures(
    session: AsyncSession, date_from: date, date_to: date, group: tuple[Any, Any],
    salesperson_id: int | None = None,
) -> dict[tuple[str, str], ReturnFigures]:
    """Per (key, label) of ``group``, what returns took off in the range (UTC days, both
    included); only one salesperson's orders when ``salesperson_id`` is given."""
    start, end = day_start(date_from), day_start(date_to + timedelta(days=1))
    key, label = group
    figures: dict[tuple[str, str], ReturnFigures] = {}
    received = _joined(
        select(key, label, func.sum(SalesReturnReceiptLine.quantity * SalesReturnLine.unit_price))
        .select_from(SalesReturnReceiptLine)
        .join(SalesReturnReceipt, SalesReturnReceipt.id == SalesReturnReceiptLine.receipt_id)
        .where(SalesReturnReceipt.received_at >= start, SalesReturnReceipt.received_at < end),
        SalesReturnReceiptLine.return_line_id, group, salesperson_id)
    for k, lbl, revenue in await session.execute(received):
        figures.setdefault((str(k), str(lbl)), ReturnFigures()).returned_revenue = exact(revenue)
    restocked = SalesReturnInspection.restocked_quantity
    decided = _joined(
        select(key, label, func.sum(restocked * SalesReturnLine.unit_cost),
               func.sum(restocked * SalesOrderLine.expected_unit_cost),
               func.sum(SalesReturnInspection.scrapped_quantity * SalesReturnLine.unit_cost),
               func.sum(case((SalesOrderLine.expected_unit_cost.is_(None), 1), else_=0)))
        .select_from(SalesReturnInspection)
        .where(SalesReturnInspection.decided_at >= start, SalesReturnInspection.decided_at < end),
        SalesReturnInspection.return_line_id, group, salesperson_id)
    for k, lbl, cost, expected, scrapped, uncosted in await session.execute(decided):
        found = figures.setdefault((str(k), str(lbl)), ReturnFigures())
        found.restocked_cost = exact(cost)
        found.restocked_expected_cost = exact(expected)
        found.scrap_loss = exact(scrapped)
        found.uncosted = int(uncosted or 0)
    return figures
