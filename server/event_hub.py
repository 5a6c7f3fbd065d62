"""One reader per process fetches new events once and fans them out to every local subscriber.

The reader wakes after a local commit that wrote events (in-process), on a PostgreSQL NOTIFY from
any process (``server.event_listener``), soon again while events are held back behind a running
transaction, and on a slow safety poll. Each subscriber has a bounded buffer: one that cannot keep
up is cut off with ``SubscriberTooSlow`` (after the events it already holds), so it neither
blocks the others nor grows memory; it resumes from its last cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy.engine import make_url

from server.db import Database
from server.errors import DomainError
from server.event_listener import PgListener
from server.event_log import (
    Batch,
    EventFilter,
    Position,
    StoredEvent,
    current_mark,
    newest_event_id,
    read_batch,
)
from server.events import NOTIFY_CHANNEL, on_events_committed

log = logging.getLogger(__name__)


class SubscriberTooSlow(DomainError):
    code = "SUBSCRIBER_TOO_SLOW"


class HubStopped(DomainError):
    code = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class HubSettings:
    buffer_size: int = 1000
    batch_size: int = 500
    # Re-read this soon while committed events wait behind an older running transaction.
    held_back_poll: float = 0.05
    # Read this often even without a wake-up: covers a NOTIFY lost while reconnecting.
    safety_poll: float = 5.0
    retry_initial: float = 0.1
    retry_max: float = 5.0
    start_timeout: float = 30.0


class Subscriber:
    """One subscriber's view of the stream: events after ``start`` that pass its filter."""

    def __init__(self, hub: EventHub, where: EventFilter, start: Position, limit: int) -> None:
        self.where = where
        # Every event before this position was fanned out before this subscriber existed.
        self.start = start
        self._hub = hub
        self._buffer: deque[StoredEvent] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._closed = False
        self._error: Exception | None = None

    def offer(self, event: StoredEvent) -> bool:
        """Queue ``event``; False when the buffer is full."""
        if len(self._buffer) >= self._limit:
            return False
        self._buffer.append(event)
        self._ready.set()
        return True

    def close(self, error: Exception | None = None) -> None:
        self._closed = True
        self._error = error
        self._ready.set()

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> StoredEvent:
        while not self._buffer:
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._buffer.popleft()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._hub.unsubscribe(self)


class EventHub:
    """The process's single event reader; ``start`` it in the app's lifespan."""

    def __init__(self, database: Database, settings: HubSettings | None = None) -> None:
        self.database = database
        self.settings = settings or HubSettings()
        self._subscribers: set[Subscriber] = set()
        self._mark: Position | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unregister: Callable[[], None] | None = None
        self.listener: PgListener | None = None
        # The highest event id fanned out (or already committed at start): metrics' lag.
        self.last_read_id = 0

    @property
    def mark(self) -> Position:
        if self._mark is None:
            raise HubStopped("the event stream is not running")
        return self._mark

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        """Listen (PostgreSQL), take the starting mark, then run the reader in the background."""
        self._loop = asyncio.get_running_loop()
        if self.database.is_sqlite:
            self._unregister = on_events_committed(self.database.engine.sync_engine, self.wake)
        else:
            conninfo = make_url(self.database.url).set(drivername="postgresql")
            self.listener = PgListener(
                conninfo.render_as_string(hide_password=False), NOTIFY_CHANNEL, self.wake,
                retry_initial=self.settings.retry_initial, retry_max=self.settings.retry_max,
            )
            self._tasks.append(asyncio.create_task(self.listener.run(), name="event-listener"))
            try:
                async with asyncio.timeout(self.settings.start_timeout):
                    await self.listener.wait_connected()
            except TimeoutError:
                await self.stop()
                raise HubStopped(
                    f"could not LISTEN on the database within {self.settings.start_timeout}s"
                ) from None
        async with self.database.engine.connect() as connection:
            self._mark = await current_mark(connection)
            self.last_read_id = await newest_event_id(connection)
        self._tasks.append(asyncio.create_task(self._read_forever(), name="event-reader"))

    async def stop(self) -> None:
        if self._unregister is not None:
            self._unregister()
            self._unregister = None
        for task in self._tasks:
            # Cancel again until it ends: a cancellation that lands while an await inside the
            # task is completing can be lost, and shutdown must not hang on it.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1)
            with contextlib.suppress(asyncio.CancelledError):
                task.result()
        self._tasks.clear()
        for subscriber in list(self._subscribers):
            subscriber.close(HubStopped("the server is shutting down; resume from your cursor"))
        self._subscribers.clear()
        self._mark = None

    def wake(self) -> None:
        """Ask the reader to look for new events; callable from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def subscribe(self, where: EventFilter) -> Subscriber:
        """Receive every matching event after the current mark (use as a ``with`` block)."""
        subscriber = Subscriber(self, where, self.mark, self.settings.buffer_size)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def _read_forever(self) -> None:
        delay = self.settings.retry_initial
        while True:
            try:
                batch = await self._read()
            except Exception:
                log.warning("reading events failed; retrying in %.1fs", delay, exc_info=True)
                await self._wait(delay)
                delay = min(delay * 2, self.settings.retry_max)
                continue
            delay = self.settings.retry_initial
            self._fan_out(batch)
            if batch.more_soon:
                await self._wait(self.settings.held_back_poll)
            else:
                await self._wait(self.settings.safety_poll)

    async def _wait(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
        # races with the wake-up, and stop() would then wait for this task forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        # Cleared before reading, so a wake-up arriving during the read causes another read.
        self._wake.clear()

    async def _read(self) -> Batch:
        # Each statement of a batch read takes its own snapshot anyway (the horizon's comes
        # first, then the activity view, then the events), so none needs a transaction around.
        async with self.database.autocommit_reader() as connection:
            return await read_batch(connection, self.mark, self.settings.batch_size)

    def _fan_out(self, batch: Batch) -> None:
        # No await in here: a subscriber added concurrently sees either all of a batch (its start
        # is the old mark) or none of it (its start is the new mark).
        for event in batch.events:
            self.last_read_id = max(self.last_read_id, event.position.id)
            for subscriber in list(self._subscribers):
                if subscriber.where.matches(event) and not subscriber.offer(event):
                    self._subscribers.discard(subscriber)
                    subscriber.close(SubscriberTooSlow(
                        "this subscription fell too far behind and was closed; "
                        "subscribe again with after set to the last cursor received"
                    ))
        self._mark = batch.mark
