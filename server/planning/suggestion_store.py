"""Writing a planning result: per product × warehouse, the open suggestion is updated in place
(its id stays, so a buyer's screen and a convert in flight keep pointing at it), opened, or
closed (deleted: it was never acted on) when nothing is needed any more. Converted and dismissed
suggestions are history and never touched. One ``SUGGESTIONS_CHANGED`` event per warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Product, Warehouse
from server.changes import Pair
from server.db import json_bytes, upsert_insert, utcnow
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.plan import PlannedSuggestion
from server.planning.suggestion_events import SuggestionChanges, record_suggestion_changes

_OPEN = SuggestionStatus.OPEN.value
_KEY_FIELDS = ("quantity", "supplier_id", "unit_price", "order_date", "need_date", "urgent")
# Rows per multi-row statement: well under PostgreSQL's 65,535 bind parameters.
_ROWS_PER_STATEMENT = 2000
# From this many rows on PostgreSQL writes by COPY: creating its staging table costs more than
# it wins for the few rows of a live recompute.
_COPY_FROM_ROWS = 200


async def store_plans(
    session: AsyncSession, plans: Mapping[Pair, PlannedSuggestion | None],
    considered: Collection[Pair], product_range: tuple[int, int] | None = None,
) -> dict[Pair, str]:
    """Write the plans of ``considered`` pairs (read by ``product_range`` when they are most of
    it); returns what happened to each changed pair: opened, updated or closed. The caller
    announces the changes (``record_changes``) once its run is done."""
    existing = await _open_rows(session, considered, product_range)
    now = utcnow()
    # Rows in ``_COPIED`` order, built as tuples: a full run writes one for nearly every pair.
    written: list[tuple[Any, ...]] = []
    closed: list[int] = []
    changed: dict[Pair, str] = {}
    for pair in considered:
        plan, row = plans.get(pair), existing.get(pair)
        if plan is None:
            if row is not None:
                closed.append(row[0])
                changed[pair] = "closed"
            continue
        # New or not, every planned pair is upserted: an open row is updated in place.
        written.append((pair[0], pair[1], plan.supplier_id, plan.quantity, plan.unit_price,
                        plan.currency, plan.order_date, plan.need_date, plan.urgent,
                        plan.explanation, now))
        if row is None:
            changed[pair] = "opened"
        elif row[1:] != (plan.quantity, plan.supplier_id, plan.unit_price, plan.order_date,
                         plan.need_date, plan.urgent):
            changed[pair] = "updated"
    for start in range(0, len(closed), _ROWS_PER_STATEMENT):
        await session.execute(delete(ReplenishmentSuggestion).where(
            ReplenishmentSuggestion.id.in_(closed[start:start + _ROWS_PER_STATEMENT])))
    if len(written) >= _COPY_FROM_ROWS and session.get_bind().dialect.name == "postgresql":
        await _copy_upsert(session, written)
    elif written:
        # One statement executed for many rows: SQLAlchemy batches them into multi-row
        # statements itself, far faster than compiling one huge VALUES list per chunk.
        await session.execute(_upsert(session), [
            {**dict(zip(_COPIED, row, strict=True)), "status": _OPEN} for row in written])
    return changed


async def record_changes(session: AsyncSession, changed: Mapping[Pair, str], *,
                         full: bool) -> None:
    """One SUGGESTIONS_CHANGED event per warehouse; a full run does not list skus."""
    if changed:
        await record_suggestion_changes(
            session, await _changes(session, changed, full=full), full=full)


def _upsert(session: AsyncSession) -> Any:
    # Also covers a concurrent transaction opening the same pair's suggestion first.
    statement = upsert_insert(session, ReplenishmentSuggestion)
    return statement.on_conflict_do_update(
        index_elements=["product_id", "warehouse_id"], index_where=text("status = 'open'"),
        set_={name: statement.excluded[name] for name in (*_KEY_FIELDS, "currency",
                                                          "explanation", "computed_at")},
    )


_COPIED = ("product_id", "warehouse_id", "supplier_id", "quantity", "unit_price", "currency",
           "order_date", "need_date", "urgent", "explanation", "computed_at")
_EXPLANATION = _COPIED.index("explanation")
_STAGING = "planned_suggestion"
_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (product_id bigint, warehouse_id bigint, "
    "supplier_id bigint, quantity numeric(18, 4), unit_price numeric(18, 4), currency "
    "varchar(3), order_date date, need_date date, urgent boolean, explanation json, "
    "computed_at timestamptz) ON COMMIT DROP")
_MERGE_STAGING = (
    f"INSERT INTO replenishment_suggestion ({', '.join(_COPIED)}, status) "
    f"SELECT {', '.join(_COPIED)}, '{_OPEN}' FROM {_STAGING} "
    f"ON CONFLICT (product_id, warehouse_id) WHERE status = '{_OPEN}' DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _COPIED[2:]))


async def _copy_upsert(session: AsyncSession, written: list[tuple[Any, ...]]) -> None:
    """The upsert of ``_upsert`` for PostgreSQL, as COPY into a temporary table and one
    INSERT … SELECT from it: a tenth of the time of multi-row INSERTs for 10,000 suggestions,
    whose explanations make most of the bytes."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    async with driver.cursor() as cursor:
        await cursor.execute(_CREATE_STAGING)
        async with cursor.copy(f"COPY {_STAGING} ({', '.join(_COPIED)}) FROM STDIN") as copy:
            await copy.write(_copy_text(written))
        await cursor.execute(_MERGE_STAGING)
        await cursor.execute(f"TRUNCATE {_STAGING}")


def _copy_text(written: list[tuple[Any, ...]]) -> bytes:
    """The rows in COPY's text format, as psycopg's ``write_row`` would send them, built here
    in one piece. Most of the bytes are the explanations; JSON escapes every control
    character, so only its backslashes need COPY's escape."""
    lines = []
    stamps: dict[Any, bytes] = {}  # a run's rows share one computed_at
    for (product_id, warehouse_id, supplier_id, quantity, unit_price, currency, order_date,
         need_date, urgent, explanation, computed_at) in written:
        stamp = stamps.get(computed_at)
        if stamp is None:
            stamp = stamps[computed_at] = _copy_field(computed_at).encode()
        head = (f"{product_id}\t{warehouse_id}\t{supplier_id}\t{quantity}\t{unit_price}\t"
                f"{_copy_field(currency)}\t{_copy_field(order_date)}\t"
                f"{_copy_field(need_date)}\t{'t' if urgent else 'f'}\t")
        lines.append(b"%s%s\t%s\n" % (
            head.encode(), json_bytes(explanation).replace(b"\\", b"\\\\"), stamp))
    return b"".join(lines)


def _copy_field(value: object) -> str:
    """A value as COPY's text format reads it: NULL as \\N, its special characters escaped."""
    if value is None:
        return "\\N"
    text = str(value)
    if _COPY_SPECIAL.search(text) is None:
        return text
    return _COPY_SPECIAL.sub(lambda found: _COPY_ESCAPES[found[0]], text)


_COPY_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
                 "\r": "\\r", "\\": "\\\\"}
_COPY_SPECIAL = re.compile("[\b\t\n\v\f\r\\\\]")


_OPEN_ROWS = select(ReplenishmentSuggestion.__table__.c.id,
                    ReplenishmentSuggestion.__table__.c.product_id,
                    ReplenishmentSuggestion.__table__.c.warehouse_id,
                    *(ReplenishmentSuggestion.__table__.c[name] for name in _KEY_FIELDS)
                    ).where(ReplenishmentSuggestion.__table__.c.status == _OPEN)
# Built once, as the live recompute reads a pair or two after every change.
_OPEN_ROWS_IN_RANGE = _OPEN_ROWS.where(
    ReplenishmentSuggestion.__table__.c.product_id.between(bindparam("low"), bindparam("high")))
_OPEN_ROWS_OF_PAIRS = _OPEN_ROWS.where(tuple_(
    ReplenishmentSuggestion.__table__.c.product_id,
    ReplenishmentSuggestion.__table__.c.warehouse_id).in_(bindparam("pairs", expanding=True))
).with_for_update()


async def _open_rows(
    session: AsyncSession, pairs: Collection[Pair], product_range: tuple[int, int] | None
) -> dict[Pair, tuple[Any, ...]]:
    """Per pair, its open suggestion as (id, *``_KEY_FIELDS``)."""
    if product_range is not None:
        low, high = product_range
        found = list(await session.execute(_OPEN_ROWS_IN_RANGE, {"low": low, "high": high}))
    else:
        found = []
        ordered = sorted(pairs)
        for start in range(0, len(ordered), _ROWS_PER_STATEMENT // 4):
            found.extend(await session.execute(_OPEN_ROWS_OF_PAIRS, {
                "pairs": ordered[start:start + _ROWS_PER_STATEMENT // 4]}))
    wanted = set(pairs)
    return {(row[1], row[2]): (row[0], *row[3:]) for row in found
            if (row[1], row[2]) in wanted}


async def _changes(
    session: AsyncSession, changed: Mapping[Pair, str], *, full: bool
) -> list[SuggestionChanges]:
    codes = dict((await session.execute(select(Warehouse.id, Warehouse.code))).all())
    skus: dict[int, str] = {}
    if not full:
        skus = dict((await session.execute(select(Product.id, Product.sku).where(
            Product.id.in_({product for product, _ in changed})))).all())
    by_warehouse: dict[int, SuggestionChanges] = {}
    for (product_id, warehouse_id), what in changed.items():
        change = by_warehouse.setdefault(
            warehouse_id, SuggestionChanges(warehouse_id, codes[warehouse_id]))
        setattr(change, what, getattr(change, what) + 1)
        if product_id in skus:
            change.skus.add(skus[product_id])
    return list(by_warehouse.values())
