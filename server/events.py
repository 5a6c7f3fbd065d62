"""The outbox: every state change writes its events here, in the changing transaction.

After a commit that wrote events the local readers are woken (``on_events_committed``); on
PostgreSQL the transaction also sends a NOTIFY, which wakes the readers of other processes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
    event,
    func,
    insert,
    literal_column,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base, IdMixin, IdType, utcnow


class Event(IdMixin, Base):
    """One business event. ``txid`` is the writing transaction's id on PostgreSQL, so readers can
    hold back rows whose transaction may still commit behind a later id (the commit-order gap)."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_topic_id", "topic", "id"),
        # The reader's ranges: txid in [mark, horizon), and replays by (txid, id).
        Index("ix_event_txid_id", "txid", "id"),
    )

    txid: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[int | None] = mapped_column(IdType)
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_number: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


NOTIFY_CHANNEL = "caixiao_events"
# Built once: an outbox row is written by most transactions, and building an INSERT and its cache
# key per event costs more than sending it. Core (the table, not the entity): no ORM bulk insert.
_INSERT = insert(Event.__table__)
_INSERT_WITH_TXID = _INSERT.values(txid=literal_column("pg_current_xact_id()::text::bigint"))
# The transaction's first event also sends the NOTIFY, in the same statement.
_INSERT_NOTIFYING = _INSERT_WITH_TXID.returning(func.pg_notify(NOTIFY_CHANNEL, ""))
# A batch after the first: RETURNING makes SQLAlchemy send its rows as one multi-row VALUES
# (insertmanyvalues) rather than an INSERT per row.
_INSERT_MANY = _INSERT_WITH_TXID.returning(Event.__table__.c.id)
# Marks a session that wrote events, so the in-process broker can be woken after its commit.
WROTE_EVENTS = "caixiao.wrote_events"
# The events ``events_batched`` holds back, in the order they were recorded.
_BATCH = "caixiao.event_batch"


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
    batch: list[dict[str, Any]] | None = session.info.get(_BATCH)
    if batch is not None:
        batch.append(values)
    else:
        await _write(session, [values])


@asynccontextmanager
async def events_batched(session: AsyncSession) -> AsyncIterator[None]:
    """The events recorded within the block are written together, in the order recorded, by one
    multi-row INSERT when the block ends (none when it raises: the caller rolls back). For a
    use case that tells several events in a row and reads none of them back meanwhile."""
    if _BATCH in session.info:
        raise RuntimeError("events_batched blocks do not nest")
    batch: list[dict[str, Any]] = []
    session.info[_BATCH] = batch
    try:
        yield
    finally:
        del session.info[_BATCH]
    if batch:
        await _write(session, batch)


async def _write(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One INSERT for ``rows``: a dict for one row, a list (one multi-row VALUES) for more."""
    parameters: dict[str, Any] | list[dict[str, Any]] = rows[0] if len(rows) == 1 else rows
    if session.bind.dialect.name != "postgresql":
        statement = _INSERT
    elif not session.info.get(WROTE_EVENTS):
        statement = _INSERT_NOTIFYING
    else:
        statement = _INSERT_WITH_TXID if len(rows) == 1 else _INSERT_MANY
    (await session.execute(statement, parameters)).close()
    session.info[WROTE_EVENTS] = True


CommitCallback = Callable[[], None]
# Readers to wake after a commit that wrote events, by database (engine URL).
_commit_callbacks: dict[str, list[CommitCallback]] = {}


def database_key(engine: Engine) -> str:
    """Names a database the same way for every engine (or engine with options) opened on it."""
    return engine.url.render_as_string(hide_password=False)


def on_events_committed(engine: Engine, callback: CommitCallback) -> Callable[[], None]:
    """Call ``callback`` (from the committing task) after each commit in this process that wrote
    events to ``engine``'s database; returns the function that unregisters it."""
    key = database_key(engine)
    _commit_callbacks.setdefault(key, []).append(callback)

    def unregister() -> None:
        callbacks = _commit_callbacks.get(key, [])
        if callback in callbacks:
            callbacks.remove(callback)
        if not callbacks:
            _commit_callbacks.pop(key, None)

    return unregister


@event.listens_for(Session, "after_commit")
def _wake_readers_after_commit(session: Session) -> None:
    # Popped, not read: a session reused for another transaction must NOTIFY and wake again.
    if not session.info.pop(WROTE_EVENTS, False) or session.bind is None:
        return
    for callback in list(_commit_callbacks.get(database_key(session.bind.engine), ())):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(WROTE_EVENTS, None)
