"""Finance reports as queries: marginReport, inventoryReport, supplierScorecard,
fulfilmentReport and salesPerformance. Each is also served as CSV and Excel at
/reports/{margin,inventory,supplier-scorecard,fulfilment,sales-performance}.{csv,xlsx} with the
same arguments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

import strawberry

from schema.context import Info
from server.db import utcnow
from server.finance import fulfilment, margin, sales_performance, scorecard
from server.finance import inventory_report as inventory
from server.finance.fulfilment import FulfilmentGroupBy
from server.finance.margin import MarginGroupBy
from server.finance.sales_performance import PerformanceGroupBy

MarginReportGroupBy = strawberry.enum(MarginGroupBy, name="MarginReportGroupBy")
FulfilmentReportGroupBy = strawberry.enum(FulfilmentGroupBy, name="FulfilmentReportGroupBy")
SalesPerformanceGroupBy = strawberry.enum(PerformanceGroupBy, name="SalesPerformanceGroupBy")


@strawberry.input
class MarginReportInput:
    date_from: date = strawberry.field(description="First day of shipments (UTC), included.")
    date_to: date = strawberry.field(description="Last day of shipments (UTC), included.")
    group_by: MarginReportGroupBy


@strawberry.type(description="Revenue, COGS and margin of one group (or of all: the total), "
                             "net of sales returns. Amounts in cents; percentages of revenue, "
                             "null without revenue; expected figures null when a line had no "
                             "order-time cost.")
class MarginReportRow:
    key: str
    label: str
    revenue: Decimal
    cogs: Decimal
    margin: Decimal
    margin_pct: Decimal | None
    expected_cogs: Decimal | None
    expected_margin: Decimal | None
    expected_margin_pct: Decimal | None
    returned_revenue: Decimal = strawberry.field(
        description="Taken off revenue: goods received back in the range at the order price.")
    restocked_cogs: Decimal = strawberry.field(
        description="Taken off COGS: returned goods restocked in the range, at the cost they "
                    "left with.")
    scrap_loss: Decimal = strawberry.field(
        description="Returned goods scrapped in the range, at that cost: still in COGS.")


@strawberry.type
class MarginReport:
    date_from: date
    date_to: date
    rows: list[MarginReportRow]
    total: MarginReportRow


@strawberry.input
class InventoryReportInput:
    warehouse_code: str | None = strawberry.field(default=None,
                                                  description="All warehouses when null.")
    as_of: date | None = strawberry.field(default=None, description="End of this UTC day; "
                                                                    "today when null.")
    dead_days: int = strawberry.field(default=90, description="No movement for this many "
                                                              "days makes stock dead (1–3650).")


@strawberry.type(description="One product's stock: quantities in units, amounts in cents, "
                             "ageing by receipt date assuming the stock on hand is the most "
                             "recent receipts (FIFO).")
class InventoryReportRow:
    sku: str
    name: str
    on_hand: Decimal
    value: Decimal
    cogs_last_365_days: Decimal
    average_value: Decimal
    turnover: Decimal | None
    shipped_last_90_days: Decimal
    days_of_cover: Decimal | None
    age_0_to_30_days: Decimal
    age_31_to_90_days: Decimal
    age_91_to_180_days: Decimal
    age_over_180_days: Decimal
    last_movement_at: datetime | None
    dead: bool


@strawberry.type
class InventoryReport:
    warehouse_code: str | None
    as_of: date
    dead_days: int
    rows: list[InventoryReportRow]


@strawberry.input
class SupplierScorecardInput:
    date_from: date = strawberry.field(description="First order date, included.")
    date_to: date = strawberry.field(description="Last order date, included.")
    supplier_code: str | None = strawberry.field(default=None,
                                                 description="All suppliers when null.")


@strawberry.type(description="How one supplier delivered on the order lines dated in the "
                             "range: percentages null when there is nothing to measure, "
                             "amounts in cents, lead time in days.")
class SupplierScorecardRow:
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
    returned_quantity: Decimal = strawberry.field(
        description="Shipped back to the supplier on purchase returns.")
    return_rate_pct: Decimal | None = strawberry.field(
        description="Returned quantity as a share of the quantity received.")

    @classmethod
    def from_row(cls, row: scorecard.ScorecardRow) -> SupplierScorecardRow:
        return cls(**{name: getattr(row, name) for name in scorecard.ScorecardRow.__slots__})


@strawberry.type
class SupplierScorecard:
    date_from: date
    date_to: date
    rows: list[SupplierScorecardRow]


@strawberry.input
class FulfilmentReportInput:
    date_from: date = strawberry.field(description="First order date, included.")
    date_to: date = strawberry.field(description="Last order date, included.")
    group_by: FulfilmentReportGroupBy


@strawberry.type(description="How one salesperson's or region's orders dated in the range were "
                             "served: rates in %, null without lines; cycle times in days, "
                             "null when nothing got that far.")
class FulfilmentReportRow:
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

    @classmethod
    def from_row(cls, row: fulfilment.FulfilmentRow) -> FulfilmentReportRow:
        return cls(**{name: getattr(row, name) for name in fulfilment.FulfilmentRow.__slots__})


@strawberry.type
class FulfilmentReport:
    date_from: date
    date_to: date
    rows: list[FulfilmentReportRow]


@strawberry.input
class SalesPerformanceInput:
    date_from: date = strawberry.field(description="First day (UTC), included.")
    date_to: date = strawberry.field(description="Last day (UTC), included.")
    group_by: SalesPerformanceGroupBy = strawberry.field(
        default=PerformanceGroupBy.SALESPERSON,
        description="TEAM adds salespeople up by the sales team they are in now.")


@strawberry.type(description="One salesperson's (or team's) orders dated in the range, the "
                             "revenue, COGS and margin of what shipped in it (as marginReport), "
                             "and the payments received in it on their invoices; amounts in "
                             "cents.")
class SalesPerformanceRow:
    key: str
    label: str
    orders: int
    revenue: Decimal
    cogs: Decimal
    margin: Decimal
    margin_pct: Decimal | None
    collections: Decimal

    @classmethod
    def from_row(cls, row: sales_performance.PerformanceRow) -> SalesPerformanceRow:
        return cls(**{name: getattr(row, name)
                      for name in sales_performance.PerformanceRow.__slots__})


@strawberry.type
class SalesPerformance:
    date_from: date
    date_to: date
    rows: list[SalesPerformanceRow]


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Margin of what shipped in a date range, grouped; finance "
                                  "directors and admins see all, sales their own orders.")
    async def margin_report(self, info: Info, input: MarginReportInput) -> MarginReport:
        answer = await margin.margin_report(info.context.session, info.context.user(),
                                            input.date_from, input.date_to,
                                            MarginGroupBy(input.group_by))
        # The domain rows have exactly MarginReportRow's fields, which graphql-core reads off
        # them: a copy of each of 64,000 product rows cost more than serialising it.
        return MarginReport(date_from=answer.date_from, date_to=answer.date_to,
                            rows=cast(list[MarginReportRow], answer.rows),
                            total=cast(MarginReportRow, answer.total))

    @strawberry.field(description="Stock on hand, value, turnover, cover, ageing and dead "
                                  "stock per product; finance directors, purchase managers, "
                                  "admins.")
    async def inventory_report(self, info: Info, input: InventoryReportInput) -> InventoryReport:
        answer = await inventory.inventory_report(
            info.context.session, info.context.user(), input.warehouse_code,
            input.as_of or utcnow().date(), input.dead_days)
        return InventoryReport(warehouse_code=answer.warehouse_code, as_of=answer.as_of,
                               dead_days=answer.dead_days,
                               rows=cast(list[InventoryReportRow], answer.rows))

    @strawberry.field(description="On-time-in-full, QC, price and lead time per supplier over "
                                  "the orders dated in a range; finance directors, purchase "
                                  "managers, admins.")
    async def supplier_scorecard(self, info: Info,
                                 input: SupplierScorecardInput) -> SupplierScorecard:
        answer = await scorecard.supplier_scorecard(
            info.context.session, info.context.user(), input.date_from, input.date_to,
            input.supplier_code)
        return SupplierScorecard(date_from=answer.date_from, date_to=answer.date_to,
                                 rows=[SupplierScorecardRow.from_row(row) for row in answer.rows])

    @strawberry.field(description="Fill rate, backorder rate and order-to-cash days of the "
                                  "orders dated in a range, per salesperson or region; finance "
                                  "directors and admins see all, sales their own orders.")
    async def fulfilment_report(self, info: Info,
                                input: FulfilmentReportInput) -> FulfilmentReport:
        answer = await fulfilment.fulfilment_report(
            info.context.session, info.context.user(), input.date_from, input.date_to,
            FulfilmentGroupBy(input.group_by))
        return FulfilmentReport(date_from=answer.date_from, date_to=answer.date_to,
                                rows=[FulfilmentReportRow.from_row(row) for row in answer.rows])

    @strawberry.field(description="Orders, revenue, margin and collections per salesperson "
                                  "over a range; finance directors and admins see all, sales "
                                  "their own row.")
    async def sales_performance(self, info: Info,
                                input: SalesPerformanceInput) -> SalesPerformance:
        answer = await sales_performance.sales_performance(
            info.context.session, info.context.user(), input.date_from, input.date_to,
            PerformanceGroupBy(input.group_by))
        return SalesPerformance(date_from=answer.date_from, date_to=answer.date_to,
                                rows=[SalesPerformanceRow.from_row(row) for row in answer.rows])
