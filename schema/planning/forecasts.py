"""Forecasts per product × warehouse × ISO week: set in bulk, read back by range."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from server.planning import forecasts as planning
from server.planning.forecasts import ForecastEntry

WEEK_HELP = "An ISO week such as 2026-W48 (weeks start on Monday)."


@strawberry.input(description="One forecast: how many units of a product one warehouse expects "
                              "to sell in one ISO week.")
class ForecastEntryInput:
    sku: str
    warehouse_code: str
    week: str = strawberry.field(description=WEEK_HELP)
    quantity: Decimal = strawberry.field(description="At least 0, at most 4 decimals.")


@strawberry.input
class SetForecastsInput:
    entries: list[ForecastEntryInput] = strawberry.field(
        description="At most 5,000; each product × warehouse × week at most once per call.")


@strawberry.type
class SetForecastsPayload:
    written: int = strawberry.field(description="Forecasts inserted or replaced; 0 on errors.")
    user_errors: list[UserError]


@strawberry.type(description="A forecast someone entered for one product, warehouse and week.")
class WeeklyForecast:
    sku: str
    warehouse_code: str
    week: str = strawberry.field(description=WEEK_HELP)
    week_start: date = strawberry.field(description="The Monday of the week.")
    quantity: Decimal
    updated_at: datetime
    updated_by: str = strawberry.field(description="Username of who set it last.")

    @classmethod
    def from_row(cls, row: planning.WeeklyForecast) -> WeeklyForecast:
        return cls(sku=row.sku, warehouse_code=row.warehouse_code, week=row.week,
                   week_start=row.week_start, quantity=row.quantity, updated_at=row.updated_at,
                   updated_by=row.updated_by)


@strawberry.type
class ForecastQuery:
    @strawberry.field(description="Forecasts entered for one warehouse, by sku then week; "
                                  "fromWeek and toWeek are both included.")
    async def forecasts(
        self, info: Info, warehouse_code: str, skus: list[str] | None = None,
        from_week: str | None = None, to_week: str | None = None,
    ) -> list[WeeklyForecast]:
        rows = await planning.forecasts(info.context.session, info.context.user(),
                                        warehouse_code, skus, from_week, to_week)
        return [WeeklyForecast.from_row(row) for row in rows]


@strawberry.type
class ForecastMutation:
    @strawberry.mutation(description="Insert or replace forecasts in bulk: all entries are "
                                     "written, or none when any is wrong.")
    async def set_forecasts(self, info: Info, input: SetForecastsInput) -> SetForecastsPayload:
        entries = [ForecastEntry(sku=e.sku, warehouse_code=e.warehouse_code, week=e.week,
                                 quantity=e.quantity) for e in input.entries]
        written, errors = await attempt(
            lambda: planning.set_forecasts(info.context.db, info.context.user(), entries))
        return SetForecastsPayload(written=written or 0, user_errors=errors)
