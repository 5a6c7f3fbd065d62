"""The delivery worker: takes an endpoint by a lease, sends its events one by one, in order.

Claiming an endpoint is a short transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so workers
in other processes pass over it; SQLite: the single writer lock) that writes a lease. The HTTP
request is made outside any transaction while the lease holds, and lasts longer than the request
timeout, so no other worker sends the same attempt. A worker that dies mid-request leaves its
lease to run out; the next one sends that delivery again (at least once: receivers use the
event id to skip repeats).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from server.config import Settings
from server.db import AsyncSession, Database, utcnow
from server.event_log import Position, current_mark, read_range
from server.events import on_events_committed
from server.integrations.messages import envelope
from server.integrations.models import (
    DeliveryStatus,
    EndpointKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from server.integrations.rules import (
    Backoff,
    Snapshot,
    event_filters,
    excerpt,
    should_disable,
)
from server.integrations.sender import Claim, Outcome, Outgoing, Sender
from server.ops.metrics import WEBHOOK_FAILURES

log = logging.getLogger(__name__)
# Every kind's series exists from the start, so a scrape shows 0 rather than nothing.
for _kind in EndpointKind:
    WEBHOOK_FAILURES.labels(_kind.value)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    max_failures: int = 10
    timeout: float = 10.0
    # The lease outlasts the request by this much: time to record the outcome.
    lease_margin: float = 20.0
    # How long an endpoint with nothing to send rests before it is looked at again.
    idle_poll: float = 1.0
    # Endpoints one worker serves at the same time.
    lanes: int = 4
    # Deliveries sent under one lease before the endpoint goes back in line.
    batch: int = 20
    backoff: Backoff = field(default_factory=Backoff)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerSettings:
        return cls(max_failures=settings.webhook_max_failures,
                   timeout=float(settings.webhook_timeout_seconds))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout + self.lease_margin)


class WebhookWorker:
    def __init__(self, database: Database, settings: WorkerSettings | None = None, *,
                 name: str | None = None, jitter: Callable[[], float] = random.random,
                 clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.settings = settings or WorkerSettings()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._jitter = jitter
        self._clock = clock
        self._sender: Sender | None = None
        self._stopping = False
        # Lanes waiting on an HTTP answer: the ones stop() cancels without waiting.
        self._sending: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        # Moments in one order: wakes, lanes asking for a look, looks starting (see _looked).
        self._moments = itertools.count()
        self._woken_at = -1
        self._look: tuple[int, asyncio.Future[bool]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unregister: Callable[[], None] | None = None

    async def start(self) -> None:
        self._stopping = False
        self._sender = Sender(self.settings.timeout, self._clock)
        self._unregister = on_events_committed(self.database.engine.sync_engine, self.wake)
        self._tasks = [asyncio.create_task(self._lane(), name=f"webhook-lane-{n}")
                       for n in range(self.settings.lanes)]

    async def stop(self) -> None:
        """Stop the lanes at their next step; a request in flight is abandoned at once (its
        lease runs out, and the delivery is sent again later). Work on the database is let
        finish rather than cut off inside a transaction."""
        if self._unregister is not None:
            self._unregister()
            self._unregister = None
        self._stopping = True
        self._wake.set()
        for task in self._sending:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.lease_margin)
        for task in self._tasks:
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1)
            with contextlib.suppress(asyncio.CancelledError):
                task.result()
        self._tasks.clear()
        if self._look is not None:  # a look the stopped lanes left running: let it finish
            with contextlib.suppress(Exception):
                await self._look[1]
            self._look = None
        if self._sender is not None:
            await self._sender.close()
            self._sender = None

    def wake(self) -> None:
        self._woken_at = next(self._moments)
        self._wake.set()

    async def _lane(self) -> None:
        prompted: int | None = None
        while not self._stopping:
            try:
                worked = await self.run_once(prompted)
            except Exception:
                log.exception("webhook worker %s: delivering failed; trying again", self.name)
                worked = False
            prompted = None
            if not worked and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.idle_poll):
                        await self._wake.wait()
                        prompted = self._woken_at
                self._wake.clear()

    async def run_once(self, prompted: int | None = None) -> bool:
        """Claim one due endpoint and send what it has waiting; False when none was due.
        ``prompted``: the wake that set this look off (a look started since will do)."""
        claim = await self._claim(prompted)
        if claim is None:
            return False
        for _ in range(self.settings.batch):
            outgoing = await self._next_delivery(claim)
            # Checked with no await before the send registers: stop() cannot slip in between.
            if outgoing is None or self._stopping:
                await self._release(claim, rest=outgoing is None)
                return True
            outcome = await self._send(claim, outgoing)
            if not await self._record(claim, outgoing, outcome) or not outcome.ok:
                return True
        await self._release(claim, rest=False)
        return True

    async def _send(self, claim: Claim, outgoing: Outgoing) -> Outcome:
        assert self._sender is not None, "start() the worker first"
        task = asyncio.current_task()
        assert task is not None
        self._sending.add(task)
        try:
            return await self._sender.send(claim, outgoing)
        finally:
            self._sending.discard(task)

    def _due(self, now: datetime) -> list[Any]:
        return [WebhookEndpoint.enabled.is_(True),
                or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                or_(WebhookEndpoint.next_check_at.is_(None),
                    WebhookEndpoint.next_check_at <= now)]

    async def _looked(self, prompted: int | None) -> bool:
        """Whether any endpoint is due, by a look that started after ``prompted`` (now, when
        None). Every commit that writes events wakes all lanes; the lanes woken by it share one
        look instead of each reading the endpoints (a pooled read per lane per commit)."""
        since = next(self._moments) if prompted is None else prompted
        while True:
            look = self._look
            if look is None or look[1].done():
                look = self._look = (next(self._moments),
                                     asyncio.ensure_future(self._anything_due()))
            started, answer = look
            if started > since:
                return await asyncio.shield(answer)
            # Started before this lane was prompted: it may have missed what prompted it.
            with contextlib.suppress(Exception):
                await asyncio.shield(answer)

    async def _anything_due(self) -> bool:
        # Looked at without the write lock: an idle worker must not queue for it.
        async with self.database.autocommit_reader() as connection:
            return await connection.scalar(select(WebhookEndpoint.id)
                                           .where(*self._due(utcnow())).limit(1)) is not None

    async def _claim(self, prompted: int | None) -> Claim | None:
        if not await self._looked(prompted):
            return None
        now = utcnow()
        async with self.database.transaction() as session:
            endpoint = await session.scalar(
                select(WebhookEndpoint).where(*self._due(now))
                .order_by(WebhookEndpoint.next_check_at.asc().nulls_first(), WebhookEndpoint.id)
                .limit(1).with_for_update(skip_locked=True))
            if endpoint is None:
                return None
            endpoint.lease_owner = self.name
            endpoint.lease_until = now + self.settings.lease
            return Claim(endpoint.id, EndpointKind(endpoint.kind), endpoint.url,
                         endpoint.secret, list(endpoint.event_types))

    async def _leased(self, session: AsyncSession, claim: Claim) -> WebhookEndpoint | None:
        """The endpoint while this worker still holds it (not deleted, lease not taken over)."""
        endpoint = await session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.id == claim.endpoint_id,
                                          WebhookEndpoint.lease_owner == self.name)
            .with_for_update())
        if endpoint is None:
            log.warning("webhook worker %s lost endpoint %s (deleted or lease run out)",
                        self.name, claim.endpoint_id)
        return endpoint

    async def _next_delivery(self, claim: Claim) -> Outgoing | None:
        """The endpoint's pending delivery, else one made of its next event, else None."""
        async with self.database.transaction() as session:
            connection = await session.connection()
            # The read-up-to mark is taken before this transaction writes anything.
            before = await current_mark(connection)
            endpoint = await self._leased(session, claim)
            if endpoint is None:
                return None
            pending = await session.scalar(
                select(WebhookDelivery).where(
                    WebhookDelivery.endpoint_id == endpoint.id,
                    WebhookDelivery.status == DeliveryStatus.PENDING.value)
                .order_by(WebhookDelivery.id).limit(1))
            if pending is None:
                pending = await self._deliver_next_event(session, endpoint, before)
            if pending is None:
                return None
            return Outgoing(pending.id, pending.event_id, pending.event_type,
                            pending.attempts + 1, pending.body)

    async def _deliver_next_event(self, session: AsyncSession, endpoint: WebhookEndpoint,
                                  before: Position) -> WebhookDelivery | None:
        """Turn the first matching event at or after the endpoint's cursor (and before the
        safe mark) into a delivery, moving the cursor past it; events committed before the
        endpoint was registered are stepped over."""
        connection = await session.connection()
        start = Snapshot.parse(endpoint.start_snapshot) if endpoint.start_snapshot else None
        cursor = Position(endpoint.cursor_txid, endpoint.cursor_id)
        filters = event_filters(endpoint.event_types)
        for _ in range(self.settings.batch * 10):
            # read_range's lower bound is exclusive; positions are whole numbers.
            just_before = Position(cursor.txid, cursor.id - 1)
            candidates = [event for where in filters
                          for event in await read_range(connection, where, just_before, before, 1)]
            if not candidates:
                cursor = max(cursor, before)
                break
            event = min(candidates, key=lambda candidate: candidate.position)
            cursor = Position(event.position.txid, event.position.id + 1)
            if start is not None and start.committed(event.position.txid):
                continue
            body = envelope(event)
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id, event_id=event.position.id,
                event_txid=event.position.txid, event_type=body["type"], body=body,
                status=DeliveryStatus.PENDING.value, attempts=0)
            session.add(delivery)
            self._move(endpoint, cursor, start)
            await session.flush()
            return delivery
        self._move(endpoint, cursor, start)
        return None

    @staticmethod
    def _move(endpoint: WebhookEndpoint, cursor: Position, start: Snapshot | None) -> None:
        endpoint.cursor_txid, endpoint.cursor_id = cursor.txid, cursor.id
        if start is not None and cursor.txid >= start.xmax:
            # Every later transaction began after the registration: nothing left to step over.
            endpoint.start_snapshot = None

    async def _record(self, claim: Claim, outgoing: Outgoing, outcome: Outcome) -> bool:
        """Log the attempt and settle the delivery; True while this worker keeps the lease."""
        async with self.database.transaction() as session:
            endpoint = await self._leased(session, claim)
            if endpoint is None:
                return False
            delivery = await session.get(WebhookDelivery, outgoing.delivery_id)
            if delivery is None:
                return False
            session.add(WebhookAttempt(
                delivery_id=delivery.id, number=delivery.attempts + 1, worker=self.name,
                started_at=outcome.started_at, duration_ms=outcome.duration_ms, ok=outcome.ok,
                status_code=outcome.status_code, response_excerpt=outcome.response,
                error=outcome.error))
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_response = outcome.response
            delivery.last_error = outcome.error
            now = utcnow()
            if outcome.ok:
                if delivery.status == DeliveryStatus.PENDING.value:
                    delivery.status = DeliveryStatus.DELIVERED.value
                    delivery.finished_at = now
                delivery.next_attempt_at = None
                endpoint.consecutive_failures = 0
                endpoint.lease_until = now + self.settings.lease
                return True
            WEBHOOK_FAILURES.labels(claim.kind.value).inc()
            self._fail(endpoint, delivery, outcome, now)
            endpoint.lease_owner = None
            endpoint.lease_until = None
            return False

    def _fail(self, endpoint: WebhookEndpoint, delivery: WebhookDelivery, outcome: Outcome,
              now: datetime) -> None:
        failures = endpoint.consecutive_failures + 1
        endpoint.consecutive_failures = failures
        if should_disable(failures, self.settings.max_failures):
            endpoint.enabled = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = excerpt(
                f"{failures} failures in a row; the last: {outcome.error}", 480)
            delivery.next_attempt_at = None
            log.warning("webhook %s disabled after %s failures in a row", endpoint.id, failures)
            return
        retry_at = now + timedelta(seconds=self.settings.backoff.delay(failures, self._jitter()))
        delivery.next_attempt_at = retry_at
        endpoint.next_check_at = retry_at

    async def _release(self, claim: Claim, *, rest: bool) -> None:
        async with self.database.transaction() as session:
            endpoint = await self._leased(session, claim)
            if endpoint is None:
                return
            endpoint.lease_owner = None
            endpoint.lease_until = None
            endpoint.next_check_at = (
                utcnow() + timedelta(seconds=self.settings.idle_poll) if rest else None)


async def run_worker(settings: Settings, lanes: int) -> None:
    """``caixiao worker``: deliver until interrupted."""
    database = Database(settings.database_url, echo=settings.sql_echo)
    worker = WebhookWorker(database, replace(WorkerSettings.from_settings(settings), lanes=lanes))
    await worker.start()
    try:
        await asyncio.Event().wait()
    finally:
        await worker.stop()
        await database.dispose()
