"""Reactions to changed product × warehouse pairs run after the change commits, in their own
transaction: they see it, and their failure never undoes it."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import changes
from server.catalog.models import Product
from server.changes import Pair
from server.db import Database
from server.inventory.models import Bucket
from server.planning import engine
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.sales.models import ShortagePolicy
from tests.sales_setup import level, order_for, put_stock, sales_world


async def test_reactions_see_the_committed_change_and_their_failure_never_undoes_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    world = await sales_world(db)
    seen: list[frozenset[Pair]] = []

    async def failing(session: AsyncSession, pairs: frozenset[Pair]) -> None:
        seen.append(pairs)
        raise RuntimeError("planning is broken")

    monkeypatch.setattr(changes, "_reactions", [failing])
    with caplog.at_level(logging.ERROR, logger="server.db"):
        await put_stock(db, world, "P1", "WH1-A-01", 7)
    assert await level(db, "P1", Bucket.AVAILABLE) == 7
    assert len(seen) == 1 and len(next(iter(seen))) == 1
    assert "reacting to changed product × warehouse pairs failed" in caplog.text


async def test_concurrent_orders_share_recomputes_and_each_answer_reflects_its_order(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Backorders committed while a recompute runs share the next one: whenever an order is
    answered, the suggestion counts at least every order answered before it and itself."""
    world = await sales_world(db)
    runs: list[frozenset[Pair]] = []

    async def counted(session: AsyncSession, pairs: frozenset[Pair]) -> None:
        runs.append(pairs)
        await engine.recompute_pairs(session, pairs)

    monkeypatch.setattr(changes, "_reactions", [counted])
    answered = 0

    async def one_order() -> None:
        nonlocal answered
        await order_for(db, world, [("P1", 1)], policy=ShortagePolicy.BACKORDER)
        answered += 1
        at_least = answered
        assert await backordered_in_suggestion(db, "P1") >= at_least

    orders = 12
    await asyncio.gather(*(one_order() for _ in range(orders)))
    assert await backordered_in_suggestion(db, "P1") == orders
    assert 1 <= len(runs) <= orders


async def backordered_in_suggestion(db: Database, sku: str) -> Decimal:
    async with db.reader() as session:
        explanation = await session.scalar(
            select(ReplenishmentSuggestion.explanation)
            .join(Product, Product.id == ReplenishmentSuggestion.product_id)
            .where(Product.sku == sku,
                   ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value))
    assert explanation is not None, f"no open suggestion for {sku}"
    return Decimal(next(t["value"] for t in explanation["terms"] if t["term"] == "backordered"))
