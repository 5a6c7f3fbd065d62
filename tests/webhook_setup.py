"""Helpers for webhook tests: a worker with quick timings, the events expected, the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from server.db import Database
from server.events import Event
from server.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from server.integrations.rules import Backoff
from server.integrations.worker import WebhookWorker, WorkerSettings

QUICK = WorkerSettings(timeout=5, lease_margin=2, idle_poll=0.02, lanes=2,
                       backoff=Backoff(base_seconds=0.02, max_seconds=0.1))


def quick(**changes: object) -> WorkerSettings:
    return replace(QUICK, **changes)  # type: ignore[arg-type]


@asynccontextmanager
async def working(db: Database, settings: WorkerSettings = QUICK,
                  name: str = "worker-1") -> AsyncIterator[WebhookWorker]:
    worker = WebhookWorker(db, settings, name=name)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


async def newest_event_id(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.max(Event.id))) or 0)


async def events_after(db: Database, event_id: int, topics: tuple[str, ...] = ()) -> list[int]:
    """Ids of the events after ``event_id``, in outbox position order."""
    async with db.reader() as session:
        stmt = select(Event.id).where(Event.id > event_id).order_by(Event.txid, Event.id)
        if topics:
            stmt = stmt.where(Event.topic.in_(topics))
        return list(await session.scalars(stmt))


async def endpoint(db: Database, endpoint_id: int) -> WebhookEndpoint:
    async with db.reader() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
    assert found is not None
    return found


async def deliveries(db: Database, endpoint_id: int) -> list[WebhookDelivery]:
    async with db.reader() as session:
        return list(await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id)))


async def attempts(db: Database, delivery_id: int) -> list[WebhookAttempt]:
    async with db.reader() as session:
        return list(await session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)))


def failures_counted(kind: str = "WEBHOOK") -> float:
    value = REGISTRY.get_sample_value("caixiao_webhook_delivery_failures_total", {"kind": kind})
    return value or 0.0
