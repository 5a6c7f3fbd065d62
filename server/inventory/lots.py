"""Lots as stock knows them: expiry and first arrival, recorded the first time a lot comes in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert_insert, utcnow
from server.inventory.models import StockLot


async def register_lots(
    session: AsyncSession, lots: Iterable[tuple[int, str, date | None]]
) -> None:
    """Record each (product, lot, expiry) not known yet; a known lot keeps what it had."""
    rows = {(product_id, lot): expiry for product_id, lot, expiry in lots if lot}
    if not rows:
        return
    now = utcnow()
    await session.execute(upsert_insert(session, StockLot).values([
        {"product_id": product_id, "lot": lot, "expiry": expiry, "first_received_at": now}
        for (product_id, lot), expiry in sorted(rows.items())
    ]).on_conflict_do_nothing())
