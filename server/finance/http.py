"""``GET /reports/{name}.csv`` and ``.xlsx``: a finance report as a file, with the arguments of its
GraphQL query as query parameters (``/reports/margin.csv?dateFrom=2026-01-01&dateTo=2026-01-31
&groupBy=PRODUCT``, ``/reports/inventory.xlsx?warehouseCode=WH1&asOf=2026-01-31&deadDays=90``,
``/reports/supplier-scorecard.csv?dateFrom=2026-01-01&dateTo=2026-01-31&supplierCode=S1``,
``/reports/fulfilment.csv?dateFrom=2026-01-01&dateTo=2026-01-31&groupBy=REGION``,
``/reports/sales-performance.csv?dateFrom=2026-01-01&dateTo=2026-01-31&groupBy=TEAM``)
and the same bearer token and role checks. One header row, then the rows; the margin report ends
with its total row. Errors answer JSON ``{"error": {"code", "message", "field"}}``: 401 without
a valid token, 403 for a role that may not read the report, 404 for an unknown report, format or
warehouse, 400 for bad parameters."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.auth import Principal
from server.db import Database, utcnow
from server.errors import DomainError, InvalidInput, NotFound
from server.file_routes import caller, error_response
from server.finance.fulfilment import FulfilmentGroupBy, FulfilmentRow, fulfilment_report
from server.finance.inventory_report import inventory_report
from server.finance.margin import MarginGroupBy, MarginRow, margin_report
from server.finance.sales_performance import (
    PerformanceGroupBy,
    PerformanceRow,
    sales_performance,
)
from server.finance.scorecard import ScorecardRow, supplier_scorecard
from server.finance.xlsx import Cell, xlsx_bytes

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    filename: str
    header: list[str]
    rows: list[list[Cell]]


Parameters = Mapping[str, str]
ReportReader = Callable[[AsyncSession, Principal, Parameters], Awaitable[Table]]


def _date(parameters: Parameters, name: str, default: date | None = None) -> date:
    text = parameters.get(name)
    if not text:
        if default is None:
            raise InvalidInput(f"{name} is required (YYYY-MM-DD)", field=name)
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD), not {text!r}",
                           field=name) from None


def _group(parameters: Parameters, groupings: type[StrEnum], default: str = "") -> str:
    """The groupBy parameter by its enum name (REGION, TEAM...)."""
    group = (parameters.get("groupBy") or default).strip().upper()
    if group not in groupings.__members__:
        raise InvalidInput(f"groupBy must be one of {', '.join(groupings.__members__)}",
                           field="groupBy")
    return group


def _text(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


MARGIN_HEADER = ["key", "label", "revenue", "cogs", "margin", "marginPct", "expectedCogs",
                 "expectedMargin", "expectedMarginPct", "returnedRevenue", "restockedCogs",
                 "scrapLoss"]


def _margin_cells(row: MarginRow) -> list[Cell]:
    return [row.key, row.label, row.revenue, row.cogs, row.margin, row.margin_pct,
            row.expected_cogs, row.expected_margin, row.expected_margin_pct,
            row.returned_revenue, row.restocked_cogs, row.scrap_loss]


async def margin_table(session: AsyncSession, principal: Principal,
                       parameters: Parameters) -> Table:
    date_from, date_to = _date(parameters, "dateFrom"), _date(parameters, "dateTo")
    group = _group(parameters, MarginGroupBy)
    report = await margin_report(session, principal, date_from, date_to,
                                 MarginGroupBy[group])
    return Table("Margin", f"margin-{group.lower()}-{date_from}-{date_to}", MARGIN_HEADER,
                 [_margin_cells(row) for row in (*report.rows, report.total)])


INVENTORY_HEADER = ["sku", "name", "onHand", "value", "cogsLast365Days", "averageValue",
                    "turnover", "shippedLast90Days", "daysOfCover",
                    "age0To30Days", "age31To90Days", "age91To180Days", "ageOver180Days",
                    "lastMovementAt", "dead"]


async def inventory_table(session: AsyncSession, principal: Principal,
                          parameters: Parameters) -> Table:
    as_of = _date(parameters, "asOf", utcnow().date())
    dead_days_text = parameters.get("deadDays") or "90"
    if not dead_days_text.isdigit():
        raise InvalidInput("deadDays must be a whole number of days", field="deadDays")
    warehouse_code = parameters.get("warehouseCode") or None
    report = await inventory_report(session, principal, warehouse_code, as_of,
                                    int(dead_days_text))
    return Table("Inventory", f"inventory-{warehouse_code or 'all'}-{as_of}", INVENTORY_HEADER,
                 [[row.sku, row.name, row.on_hand, row.value, row.cogs_last_365_days,
                   row.average_value, row.turnover, row.shipped_last_90_days,
                   row.days_of_cover, row.age_0_to_30_days, row.age_31_to_90_days,
                   row.age_91_to_180_days, row.age_over_180_days,
                   _text(row.last_movement_at), row.dead] for row in report.rows])


SCORECARD_HEADER = ["supplierCode", "supplierName", "lines", "linesReceived", "otifConfirmedPct",
                    "otifRequestedPct", "inspectedQuantity", "rejectRatePct",
                    "concessionRatePct", "priceTrendPct", "priceVariance", "priceVariancePct",
                    "averageLeadTimeDays", "returnedQuantity", "returnRatePct"]


async def scorecard_table(session: AsyncSession, principal: Principal,
                          parameters: Parameters) -> Table:
    date_from, date_to = _date(parameters, "dateFrom"), _date(parameters, "dateTo")
    supplier_code = parameters.get("supplierCode") or None
    report = await supplier_scorecard(session, principal, date_from, date_to, supplier_code)
    filename = f"supplier-scorecard-{supplier_code or 'all'}-{date_from}-{date_to}"
    return Table("Supplier scorecard", filename, SCORECARD_HEADER,
                 [[getattr(row, name) for name in ScorecardRow.__slots__]
                  for row in report.rows])


FULFILMENT_HEADER = ["key", "label", "orders", "lines", "filledLines", "fillRatePct",
                     "backorderedLines", "backorderRatePct", "daysToShip", "daysToInvoice",
                     "daysToPay", "daysOrderToCash"]


async def fulfilment_table(session: AsyncSession, principal: Principal,
                           parameters: Parameters) -> Table:
    date_from, date_to = _date(parameters, "dateFrom"), _date(parameters, "dateTo")
    group = _group(parameters, FulfilmentGroupBy)
    report = await fulfilment_report(session, principal, date_from, date_to,
                                     FulfilmentGroupBy[group])
    return Table("Fulfilment", f"fulfilment-{group.lower()}-{date_from}-{date_to}",
                 FULFILMENT_HEADER,
                 [[getattr(row, name) for name in FulfilmentRow.__slots__]
                  for row in report.rows])


PERFORMANCE_HEADER = ["key", "label", "orders", "revenue", "cogs", "margin", "marginPct",
                      "collections"]


async def performance_table(session: AsyncSession, principal: Principal,
                            parameters: Parameters) -> Table:
    date_from, date_to = _date(parameters, "dateFrom"), _date(parameters, "dateTo")
    group = _group(parameters, PerformanceGroupBy, "SALESPERSON")
    report = await sales_performance(session, principal, date_from, date_to,
                                     PerformanceGroupBy[group])
    return Table("Sales performance",
                 f"sales-performance-{group.lower()}-{date_from}-{date_to}",
                 PERFORMANCE_HEADER,
                 [[getattr(row, name) for name in PerformanceRow.__slots__]
                  for row in report.rows])


REPORTS: dict[str, ReportReader] = {"margin": margin_table, "inventory": inventory_table,
                                    "supplier-scorecard": scorecard_table,
                                    "fulfilment": fulfilment_table,
                                    "sales-performance": performance_table}


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a byte-order mark: Excel opens it as UTF-8 (Chinese names stay readable)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)  # None is written as an empty field
    return text.getvalue().encode("utf-8-sig")


def table_xlsx(table: Table) -> bytes:
    return xlsx_bytes(table.title, table.header, table.rows)


FORMATS: dict[str, tuple[Callable[[Table], bytes], str]] = {
    "csv": (csv_bytes, CSV_TYPE), "xlsx": (table_xlsx, XLSX_TYPE)}


async def report_response(request: Request, database: Database, token: str | None) -> Response:
    """The file for the route's ``name`` and ``format``, authenticated by ``token``."""
    try:
        principal = await caller(database, token)
        async with database.reader() as session:
            reader = REPORTS.get(request.path_params["name"])
            if reader is None:
                raise NotFound(f"no report {request.path_params['name']!r}: one of "
                               f"{', '.join(REPORTS)}", field="name")
            output = FORMATS.get(request.path_params["format"])
            if output is None:
                raise NotFound(f"no format {request.path_params['format']!r}: csv or xlsx",
                               field="format")
            table = await reader(session, principal, request.query_params)
    except DomainError as error:
        return error_response(error)
    render, media_type = output
    filename = f"{table.filename}.{request.path_params['format']}"
    return Response(render(table), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
