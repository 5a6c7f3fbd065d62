"""A full run writes its suggestions by COPY on PostgreSQL (``suggestion_store``): the rows are
the ones the multi-row upsert writes, and a second run updates them in place."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

from server.catalog.models import Product, Supplier, Warehouse
from server.db import Database, utcnow
from server.planning import suggestion_store
from server.planning.engine import plan_all
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.netting import week_start
from server.planning.plan import PlannedSuggestion
from server.sales.models import HistorySource, SalesHistory, ShortagePolicy
from tests.sales_setup import order_for, put_stock, sales_world

D = Decimal
STORED = ("supplier_id", "quantity", "unit_price", "currency", "order_date", "need_date",
          "urgent", "explanation")


async def stored_rows(db: Database) -> dict[str, tuple[Any, ...]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(Product.sku, ReplenishmentSuggestion)
            .join(Product, Product.id == ReplenishmentSuggestion.product_id)
            .where(ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value))
        return {sku: (row.id, *(getattr(row, name) for name in STORED)) for sku, row in rows}


async def test_copied_suggestions_are_the_upserted_ones_and_update_in_place(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await sales_world(db)
    await order_for(db, world, [("P1", 7), ("P2", D("2.5"))], policy=ShortagePolicy.BACKORDER)
    await put_stock(db, world, "P3", "WH1-A-01", 5)
    this_week = week_start(utcnow().date())
    async with db.transaction() as session:
        product_id = await session.scalar(select(Product.id).where(Product.sku == "P3"))
        warehouse_id = await session.scalar(select(Warehouse.id).where(Warehouse.code == "WH1"))
        assert product_id is not None and warehouse_id is not None
        session.add_all(SalesHistory(
            product_id=product_id, warehouse_id=warehouse_id, region="East",
            source=HistorySource.IMPORTED.value, week_start=this_week - timedelta(weeks=w),
            quantity=D(20 + w)) for w in range(1, 13))
    monkeypatch.setattr(suggestion_store, "_COPY_FROM_ROWS", 10**9)
    await plan_all(db, world.admin)
    upserted = await stored_rows(db)
    async with db.transaction() as session:
        await session.execute(delete(ReplenishmentSuggestion))

    monkeypatch.setattr(suggestion_store, "_COPY_FROM_ROWS", 1)
    await plan_all(db, world.admin)
    copied = await stored_rows(db)
    assert set(copied) == {"P1", "P2", "P3"}
    assert {sku: row[1:] for sku, row in copied.items()} == {
        sku: row[1:] for sku, row in upserted.items()}
    assert copied["P1"][2] == D(7) and copied["P2"][2] >= D("2.5")

    await plan_all(db, world.admin)
    assert await stored_rows(db) == copied  # same ids, same values


async def test_a_copied_explanation_keeps_every_character(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await sales_world(db)
    explanation = {"notes": ["tab\there", "line\nbreak\r", "back\\slash", 'quote " é 中', "\\N"],
                   "terms": [{"term": "net", "value": "1.5", "note": "\b\f\v"}]}
    today = utcnow().date()
    monkeypatch.setattr(suggestion_store, "_COPY_FROM_ROWS", 1)
    async with db.transaction() as session:
        product_id = await session.scalar(select(Product.id).where(Product.sku == "P1"))
        warehouse_id = await session.scalar(select(Warehouse.id).where(Warehouse.code == "WH1"))
        supplier_id = await session.scalar(select(Supplier.id).where(Supplier.code == "S1"))
        assert product_id is not None and warehouse_id is not None and supplier_id is not None
        plan = PlannedSuggestion(D("1.5"), supplier_id, D("2.25"), "CNY", today, None, True,
                                 explanation)
        pair = (product_id, warehouse_id)
        assert await suggestion_store.store_plans(session, {pair: plan}, [pair]) == {
            pair: "opened"}
    async with db.reader() as session:
        row = await session.scalar(select(ReplenishmentSuggestion))
        assert row is not None
        assert (row.quantity, row.unit_price, row.currency, row.order_date, row.need_date,
                row.urgent, row.explanation) == (D("1.5"), D("2.25"), "CNY", today, None, True,
                                                 explanation)
        assert abs(row.computed_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)) < (
            timedelta(minutes=1))
