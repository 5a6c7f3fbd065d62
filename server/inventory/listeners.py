"""Listeners told, in the posting's transaction, when a posting grew the ``available`` stock of
some products: how downstream areas (sales' backorder allocation) react to freed stock without
inventory importing them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.inventory.models import Bucket
from server.inventory.moves import PostingContext

# (product_id, warehouse_id) pairs whose ``available`` position grew in one posting.
Increases = Sequence[tuple[int, int]]
# Every bucket of each of the posting's pairs after it, read while it holds their cost rows.
Levels = Mapping[tuple[int, int], Mapping[Bucket, Decimal]]
AvailableListener = Callable[[AsyncSession, Increases, Levels, PostingContext], Awaitable[None]]

_listeners: list[AvailableListener] = []


def on_available_increase(listener: AvailableListener) -> AvailableListener:
    """Register ``listener`` (once; usable as a decorator). It runs at the end of every posting
    that grew ``available`` and may post moves itself: postings that only take stock from
    ``available`` do not call listeners, so a listener that reserves cannot loop."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


async def available_increased(
    session: AsyncSession, increases: Increases, levels: Levels, context: PostingContext
) -> None:
    """Tell every listener, in registration order; an error rolls the posting back."""
    for listener in list(_listeners):
        await listener(session, increases, levels, context)
