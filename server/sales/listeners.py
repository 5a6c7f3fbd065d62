"""Listeners told, in the shipment's transaction, that goods left on some shipments: how
downstream areas (finance's customer invoices) react to a shipment without sales importing
them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

ShippedListener = Callable[[AsyncSession, Sequence[int]], Awaitable[None]]

_listeners: list[ShippedListener] = []


def on_shipped(listener: ShippedListener) -> ShippedListener:
    """Register ``listener`` (once; usable as a decorator). It runs at the end of every
    confirmed shipment with the ids of the shipments just written."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


async def shipped(session: AsyncSession, shipment_ids: Sequence[int]) -> None:
    """Tell every listener, in registration order; an error rolls the shipment back."""
    for listener in list(_listeners):
        await listener(session, shipment_ids)
