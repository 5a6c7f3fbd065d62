"""Forecasts entered by people: per product × warehouse × ISO week, set in bulk and read back.

``set_forecasts`` checks every entry before writing any (all problems at once, each naming its
entry's index), then upserts them in one transaction and records a ``FORECASTS_SET`` event so
the suggestions of the products concerned can be recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.catalog.models import Product, Warehouse
from server.catalog.rules import raise_problems
from server.changes import mark_changed
from server.db import Database, upsert_insert, utcnow
from server.errors import InvalidInput, NotFound, Problem
from server.events import record_event
from server.planning.models import Forecast
from server.weeks import week_label, week_start

FORECASTERS = (Role.SALES, Role.PURCHASER, Role.PURCHASE_MANAGER)
MAX_ENTRIES = 5_000
# Each upserted row binds 6 parameters; SQLite allows 32,766 per statement.
_ROWS_PER_STATEMENT = 1_000
# Above this many products the event says only how many rows changed: listeners recompute all.
MAX_EVENT_PRODUCT_IDS = 100
_STEP = Decimal("0.0001")
_LIMIT = Decimal(10) ** 14  # the column is NUMERIC(18, 4)


@dataclass(frozen=True, slots=True)
class ForecastEntry:
    sku: str
    warehouse_code: str
    week: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class WeeklyForecast:
    sku: str
    warehouse_code: str
    week: str
    week_start: date
    quantity: Decimal
    updated_at: datetime
    updated_by: str


def too_many(entries: Sequence[ForecastEntry]) -> Problem | None:
    if len(entries) <= MAX_ENTRIES:
        return None
    return Problem("INVALID_INPUT", f"at most {MAX_ENTRIES} entries per call, got {len(entries)}",
                   "entries")


def entry_problems(
    entries: Sequence[ForecastEntry], active_products: Mapping[str, bool],
    active_warehouses: Mapping[str, bool],
) -> list[Problem]:
    """Everything wrong with the entries, in entry order: unknown or inactive skus and
    warehouses (given as code → active), weeks, quantities and repeated product × warehouse ×
    week. Fields read ``entries[i].name`` and messages start with ``entry i``."""
    problems: list[Problem] = []
    first_index: dict[tuple[str, str, date], int] = {}
    for index, entry in enumerate(entries):
        add = partial(_add_problem, problems, index)
        for name, kind, code, known in [("sku", "product", entry.sku, active_products),
                                        ("warehouseCode", "warehouse", entry.warehouse_code,
                                         active_warehouses)]:
            if code not in known:
                add("NOT_FOUND", f"no {kind} {code!r}", name)
            elif not known[code]:
                add("INVALID_INPUT", f"{kind} {code} is inactive", name)
        problem = _quantity_problem(entry.quantity)
        if problem is not None:
            add("INVALID_INPUT", problem, "quantity")
        try:
            monday = week_start(entry.week)
        except ValueError as error:
            add("INVALID_INPUT", str(error), "week")
            continue
        key = (entry.sku, entry.warehouse_code, monday)
        if key in first_index:
            add("DUPLICATE", f"repeats entry {first_index[key]} ({entry.sku} in "
                f"{entry.warehouse_code} for {week_label(monday)})", "week")
        else:
            first_index[key] = index
    return problems


async def set_forecasts(
    db: Database, principal: Principal, entries: Sequence[ForecastEntry]
) -> int:
    """Write (insert or replace) every entry, or none when any is wrong; returns how many."""
    principal.require(*FORECASTERS)
    raise_problems(too_many(entries))
    if not entries:
        return 0
    async with db.transaction() as session:
        products = await _by_code(session, Product, Product.sku, {e.sku for e in entries})
        warehouses = await _by_code(session, Warehouse, Warehouse.code,
                                    {e.warehouse_code for e in entries})
        raise_problems(*entry_problems(
            entries, {sku: row.active for sku, row in products.items()},
            {code: row.active for code, row in warehouses.items()}))
        now = utcnow()
        rows = [{"product_id": products[e.sku].id, "warehouse_id": warehouses[e.warehouse_code].id,
                 "week_start": week_start(e.week), "quantity": e.quantity,
                 "updated_by_id": principal.user_id, "updated_at": now} for e in entries]
        for offset in range(0, len(rows), _ROWS_PER_STATEMENT):
            await session.execute(_upsert(session, rows[offset:offset + _ROWS_PER_STATEMENT]))
        mark_changed(session, {(row["product_id"], row["warehouse_id"]) for row in rows})
        await record_event(session, topic="planning", kind="FORECASTS_SET",
                           payload=_event_payload(rows),
                           warehouse_id=_single({row["warehouse_id"] for row in rows}))
    return len(rows)


async def forecasts(
    session: AsyncSession, principal: Principal, warehouse_code: str,
    skus: Sequence[str] | None = None, from_week: str | None = None, to_week: str | None = None,
) -> list[WeeklyForecast]:
    """The forecasts entered for one warehouse (optionally only these skus, and weeks from
    ``from_week`` to ``to_week``, both included), ordered by sku, then week."""
    principal.require_internal()
    first = _optional_week(from_week, "fromWeek")
    last = _optional_week(to_week, "toWeek")
    if first is not None and last is not None and first > last:
        raise InvalidInput(f"fromWeek {from_week} comes after toWeek {to_week}", field="toWeek")
    warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    if warehouse is None:
        raise NotFound(f"no warehouse with code {warehouse_code!r}", field="warehouseCode")
    query = (
        select(Product.sku, Forecast.week_start, Forecast.quantity, Forecast.updated_at,
               User.username)
        .join(Product, Product.id == Forecast.product_id)
        .join(User, User.id == Forecast.updated_by_id)
        .where(Forecast.warehouse_id == warehouse.id)
        .order_by(Product.sku, Forecast.week_start)
    )
    if skus is not None:
        query = query.where(Product.sku.in_(list(skus)))
    if first is not None:
        query = query.where(Forecast.week_start >= first)
    if last is not None:
        query = query.where(Forecast.week_start <= last)
    return [
        WeeklyForecast(sku=sku, warehouse_code=warehouse.code, week=week_label(monday),
                       week_start=monday, quantity=quantity, updated_at=updated_at,
                       updated_by=username)
        for sku, monday, quantity, updated_at, username in await session.execute(query)
    ]


def _add_problem(problems: list[Problem], index: int, code: str, message: str, name: str) -> None:
    problems.append(Problem(code, f"entry {index}: {message}", f"entries[{index}].{name}"))


def _quantity_problem(quantity: Decimal) -> str | None:
    if not quantity.is_finite():
        return "quantity must be a number"
    if quantity < 0:
        return f"quantity {quantity} is negative"
    if quantity >= _LIMIT:
        return f"quantity {quantity} is too large"
    if quantity != quantity.quantize(_STEP):
        return f"quantity {quantity} has more than 4 decimals"
    return None


def _optional_week(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return week_start(text)
    except ValueError as error:
        raise InvalidInput(str(error), field=field) from error


async def _by_code(
    session: AsyncSession, model: type[Product] | type[Warehouse], column: Any, codes: set[str]
) -> dict[str, Any]:
    found = await session.scalars(select(model).where(column.in_(codes)))
    return {getattr(row, column.key): row for row in found}


def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> Any:
    statement = upsert_insert(session, Forecast).values(rows)
    return statement.on_conflict_do_update(
        index_elements=["product_id", "warehouse_id", "week_start"],
        set_={name: statement.excluded[name]
              for name in ("quantity", "updated_by_id", "updated_at")},
    )


def _event_payload(rows: list[dict[str, Any]]) -> dict[str, Any]:
    product_ids = sorted({row["product_id"] for row in rows})
    payload: dict[str, Any] = {"count": len(rows)}
    if len(product_ids) <= MAX_EVENT_PRODUCT_IDS:
        payload["productIds"] = product_ids
    return payload


def _single(values: set[int]) -> int | None:
    return next(iter(values)) if len(values) == 1 else None
