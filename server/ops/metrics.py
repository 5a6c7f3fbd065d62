"""Prometheus metrics of this process, served at ``/metrics``.

Each uvicorn worker is its own process with its own figures (no multiprocess mode): scrape every
worker (e.g. one port each), or run one worker per container. The counters live in
prometheus_client's default registry, next to its process and Python collectors.
"""

from __future__ import annotations

import re

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest

from server.db import Database
from server.event_hub import EventHub
from server.event_log import newest_event_id

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
NAME_LIMIT = 64

GRAPHQL_REQUESTS = Counter(
    "caixiao_graphql_requests_total", "GraphQL operations served, by name, type and outcome.",
    ("operation_name", "operation_type", "outcome"),
)
GRAPHQL_LATENCY = Histogram(
    "caixiao_graphql_request_duration_seconds", "Time to serve a GraphQL operation.",
    ("operation_name", "operation_type"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SUBSCRIPTIONS_OPEN = Gauge(
    "caixiao_subscriptions_open", "Subscriptions this process is streaming events to."
)
EVENTS_LAGGING = Gauge(
    "caixiao_events_lagging",
    "Events committed after this process's event reader's mark (newest event id minus the "
    "reader's position), read at scrape time.",
)
WEBHOOK_FAILURES = Counter(
    "caixiao_webhook_delivery_failures_total",
    "Webhook and chat-robot delivery attempts that failed (error, timeout or refusal), by "
    "endpoint kind.",
    ("kind",),
)


def operation_label(name: str | None) -> str:
    """A client-chosen operation name made safe and short for a label; unnamed → anonymous."""
    if not name:
        return "anonymous"
    return _UNSAFE.sub("_", name)[:NAME_LIMIT]


def observe_operation(name: str | None, operation_type: str, ok: bool, seconds: float) -> None:
    label = operation_label(name)
    GRAPHQL_REQUESTS.labels(label, operation_type, "ok" if ok else "error").inc()
    GRAPHQL_LATENCY.labels(label, operation_type).observe(seconds)


async def refresh_event_gauges(database: Database, hub: EventHub) -> None:
    """Subscriptions open and events lagging are read when scraped, not kept up to date."""
    SUBSCRIPTIONS_OPEN.set(hub.subscriber_count)
    async with database.engine.connect() as connection:
        newest = await newest_event_id(connection)
    EVENTS_LAGGING.set(max(newest - hub.last_read_id, 0))


def render() -> tuple[bytes, str]:
    return _generate_latest(REGISTRY), CONTENT_TYPE_LATEST
