"""The outbox: every state change writes its events here, in the changing transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, utcnow


class Event(IdMixin, Base):
    """One business event. ``txid`` is the writing transaction's id on PostgreSQL, so readers can
    hold back rows whose transaction may still commit behind a later id (the commit-order gap)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_topic_id", "topic", "id"),)

    txid: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[int | None] = mapped_column(IdType)
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
