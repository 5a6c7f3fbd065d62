"""What every subscription resolver shares: the process's event hub, and a feed that is closed
(so its hub subscription ends) as soon as the client goes, not when it is garbage-collected."""

from __future__ import annotations

from collections.abc import AsyncIterator

from schema.context import Context
from server.event_hub import EventHub, HubStopped
from server.event_log import StoredEvent


def live_hub(context: Context) -> EventHub:
    if context.events is None:
        raise HubStopped("live events are not running on this server")
    return context.events


async def drained(stream: AsyncIterator[StoredEvent]) -> AsyncIterator[StoredEvent]:
    try:
        async for event in stream:
            yield event
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
