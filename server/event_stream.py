"""Subscriptions: replay from the outbox after a client's cursor, then go live, seamlessly.

The subscriber is registered with the hub *before* the replay, at the hub's mark M: the hub will
hand it every matching event at or after M, and the replay reads the events between the client's
cursor and M from the table (all committed: M is a reader's mark). The two ranges meet without a
gap or an overlap, so a client that reconnects with its last cursor sees every event once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from server.auth import Principal
from server.catalog.service import warehouse_by_code
from server.db import Database
from server.errors import InvalidInput
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent, read_range

REPLAY_PAGE = 200
STOCK_CHANGED = "STOCK_CHANGED"


async def follow(
    hub: EventHub, db: Database, where: EventFilter, after: Position | None
) -> AsyncGenerator[StoredEvent, None]:
    """Matching events after ``after`` (replayed, then live), or only live ones without it."""
    with hub.subscribe(where) as live:
        if after is not None:
            async for event in _replay(db, where, after, live.start):
                yield event
        async for event in live:
            # A cursor from a process whose reader is ahead of ours can lie past our mark.
            if after is None or event.position > after:
                yield event


async def _replay(
    db: Database, where: EventFilter, after: Position, before: Position
) -> AsyncIterator[StoredEvent]:
    while True:
        # One short read per page: a replay never holds a connection while the client reads.
        async with db.engine.connect() as connection:
            page = await read_range(connection, where, after, before, REPLAY_PAGE)
        for event in page:
            yield event
        if len(page) < REPLAY_PAGE:
            return
        after = page[-1].position


async def stock_changes(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str,
    skus: list[str] | None, after: str | None,
) -> AsyncGenerator[StoredEvent, None]:
    """Validate a ``stockChanged`` subscription and open its stream (errors surface here, before
    the first event)."""
    principal.require_internal()
    wanted = frozenset(s.strip() for s in skus if s.strip()) if skus is not None else None
    if wanted is not None and not wanted:
        raise InvalidInput("skus must list at least one SKU; omit it to follow all", field="skus")
    position = Position.from_cursor(after) if after is not None else None
    async with db.reader() as session:
        warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    where = EventFilter(
        topic="stock", kinds=frozenset({STOCK_CHANGED}), warehouse_id=warehouse.id,
        skus=wanted,
    )
    return follow(hub, db, where, position)

