"""``sales_performance``: per salesperson or per sales team over a date range (UTC days, both
included):

- orders: the sales orders dated in the range, not cancelled;
- revenue, COGS and margin: what shipped in the range, exactly as ``margin_report`` grouped by
  salesperson computes it (its query, not a copy);
- collections: the payments received in the range, as allocated to the salesperson's invoices.

Orders without a salesperson are one row keyed ``""``. By team, each salesperson's figures count
for the team they are in now (server.sales.teams); those in no team, and orders without a
salesperson, make the row keyed ``""``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, User
from server.finance.margin import (
    MARGIN_READERS,
    UNNAMED,
    MarginGroupBy,
    MarginRow,
    margin_report,
)
from server.finance.models import CustomerInvoice, Payment, PaymentAllocation
from server.finance.reports import money, percent
from server.sales.models import SalesOrder, SalesOrderState, SalesTeam, SalesTeamMember

ZERO = Decimal("0.00")


class PerformanceGroupBy(StrEnum):
    SALESPERSON = "salesperson"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class PerformanceRow:
    key: str
    label: str
    orders: int
    revenue: Decimal
    cogs: Decimal
    margin: Decimal
    margin_pct: Decimal | None
    collections: Decimal


@dataclass(frozen=True, slots=True)
class SalesPerformance:
    date_from: date
    date_to: date
    rows: list[PerformanceRow]


def _salesperson() -> tuple[Any, Any]:
    # Inline literals, as margin's grouping does: the GROUP BY must match SELECT on PostgreSQL.
    return (func.coalesce(User.username, literal_column("''")),
            func.coalesce(User.display_name, literal_column(f"'{UNNAMED}'")))


async def sales_performance(
    session: AsyncSession, principal: Principal, date_from: date, date_to: date,
    group_by: PerformanceGroupBy = PerformanceGroupBy.SALESPERSON,
) -> SalesPerformance:
    """One row per salesperson (or team) with orders, shipments or collections in the range, by
    key."""
    margins = await margin_report(session, principal, date_from, date_to,
                                  MarginGroupBy.SALESPERSON)
    own_only = not principal.has_any(*MARGIN_READERS)
    key, label = _salesperson()
    orders_query = (
        select(key, label, func.count(SalesOrder.id)).select_from(SalesOrder)
        .outerjoin(User, User.id == SalesOrder.salesperson_id)
        .where(SalesOrder.order_date >= date_from, SalesOrder.order_date <= date_to,
               SalesOrder.state != SalesOrderState.CANCELLED.value)
        .group_by(key, label))
    collections_query = (
        select(key, label, func.sum(PaymentAllocation.amount)).select_from(PaymentAllocation)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(CustomerInvoice, CustomerInvoice.id == PaymentAllocation.invoice_id)
        .outerjoin(User, User.id == CustomerInvoice.salesperson_id)
        .where(Payment.received_on >= date_from, Payment.received_on <= date_to)
        .group_by(key, label))
    if own_only:
        orders_query = orders_query.where(SalesOrder.salesperson_id == principal.user_id)
        collections_query = collections_query.where(
            CustomerInvoice.salesperson_id == principal.user_id)
    orders = {k: (lbl, count) for k, lbl, count in await session.execute(orders_query)}
    collected = {k: (lbl, amount) for k, lbl, amount in await session.execute(collections_query)}
    shipped = {row.key: row for row in margins.rows}
    labels = {k: lbl for k, (lbl, _) in (orders | collected).items()}
    labels |= {k: row.label for k, row in shipped.items()}
    rows = [_row(k, labels[k], orders.get(k, ("", 0))[1], shipped.get(k),
                 collected.get(k, ("", None))[1]) for k in sorted(labels)]
    if group_by is PerformanceGroupBy.TEAM:
        rows = by_team(rows, await _teams_of_salespeople(session))
    return SalesPerformance(date_from, date_to, rows)


async def _teams_of_salespeople(session: AsyncSession) -> dict[str, tuple[str, str]]:
    rows = await session.execute(
        select(User.username, SalesTeam.code, SalesTeam.name).select_from(SalesTeamMember)
        .join(User, User.id == SalesTeamMember.user_id)
        .join(SalesTeam, SalesTeam.id == SalesTeamMember.team_id))
    return {username: (code, name) for username, code, name in rows}


def by_team(rows: Iterable[PerformanceRow],
            team_of: dict[str, tuple[str, str]]) -> list[PerformanceRow]:
    """Salespeople's rows added up per team (keyed by team code), margin % over the sums."""
    totals: dict[str, list[Any]] = {}
    for row in rows:
        code, name = team_of.get(row.key, ("", UNNAMED))
        total = totals.setdefault(code, [name, 0, ZERO, ZERO, ZERO, ZERO])
        for index, amount in enumerate((row.orders, row.revenue, row.cogs, row.margin,
                                        row.collections), start=1):
            total[index] += amount
    return [PerformanceRow(code, name, orders, revenue, cogs, margin, percent(margin, revenue),
                           collections)
            for code, (name, orders, revenue, cogs, margin, collections)
            in sorted(totals.items())]


def _row(key: str, label: str, orders: int, shipped: MarginRow | None,
         collected: Decimal | None) -> PerformanceRow:
    revenue = shipped.revenue if shipped else ZERO
    margin = shipped.margin if shipped else ZERO
    return PerformanceRow(
        key=key, label=label, orders=orders, revenue=revenue,
        cogs=shipped.cogs if shipped else ZERO, margin=margin,
        margin_pct=percent(margin, revenue), collections=money(collected))
