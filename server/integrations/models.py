"""Webhook endpoints, their deliveries (one per endpoint and event) and every attempt made.

An endpoint keeps its own position in the outbox (``cursor_txid``, ``cursor_id``: every event
before it has become a delivery or did not match) and at most one PENDING delivery, so the next
event waits until the previous one is delivered or given up. A worker holds an endpoint by a
lease (``lease_owner`` until ``lease_until``) while it sends, never inside an open transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class EndpointKind(StrEnum):
    WEBHOOK = "WEBHOOK"  # our signed JSON envelope, for any HTTP receiver
    DINGTALK = "DINGTALK"  # a DingTalk group robot (markdown message, signed URL)
    WECOM = "WECOM"  # a WeCom (企业微信) group robot (markdown message)


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    GIVEN_UP = "GIVEN_UP"  # skipped by an admin when re-enabling the endpoint


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (Index("ix_webhook_endpoint_due", "enabled", "next_check_at"),)

    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # The HMAC key: ours for WEBHOOK, the robot's signing secret for DINGTALK (may be empty).
    secret: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    cursor_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    cursor_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # PostgreSQL: the snapshot at registration. Events of transactions it saw committed came
    # before the endpoint and are skipped, though their positions may lie after the cursor.
    start_snapshot: Mapped[str | None] = mapped_column(String(4000))
    # Not before this time: a retry's back-off, or the idle poll after finding nothing to send.
    next_check_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_endpoint_status", "endpoint_id", "status"),
    )

    endpoint_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    # The event, by value: the outbox row's id and position, and what is sent.
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, Base):
    """One HTTP request made for a delivery, successful or not."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    ok: Mapped[bool]
    status_code: Mapped[int | None]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
