"""Listeners told, in the shipment's transaction, that goods left on some shipments, and in the
return receipt's, that goods came back: how downstream areas (finance's customer invoices and
credit notes) react without sales importing them."""

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


ReturnReceivedListener = Callable[[AsyncSession, Sequence[int]], Awaitable[None]]

_return_listeners: list[ReturnReceivedListener] = []


def on_return_received(listener: ReturnReceivedListener) -> ReturnReceivedListener:
    """Register ``listener`` (once; usable as a decorator). It runs at the end of every sales
    return receipt with the ids of the return receipts just written."""
    if listener not in _return_listeners:
        _return_listeners.append(listener)
    return listener


async def return_received(session: AsyncSession, receipt_ids: Sequence[int]) -> None:
    """Tell every listener, in registration order; an error rolls the receipt back."""
    for listener in list(_return_listeners):
        await listener(session, receipt_ids)
