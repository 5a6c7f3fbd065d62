"""The planning engine on a real database: suggestions kept live by the transactions that change
stock or demand, and the full run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from server.catalog.models import Product, Warehouse
from server.db import Database, utcnow
from server.events import Event
from server.planning import engine
from server.planning.engine import plan_all
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.netting import week_start
from server.sales.history_import import import_sales_history
from server.sales.models import HistorySource, SalesHistory, ShortagePolicy
from tests.sales_setup import order_for, purchase, put_stock, sales_world
from tests.world import World

D = Decimal


async def open_suggestions(db: Database) -> dict[str, ReplenishmentSuggestion]:
    async with db.reader() as session:
        rows = await session.execute(
            select(Product.sku, ReplenishmentSuggestion)
            .join(Product, Product.id == ReplenishmentSuggestion.product_id)
            .where(ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value))
        return {sku: suggestion for sku, suggestion in rows}


def term(suggestion: ReplenishmentSuggestion, name: str) -> str:
    return next(t["value"] for t in suggestion.explanation["terms"] if t["term"] == name)


async def test_a_backorder_opens_an_explained_suggestion_before_the_order_is_answered(
    db: Database,
) -> None:
    world = await sales_world(db)
    await order_for(db, world, [("P1", 12)], policy=ShortagePolicy.BACKORDER)
    suggestion = (await open_suggestions(db))["P1"]
    assert suggestion.quantity == D(12)
    assert suggestion.urgent  # nothing in stock: already below safety stock
    assert suggestion.order_date == utcnow().date()
    assert D(term(suggestion, "backordered")) == D(12)
    assert D(term(suggestion, "net")) == D(12)
    assert term(suggestion, "supplier") == "S1"
    async with db.reader() as session:
        kinds = list(await session.scalars(
            select(Event.kind).where(Event.topic == "replenishment_suggestion")))
    assert kinds == ["SUGGESTIONS_CHANGED"]


async def test_stock_arriving_closes_the_suggestion_and_an_approved_po_counts(
    db: Database,
) -> None:
    world = await sales_world(db)
    await order_for(db, world, [("P1", 5)], policy=ShortagePolicy.BACKORDER)
    assert "P1" in await open_suggestions(db)
    await purchase(db, world, "P1", 5)  # approved: on order covers the backorder
    assert "P1" not in await open_suggestions(db)


async def test_the_full_run_plans_from_history_and_keeps_ids(db: Database) -> None:
    world: World = await sales_world(db)
    await put_stock(db, world, "P3", "WH1-A-01", 5)
    this_week = week_start(utcnow().date())
    async with db.transaction() as session:
        product_id = await session.scalar(select(Product.id).where(Product.sku == "P3"))
        warehouse_id = await session.scalar(select(Warehouse.id).where(Warehouse.code == "WH1"))
        assert product_id is not None and warehouse_id is not None
        session.add_all(SalesHistory(
            product_id=product_id, warehouse_id=warehouse_id, region="East",
            source=HistorySource.IMPORTED.value, week_start=this_week - timedelta(weeks=w),
            quantity=D(20)) for w in range(1, 13))
    summary = await plan_all(db, world.admin)
    assert summary.pairs >= 1 and summary.open_suggestions >= 1
    first = (await open_suggestions(db))["P3"]
    assert first.quantity > 0
    assert any("holt_damped" in note for note in first.explanation["notes"])
    assert all(week["source"] == "baseline" for week in first.explanation["forecastWeeks"])
    await plan_all(db, world.admin)
    again = (await open_suggestions(db))["P3"]
    assert again.id == first.id and again.quantity == first.quantity


async def test_imported_history_is_planned_as_soon_as_the_import_commits(db: Database) -> None:
    world = await sales_world(db)
    this_week = week_start(utcnow().date())
    rows = "".join(f"{this_week - timedelta(weeks=w)},P3,WH1,East,30\n" for w in range(1, 9))
    await import_sales_history(db, world.admin, ("week,sku,warehouse,region,quantity\n"
                                                  + rows).encode())
    suggestion = (await open_suggestions(db))["P3"]
    assert suggestion.quantity > 0
    assert any("8 weeks of history" in note for note in suggestion.explanation["notes"])


async def test_a_run_in_several_slices_plans_every_pair_once(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Slices of one pair, read by product id range.
    monkeypatch.setattr(engine, "CHUNK_PAIRS", 1)
    monkeypatch.setattr(engine, "SMALL_RECOMPUTE", 0)
    world = await sales_world(db)
    for sku in ("P1", "P2", "P3"):
        await order_for(db, world, [(sku, 4)], policy=ShortagePolicy.BACKORDER)
    async with db.transaction() as session:
        await session.execute(delete(ReplenishmentSuggestion))
    summary = await plan_all(db, world.admin)
    assert summary.open_suggestions == 3
    assert {sku: s.quantity for sku, s in (await open_suggestions(db)).items()} == {
        "P1": D(4), "P2": D(4), "P3": D(4)}
