"""Reading the outbox in commit order, with positions clients can resume from.

A position is ``(txid, id)``. On PostgreSQL ids are taken before commit, so a smaller id can
become visible after a larger one (the commit-order gap). As PgQ does, a reader only takes
events whose transaction id is below a *horizon*: every transaction below it that could write
to this database has ended, so all of its rows are visible now and no row below that bound can
appear later. The reader's *mark* is such a position: every event before the mark has been
read, every event read later lies at or after it. On SQLite writers are serialised, ids become
visible in order, the txid is NULL and a position is ``(0, id)``.

The horizon is the oldest transaction still running *in this database* (else the snapshot's
xmax), not the snapshot's xmin: that xmin is cluster-wide, and one long transaction in another
database on the same server would hold every live screen back until it ended.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import InvalidInput
from server.events import Event

_CURSOR_PREFIX = "ev:"
_SNAPSHOT = text("SELECT pg_snapshot_xmax(s)::text, "
                 "ARRAY(SELECT pg_snapshot_xip(s)::text) FROM pg_current_snapshot() AS s")
# 32-bit xids of this database's backends inside a transaction that has an xid.
_RUNNING_HERE = text(
    "SELECT backend_xid::text FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
    " AND datid = (SELECT oid FROM pg_database WHERE datname = current_database())")
_XID_WRAP = 1 << 32


@dataclass(frozen=True, slots=True, order=True)
class Position:
    txid: int
    id: int

    def cursor(self) -> str:
        """The opaque string a client hands back as ``after``."""
        raw = f"{_CURSOR_PREFIX}{self.txid}.{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str, field: str = "after") -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor.encode()).decode()
            if not raw.startswith(_CURSOR_PREFIX):
                raise ValueError(cursor)
            txid, row_id = raw.removeprefix(_CURSOR_PREFIX).split(".")
            position = cls(int(txid), int(row_id))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput(
                f"not an event cursor this API gave out: {cursor!r}", field=field
            ) from None
        if position.txid < 0 or position.id < 0:
            raise InvalidInput(f"not an event cursor this API gave out: {cursor!r}", field=field)
        return position


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back: plain data, detached from any session."""

    position: Position
    topic: str
    kind: str
    warehouse_id: int | None
    document_type: str | None
    document_number: str | None
    payload: dict[str, Any]
    created_at: datetime
    # What readers derive from the event, made once for all the subscribers it is fanned out to.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def cursor(self) -> str:
        return self.position.cursor()


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber wants; the same test runs in memory and in SQL (replay)."""

    topic: str
    kinds: frozenset[str] | None = None
    warehouse_id: int | None = None
    skus: frozenset[str] | None = None
    document_numbers: frozenset[str] | None = None
    # Whole-number payload fields that must equal a value, e.g. (("approverId", 7),).
    payload_ids: tuple[tuple[str, int], ...] = ()

    def matches(self, event: StoredEvent) -> bool:
        return (
            event.topic == self.topic
            and (self.kinds is None or event.kind in self.kinds)
            and (self.warehouse_id is None or event.warehouse_id == self.warehouse_id)
            and (self.skus is None or event.payload.get("sku") in self.skus)
            and (self.document_numbers is None or event.document_number in self.document_numbers)
            and all(event.payload.get(key) == value for key, value in self.payload_ids)
        )

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [Event.topic == self.topic]
        if self.kinds is not None:
            clauses.append(Event.kind.in_(sorted(self.kinds)))
        if self.warehouse_id is not None:
            clauses.append(Event.warehouse_id == self.warehouse_id)
        if self.skus is not None:
            clauses.append(Event.payload["sku"].as_string().in_(sorted(self.skus)))
        if self.document_numbers is not None:
            clauses.append(Event.document_number.in_(sorted(self.document_numbers)))
        clauses.extend(Event.payload[key].as_integer() == value for key, value in self.payload_ids)
        return clauses


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[StoredEvent]
    mark: Position
    # Committed events lie at or after the mark but wait for an older transaction still running
    # (PostgreSQL), or the batch was cut at its size limit: read again soon, not at the next wake.
    more_soon: bool


_COLUMNS = (
    Event.id, Event.txid, Event.topic, Event.kind, Event.warehouse_id, Event.document_type,
    Event.document_number, Event.payload, Event.created_at,
)


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        position=Position(row.txid or 0, row.id), topic=row.topic, kind=row.kind,
        warehouse_id=row.warehouse_id, document_type=row.document_type,
        document_number=row.document_number, payload=row.payload, created_at=row.created_at,
    )


def _is_sqlite(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "sqlite"


async def _horizon(connection: AsyncConnection) -> int:
    """A txid below which every transaction of this database has ended.

    The snapshot comes first: a transaction running then either shows in pg_stat_activity
    afterwards or has ended (and the next statement's snapshot sees its rows); one that takes an
    xid later takes one at or above the snapshot's xmax. The activity view must not have been
    read earlier in this transaction, which caches it."""
    xmax, running = (await connection.execute(_SNAPSHOT)).one()
    here = {int(xid) for xid in (await connection.scalars(_RUNNING_HERE))}
    # pg_stat_activity shows 32-bit xids, the snapshot full ones (epoch and xid).
    oldest_here = [int(txid) for txid in running if int(txid) % _XID_WRAP in here]
    return min(oldest_here, default=int(xmax))


def _between(sqlite: bool, low: Position, high: Position | None,
             low_inclusive: bool) -> ColumnElement[bool]:
    """Events with ``low < position < high`` (``low <=`` when inclusive)."""
    key: Any = Event.id if sqlite else tuple_(Event.txid, Event.id)
    low_value: Any = low.id if sqlite else tuple_(low.txid, low.id)
    clauses = [key >= low_value if low_inclusive else key > low_value]
    if high is not None:
        clauses.append(key < (high.id if sqlite else tuple_(high.txid, high.id)))
    return and_(*clauses)


def _ordered(sqlite: bool, stmt: Select[Any]) -> Select[Any]:
    return stmt.order_by(Event.id) if sqlite else stmt.order_by(Event.txid, Event.id)


async def current_mark(connection: AsyncConnection) -> Position:
    """The mark of a reader starting now: events already committed lie before it."""
    if _is_sqlite(connection):
        last = await connection.scalar(select(func.max(Event.id)))
        return Position(0, (last or 0) + 1)
    return Position(await _horizon(connection), 0)


async def newest_event_id(connection: AsyncConnection) -> int:
    """The highest event id committed (0 when there is none)."""
    return int(await connection.scalar(select(func.max(Event.id))) or 0)


# PostgreSQL's batch read, built once: the event hub reads after every commit that wrote events.
_BATCH = (select(*_COLUMNS)
          .where(tuple_(Event.txid, Event.id) >= tuple_(
                     bindparam("mark_txid", type_=Event.txid.type),
                     bindparam("mark_id", type_=Event.id.type)),
                 Event.txid < bindparam("horizon"))
          .order_by(Event.txid, Event.id).limit(bindparam("limit", type_=Integer())))
_HELD_BACK = select(exists().where(Event.txid >= bindparam("horizon")))


async def read_batch(connection: AsyncConnection, mark: Position, limit: int) -> Batch:
    """Every event at or after ``mark`` that can no longer be overtaken, in position order."""
    if _is_sqlite(connection):
        stmt = select(*_COLUMNS).where(_between(True, mark, None, low_inclusive=True))
        rows = (await connection.execute(_ordered(True, stmt).limit(limit))).all()
        events = [_stored(row) for row in rows]
        next_mark = Position(0, events[-1].position.id + 1) if events else mark
        return Batch(events, next_mark, more_soon=len(events) == limit)
    horizon = await _horizon(connection)
    events = [_stored(row) for row in (await connection.execute(_BATCH, {
        "mark_txid": mark.txid, "mark_id": mark.id, "horizon": horizon, "limit": limit,
    })).all()]
    if len(events) == limit:
        last = events[-1].position
        return Batch(events, Position(last.txid, last.id + 1), more_soon=True)
    held_back = await connection.scalar(_HELD_BACK, {"horizon": horizon})
    return Batch(events, max(mark, Position(horizon, 0)), more_soon=bool(held_back))


async def read_range(
    connection: AsyncConnection, where: EventFilter, after: Position, before: Position,
    limit: int,
) -> list[StoredEvent]:
    """Up to ``limit`` matching events with ``after < position < before``, in position order
    (replay: ``before`` is a reader's mark, so no event in the range can still appear)."""
    sqlite = _is_sqlite(connection)
    stmt = select(*_COLUMNS).where(
        _between(sqlite, after, before, low_inclusive=False), *where.where()
    )
    rows = (await connection.execute(_ordered(sqlite, stmt).limit(limit))).all()
    return [_stored(row) for row in rows]
