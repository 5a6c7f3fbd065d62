"""Reactions to changed product × warehouse pairs run after the change commits, in their own
transaction: they see it, and their failure never undoes it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server import changes
from server.changes import Pair
from server.db import Database
from server.inventory.models import Bucket
from tests.sales_setup import level, put_stock, sales_world


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
