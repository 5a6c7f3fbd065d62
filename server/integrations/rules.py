"""Pure rules of webhook delivery: which events an endpoint takes, signatures, back-off."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.errors import InvalidInput, Problem
from server.event_log import EventFilter
from server.integrations.models import EndpointKind

# The outbox's topics (each area's record_event calls); "*" stands for all of them.
EVENT_TOPICS = (
    "stock", "purchase_order", "approval", "receipt", "warehouse_task", "sales_order",
    "sales_alert", "replenishment_suggestion", "planning",
)
# Group robots are for people: they take the alerts and approval tasks, not the stock stream.
CHAT_TOPICS = ("sales_alert", "approval")
MAX_EVENT_TYPES = 50
MAX_URL_LENGTH = 1000
_KIND = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$|^\*$")

TIMESTAMP_HEADER = "X-Caixiao-Timestamp"
SIGNATURE_HEADER = "X-Caixiao-Signature"
SIGNATURE_SCHEME = "v1"


def event_type(topic: str, kind: str) -> str:
    return f"{topic}.{kind}"


def check_event_types(kind: EndpointKind, patterns: Iterable[str]) -> list[str]:
    """The patterns as stored (``topic.KIND``, ``topic.*`` or ``*``), or INVALID_INPUT naming
    each bad one."""
    cleaned = sorted({pattern.strip() for pattern in patterns})
    problems: list[Problem] = []
    if not cleaned:
        problems.append(Problem("INVALID_INPUT", "name at least one event type", "eventTypes"))
    if len(cleaned) > MAX_EVENT_TYPES:
        problems.append(Problem("INVALID_INPUT", f"at most {MAX_EVENT_TYPES} event types",
                                "eventTypes"))
    allowed = CHAT_TOPICS if kind is not EndpointKind.WEBHOOK else EVENT_TOPICS
    for pattern in cleaned:
        if pattern == "*":
            if kind is not EndpointKind.WEBHOOK:
                problems.append(Problem("INVALID_INPUT", f"a {kind.value} robot takes only "
                                        f"{', '.join(CHAT_TOPICS)} events", "eventTypes"))
            continue
        topic, _, event_kind = pattern.partition(".")
        if topic not in allowed or not _KIND.match(event_kind):
            problems.append(Problem(
                "INVALID_INPUT", f"{pattern!r} is not an event type: write topic.KIND or "
                f"topic.* with a topic among {', '.join(allowed)}", "eventTypes"))
    if problems:
        raise InvalidInput.of(problems)
    return cleaned


def event_filters(patterns: Iterable[str]) -> list[EventFilter]:
    """The outbox filters, one per topic, that select what the patterns name."""
    kinds_by_topic: dict[str, set[str] | None] = {}
    for pattern in patterns:
        if pattern == "*":
            return [EventFilter(topic=topic) for topic in EVENT_TOPICS]
        topic, _, kind = pattern.partition(".")
        if kind == "*" or kinds_by_topic.get(topic, set()) is None:
            kinds_by_topic[topic] = None
        else:
            known = kinds_by_topic.setdefault(topic, set())
            assert known is not None
            known.add(kind)
    return [EventFilter(topic=topic, kinds=None if kinds is None else frozenset(kinds))
            for topic, kinds in sorted(kinds_by_topic.items())]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A PostgreSQL snapshot (``pg_current_snapshot()``, text ``xmin:xmax:xip,...``): which
    transactions had committed when it was taken."""

    xmin: int
    xmax: int
    running: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        xmin, xmax, running = text.split(":")
        return cls(int(xmin), int(xmax), frozenset(int(x) for x in running.split(",") if x))

    def committed(self, txid: int) -> bool:
        """The transaction had ended when the snapshot was taken (its events, if any, were
        visible: rolled-back transactions write no events)."""
        return txid < self.xmin or (txid < self.xmax and txid not in self.running)


def check_url(url: str) -> str:
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL", field="url")
    if len(cleaned) > MAX_URL_LENGTH:
        raise InvalidInput(f"the URL is longer than {MAX_URL_LENGTH} characters", field="url")
    return cleaned


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256, hex, over ``f"{timestamp}.{body}"``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: f"{SIGNATURE_SCHEME}={sign(secret, timestamp, body)}"}


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes, now: float,
                     tolerance: int = 300) -> bool:
    """What a receiver runs: True only for a valid signature made within ``tolerance`` seconds
    of ``now`` (a replay of an older request is refused). Header names are case-insensitive."""
    lowered = {name.lower(): value for name, value in headers.items()}
    raw_timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    raw_signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not raw_timestamp.isdigit():
        return False
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance:
        return False
    scheme, _, digest = raw_signature.partition("=")
    if scheme != SIGNATURE_SCHEME:
        return False
    return hmac.compare_digest(digest, sign(secret, timestamp, body))


@dataclass(frozen=True, slots=True)
class Backoff:
    base_seconds: float = 5.0
    max_seconds: float = 3600.0

    def delay(self, failures: int, jitter: float) -> float:
        """Seconds before the next try after ``failures`` failures in a row (1, 2, ...):
        base × 2^(failures-1), capped, then scaled by ``jitter`` in [0, 1) into its upper half
        so that endpoints failing together do not retry together."""
        if failures < 1:
            raise ValueError("failures counts from 1")
        if not 0 <= jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")
        exponent = min(failures - 1, 32)
        ceiling = min(self.max_seconds, self.base_seconds * 2**exponent)
        return ceiling * (0.5 + jitter / 2)


def should_disable(consecutive_failures: int, max_failures: int) -> bool:
    return consecutive_failures >= max_failures


def excerpt(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
