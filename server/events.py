"""The outbox: every state change writes its events here, in the changing transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
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


NOTIFY_CHANNEL = "caixiao_events"
# Marks a session that wrote events, so the in-process broker can be woken after its commit.
WROTE_EVENTS = "caixiao.wrote_events"


async def record_event(
    session: AsyncSession,
    *,
    topic: str,
    kind: str,
    payload: dict[str, Any],
    warehouse_id: int | None = None,
    document_type: str | None = None,
    document_number: str | None = None,
) -> None:
    """Write one event in the caller's transaction; it becomes visible when that commits.

    On PostgreSQL the row records the writing transaction's id, and a NOTIFY (delivered by
    PostgreSQL only at commit, and folded into one per transaction) wakes the listeners."""
    values: dict[str, Any] = {
        "topic": topic,
        "kind": kind,
        "payload": payload,
        "warehouse_id": warehouse_id,
        "document_type": document_type,
        "document_number": document_number,
        "created_at": utcnow(),
    }
    postgres = session.bind.dialect.name == "postgresql"
    if postgres:
        values["txid"] = literal_column("pg_current_xact_id()::text::bigint")
    await session.execute(insert(Event).values(**values))
    if postgres and not session.info.get(WROTE_EVENTS):
        await session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))
    session.info[WROTE_EVENTS] = True
