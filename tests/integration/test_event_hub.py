"""The event hub on both backends: delivery after commit, filters, slow subscribers, resuming."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from server.db import Database
from server.event_hub import EventHub, HubSettings, Subscriber, SubscriberTooSlow
from server.event_listener import APPLICATION_NAME
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.events import record_event
from tests.inbox import Inbox as BaseInbox

# Long enough that only a wake-up (commit hook or NOTIFY) can explain a prompt delivery.
NO_SAFETY_POLL = HubSettings(safety_poll=60.0)
STOCK = EventFilter(topic="stock")


@pytest.fixture
async def hub(db: Database) -> AsyncIterator[EventHub]:
    started = EventHub(db, NO_SAFETY_POLL)
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


async def post(db: Database, *events: tuple[int, str], topic: str = "stock") -> None:
    """One transaction writing one STOCK_CHANGED event per (warehouse id, sku)."""
    async with db.transaction() as session:
        for warehouse_id, sku in events:
            await record_event(session, topic=topic, kind="STOCK_CHANGED",
                               warehouse_id=warehouse_id, payload={"sku": sku})


class Inbox(BaseInbox[StoredEvent]):
    """An inbox over a hub subscriber or a replay-then-live stream, closing the stream too."""

    def __init__(self, stream: Subscriber | AsyncIterator[StoredEvent]) -> None:
        self.stream = stream
        super().__init__(stream)

    async def close(self) -> None:
        await super().close()
        if not isinstance(self.stream, Subscriber):
            await self.stream.aclose()  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def inbox(stream: Subscriber | AsyncIterator[StoredEvent]) -> AsyncIterator[Inbox]:
    opened = Inbox(stream)
    try:
        yield opened
    finally:
        await opened.close()


def skus(events: list[StoredEvent]) -> list[str]:
    return [event.payload["sku"] for event in events]


async def test_committed_events_reach_subscriber_in_order_once(db: Database,
                                                              hub: EventHub) -> None:
    with hub.subscribe(STOCK) as subscriber:
        async with inbox(subscriber) as received:
            await post(db, (1, "A"), (1, "B"))
            await post(db, (1, "C"))
            events = await received.take(3)
            assert skus(events) == ["A", "B", "C"]
            assert [e.position for e in events] == sorted({e.position for e in events})
            assert (events[0].position.txid == 0) == db.is_sqlite
            assert await received.quiet()


async def test_rolled_back_events_are_never_delivered(db: Database, hub: EventHub) -> None:
    with hub.subscribe(STOCK) as subscriber:
        async with inbox(subscriber) as received:
            with pytest.raises(RuntimeError):
                async with db.transaction() as session:
                    await record_event(session, topic="stock", kind="STOCK_CHANGED",
                                       payload={"sku": "GONE"})
                    raise RuntimeError("abort")
            await post(db, (1, "KEPT"))
            assert skus(await received.take(1)) == ["KEPT"]
            assert await received.quiet()


async def test_filters_by_topic_kind_warehouse_and_sku(db: Database, hub: EventHub) -> None:
    narrow = EventFilter(topic="stock", kinds=frozenset({"STOCK_CHANGED"}), warehouse_id=1,
                         skus=frozenset({"A"}))
    with hub.subscribe(narrow) as only_a, hub.subscribe(STOCK) as everything:
        async with inbox(only_a) as mine, inbox(everything) as all_stock:
            await post(db, (2, "A"), (1, "B"), (1, "A"))
            await post(db, (1, "A"), topic="sales")
            [event] = await mine.take(1)
            assert (event.warehouse_id, event.payload["sku"]) == (1, "A")
            assert skus(await all_stock.take(3)) == ["A", "B", "A"]
            assert await mine.quiet()
            assert await all_stock.quiet()


async def test_slow_subscriber_is_cut_off_without_holding_back_others(db: Database) -> None:
    hub = EventHub(db, HubSettings(buffer_size=2, safety_poll=60.0))
    await hub.start()
    try:
        with hub.subscribe(STOCK) as slow, hub.subscribe(STOCK) as fast:
            async with inbox(fast) as received:
                got: list[StoredEvent] = []
                for sku in "ABCDE":
                    await post(db, (1, sku))
                    got += await received.take(1)
                assert skus(got) == ["A", "B", "C", "D", "E"]
            assert hub.subscriber_count == 1
            # The slow one keeps what it buffered, then learns it must resume from its cursor.
            assert [(await anext(slow)).payload["sku"] for _ in range(2)] == ["A", "B"]
            with pytest.raises(SubscriberTooSlow):
                await anext(slow)
    finally:
        await hub.stop()
    assert hub.subscriber_count == 0


async def test_resuming_after_a_cursor_replays_then_goes_live_exactly_once(
    db: Database, hub: EventHub
) -> None:
    async with inbox(follow(hub, db, STOCK, None)) as first_connection:
        await post(db, (1, "A"))
        await post(db, (1, "B"), (1, "C"))
        seen = await first_connection.take(1)
    # The client saw A, dropped, and resumes from A's cursor while D is being written.
    async with inbox(follow(hub, db, STOCK, Position.from_cursor(seen[-1].cursor))) as resumed:
        first = await resumed.take(1)
        await post(db, (1, "D"))
        assert skus(first + await resumed.take(2)) == ["B", "C", "D"]
        assert await resumed.quiet()
    assert hub.subscriber_count == 0


async def test_cursor_ahead_of_this_hub_skips_what_the_client_already_has(
    db: Database, hub: EventHub
) -> None:
    async with inbox(follow(hub, db, STOCK, None)) as received:
        await post(db, (1, "A"))
        [a] = await received.take(1)
    # A second process whose reader lags: its mark is still before A.
    lagging = EventHub(db, NO_SAFETY_POLL)
    await lagging.start()
    lagging._mark = Position(0, 0)
    try:
        async with inbox(follow(lagging, db, STOCK, a.position)) as resumed:
            lagging.wake()
            await post(db, (1, "B"))
            assert skus(await resumed.take(1)) == ["B"]
            assert await resumed.quiet()
    finally:
        await lagging.stop()


async def test_listener_reconnects_and_catches_up(db: Database, postgres_only: None) -> None:
    hub = EventHub(db, HubSettings(safety_poll=60.0, retry_initial=0.5))
    await hub.start()
    try:
        with hub.subscribe(STOCK) as subscriber:
            async with inbox(subscriber) as received:
                async with db.transaction() as session:
                    killed = await session.scalar(text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = current_database()"
                    ), {"name": APPLICATION_NAME})
                assert killed == 1
                # Committed while nobody listens: the reconnect itself triggers the catch-up.
                await post(db, (1, "WHILE-DOWN"))
                assert skus(await received.take(1)) == ["WHILE-DOWN"]
                listener = hub.listener
                assert listener is not None
                for _ in range(100):
                    if listener.connections_made >= 2:
                        break
                    await asyncio.sleep(0.05)
                assert listener.connections_made == 2
                await post(db, (1, "AFTER"))
                assert skus(await received.take(1)) == ["AFTER"]
    finally:
        await hub.stop()
