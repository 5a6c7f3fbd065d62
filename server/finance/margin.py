"""``margin_report``: revenue, COGS and gross margin of what shipped in a date range, grouped by
order, product, category, region, customer or salesperson, with the margin expected when the
orders were taken beside it.

Revenue is each shipment line's quantity × its order line price. COGS is the value of the stock
that left: the value of the ``SH`` ledger row each shipment line posted, which the line keeps
(``cogs``), so the report never reads the ledger. Expected COGS is the order line's
``expected_unit_cost`` (the moving average when the order was taken) × the quantity shipped.
Returns net out (``server.finance.margin_returns``): what came back in the range is taken off
the revenue, the cost of what was restocked off the COGS (and the expected COGS, at the expected
cost), and what was scrapped stays spent, shown as the scrap loss.

One aggregate query for shipments and two for returns per answer; the total row adds the
groups' unrounded sums and is rounded once, not summed from rounded rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.catalog.models import Customer, Product
from server.errors import InvalidInput
from server.finance.margin_returns import ReturnFigures, return_figures
from server.finance.reports import (
    day_start,
    exact,
    money,
    percent,
    rows_in_parts,
    tune_for_report,
)
from server.ops.heap import collector_paused
from server.sales.models import SalesOrder, SalesOrderLine, Shipment, ShipmentLine

MARGIN_READERS = (Role.FINANCE_DIRECTOR,)
# Sales see the report too, limited to the orders they are the salesperson of.
OWN_ROWS_READERS = (Role.SALES,)
UNNAMED = "(none)"


class MarginGroupBy(StrEnum):
    ORDER = "order"
    PRODUCT = "product"
    CATEGORY = "category"
    REGION = "region"
    CUSTOMER = "customer"
    SALESPERSON = "salesperson"


# Groupings read from the product; the others from the order.
_BY_PRODUCT = (MarginGroupBy.PRODUCT, MarginGroupBy.CATEGORY)


@dataclass(slots=True)
class MarginRow:
    """Revenue and COGS are net of returns; ``returned_revenue``, ``restocked_cogs`` and
    ``scrap_loss`` say how much returns took off and what they cost. Not frozen: a frozen
    dataclass sets each field through ``object.__setattr__``, several times slower to build,
    and a report builds tens of thousands of rows."""

    key: str
    label: str
    revenue: Decimal
    cogs: Decimal
    margin: Decimal
    margin_pct: Decimal | None
    expected_cogs: Decimal | None
    expected_margin: Decimal | None
    expected_margin_pct: Decimal | None
    returned_revenue: Decimal = Decimal(0)
    restocked_cogs: Decimal = Decimal(0)
    scrap_loss: Decimal = Decimal(0)


@dataclass(slots=True)
class _Figures:
    """One group's unrounded sums: shipped, and taken off by returns."""

    revenue: Decimal = Decimal(0)
    cogs: Decimal = Decimal(0)
    expected_cogs: Decimal = Decimal(0)
    uncosted: int = 0
    returns: ReturnFigures | None = None

    def add(self, other: _Figures) -> None:
        self.revenue += other.revenue
        self.cogs += other.cogs
        self.expected_cogs += other.expected_cogs
        self.uncosted += other.uncosted
        if other.returns is not None:
            mine = self.returns = self.returns or ReturnFigures()
            mine.returned_revenue += other.returns.returned_revenue
            mine.restocked_cost += other.returns.restocked_cost
            mine.restocked_expected_cost += other.returns.restocked_expected_cost
            mine.scrap_loss += other.returns.scrap_loss
            mine.uncosted += other.returns.uncosted


@dataclass(frozen=True, slots=True)
class MarginReport:
    date_from: date
    date_to: date
    group_by: MarginGroupBy
    rows: list[MarginRow]
    total: MarginRow


def _group_columns(group_by: MarginGroupBy) -> tuple[Any, Any]:
    """The key and label columns of one grouping."""
    # Inline literals, not bound parameters: PostgreSQL must see the GROUP BY expression as
    # the very one in SELECT.
    salesperson = func.coalesce(User.username, literal_column("''"))
    salesperson_name = func.coalesce(User.display_name, literal_column(f"'{UNNAMED}'"))
    return {
        MarginGroupBy.ORDER: (SalesOrder.number, Customer.name),
        MarginGroupBy.PRODUCT: (Product.sku, Product.name),
        MarginGroupBy.CATEGORY: (Product.category, Product.category),
        MarginGroupBy.REGION: (SalesOrder.region, SalesOrder.region),
        MarginGroupBy.CUSTOMER: (Customer.code, Customer.name),
        MarginGroupBy.SALESPERSON: (salesperson, salesperson_name),
    }[group_by]


def _shipped(shipped_in_range: list[Any], group_by: MarginGroupBy,
             salesperson_id: int | None, part: int, parts: int) -> Any:
    """The shipped figures per product (for groupings by product) or per order (the others):
    the year's lines are added up by an id first, so the grouping by names and codes runs over
    one sum per order or product, not over every line."""
    grain = ShipmentLine.product_id if group_by in _BY_PRODUCT else SalesOrderLine.order_id
    statement = (
        select(grain.label("grain"),
               func.sum(ShipmentLine.quantity * ShipmentLine.unit_price).label("revenue"),
               func.sum(func.coalesce(ShipmentLine.cogs, 0)).label("cogs"),
               func.sum(SalesOrderLine.expected_unit_cost * ShipmentLine.quantity)
               .label("expected_cogs"),
               func.sum(case((SalesOrderLine.expected_unit_cost.is_(None), 1), else_=0))
               .label("uncosted"))
        .select_from(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
        .where(*shipped_in_range))
    if parts > 1:
        statement = statement.where(grain % parts == part)
    if salesperson_id is not None:
        statement = (statement.join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                     .where(SalesOrder.salesperson_id == salesperson_id))
    return statement.group_by(grain).subquery("shipped")


async def margin_report(
    session: AsyncSession, principal: Principal, date_from: date, date_to: date,
    group_by: MarginGroupBy,
) -> MarginReport:
    """The margin of shipments from ``date_from`` to ``date_to`` (both included, UTC days)."""
    principal.require(*MARGIN_READERS, *OWN_ROWS_READERS)
    if date_from > date_to:
        raise InvalidInput(f"dateFrom {date_from} is after dateTo {date_to}", field="dateFrom")
    await tune_for_report(session)
    own_rows_only = not principal.has_any(*MARGIN_READERS)
    key, label = _group_columns(group_by)
    shipped_in_range = [Shipment.shipped_at >= day_start(date_from),
                        Shipment.shipped_at < day_start(date_to + timedelta(days=1))]
    salesperson_id = principal.user_id if own_rows_only else None
    shipped_groups = add_up_parts(await rows_in_parts(
        session, lambda part, parts: _named_groups(shipped_in_range, group_by, salesperson_id,
                                                   part, parts), list))
    returned = await return_figures(session, date_from, date_to, (key, label), salesperson_id)
    with collector_paused():
        rows, total = _rows(shipped_groups, returned)
    return MarginReport(date_from, date_to, group_by, rows, total)


def _named_groups(shipped_in_range: list[Any], group_by: MarginGroupBy,
                  salesperson_id: int | None, part: int, parts: int) -> Any:
    """Per (key, label) of the grouping, the sums of one part's orders or products."""
    key, label = _group_columns(group_by)
    shipped = _shipped(shipped_in_range, group_by, salesperson_id, part, parts)
    named = select(key, label, *[func.sum(column) for column in (
        shipped.c.revenue, shipped.c.cogs, shipped.c.expected_cogs, shipped.c.uncosted)])
    if group_by in _BY_PRODUCT:
        named = named.select_from(shipped).join(Product, Product.id == shipped.c.grain)
    else:
        named = (named.select_from(shipped)
                 .join(SalesOrder, SalesOrder.id == shipped.c.grain)
                 .join(Customer, Customer.id == SalesOrder.customer_id)
                 .outerjoin(User, User.id == SalesOrder.salesperson_id))
    return named.group_by(key, label)


def add_up_parts(parts: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The groups of all parts as (key, label, revenue, cogs, expected cogs, uncosted lines):
    a group by order or product is in one part only, one by category, region, customer or
    salesperson may be in each, and its exact sums add up."""
    if len(parts) == 1:
        return [(str(k), str(lbl), *sums) for k, lbl, *sums in parts[0]]
    groups: dict[tuple[str, str], list[Any]] = {}
    for k, lbl, *sums in (group for part in parts for group in part):
        named = (str(k), str(lbl))
        known = groups.get(named)
        if known is None:
            groups[named] = sums
        else:
            known[:] = [None if mine is None and theirs is None else exact(mine) + exact(theirs)
                        for mine, theirs in zip(known, sums, strict=True)]
    return [(k, lbl, *sums) for (k, lbl), sums in groups.items()]


def _rows(shipped_groups: list[tuple[Any, ...]], returned: dict[tuple[str, str], ReturnFigures]
          ) -> tuple[list[MarginRow], MarginRow]:
    """The rows by (key, label) and the total row. Most groups had nothing returned: those are
    shaped straight from their sums (tens of thousands of products or orders a year)."""
    groups = [(k, lbl, _Figures(exact(revenue_sum), exact(cogs_sum), exact(expected_sum),
                                int(uncosted_count or 0), returned.pop((k, lbl), None)))
              for k, lbl, revenue_sum, cogs_sum, expected_sum, uncosted_count in shipped_groups]
    groups += [(k, lbl, _Figures(returns=returns)) for (k, lbl), returns in returned.items()]
    # The test databases and SQLite compare text by code point, as Python does.
    groups.sort(key=_KEY_AND_LABEL)
    total = _Figures()
    for _, _, figures in groups:
        total.add(figures)
    rows = [_row(k, lbl, figures) if figures.returns is not None
            else _shipped_only_row(k, lbl, figures) for k, lbl, figures in groups]
    return rows, _row("", "Total", total)


_KEY_AND_LABEL = itemgetter(0, 1)
_NO_CENTS = money(0)


def _shipped_only_row(key: str, label: str, figures: _Figures) -> MarginRow:
    """``_row`` for a group that nothing was returned from."""
    revenue_cents = money(figures.revenue)
    cogs_cents = money(figures.cogs)
    margin = revenue_cents - cogs_cents
    if figures.uncosted:
        expected = expected_margin = None
    else:
        expected = money(figures.expected_cogs)
        expected_margin = revenue_cents - expected
    return MarginRow(
        key, label or UNNAMED, revenue_cents, cogs_cents, margin, percent(margin, revenue_cents),
        expected, expected_margin,
        percent(expected_margin, revenue_cents) if expected_margin is not None else None,
        _NO_CENTS, _NO_CENTS, _NO_CENTS)


def _row(key: str, label: str, figures: _Figures) -> MarginRow:
    """One row's figures in cents, net of returns; expected ones only when every line had an
    expected cost."""
    returns = figures.returns or ReturnFigures()
    revenue_cents = money(figures.revenue - returns.returned_revenue)
    cogs_cents = money(figures.cogs - returns.restocked_cost)
    margin = revenue_cents - cogs_cents
    uncosted = figures.uncosted + returns.uncosted
    expected = money(figures.expected_cogs - returns.restocked_expected_cost) \
        if not uncosted else None
    expected_margin = revenue_cents - expected if expected is not None else None
    return MarginRow(
        key=key, label=label or UNNAMED,
        revenue=revenue_cents, cogs=cogs_cents, margin=margin,
        margin_pct=percent(margin, revenue_cents), expected_cogs=expected,
        expected_margin=expected_margin,
        expected_margin_pct=percent(expected_margin, revenue_cents)
        if expected_margin is not None else None,
        returned_revenue=money(returns.returned_revenue),
        restocked_cogs=money(returns.restocked_cost), scrap_loss=money(returns.scrap_loss))
