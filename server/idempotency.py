"""Idempotency keys: a device retrying an action gets the first result, never a second posting.

``run_once`` claims the key in a short committed transaction (status ``running``), does the work
in a second transaction that also marks the key ``done`` with a small JSON result, and releases
the claim when the work fails, so a corrected retry can run. The same key again, by the same user
for the same operation, returns the stored result without running anything; while the first is
still running it answers CONFLICT, as does a key already used by another user or operation.
A claim still running after ``ABANDONED_AFTER`` belonged to a process that died: the next
attempt takes it over, and the old attempt, should it be alive after all, cannot complete.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from server.auth import Principal
from server.db import Base, Database, IdType, utcnow
from server.errors import Conflict, InvalidInput, Problem

RUNNING = "running"
DONE = "done"
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 100
_ATTEMPT = "attempt"
_CLAIM_TRIES = 3

log = logging.getLogger(__name__)


class IdempotencyRecord(Base):
    """One intended device action, keyed by the client's UUID. While ``running`` the result
    holds the id of the attempt that owns the claim; ``created_at`` is when it was claimed."""

    __tablename__ = "idempotency_record"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


_record = IdempotencyRecord.__table__
# Built once, Core: every device action claims and completes a key.
_COMPLETE = (update(_record)
             .where(_record.c.key == bindparam("claimed_key"), _record.c.status == RUNNING,
                    _record.c.created_at == bindparam("claimed_at"))
             .returning(_record.c.key))


@cache
def _claim_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_record).on_conflict_do_nothing().returning(_record.c.key)


@dataclass(frozen=True, slots=True)
class _Claim:
    """Our attempt's id and the time it took the key at (the record's ``created_at``)."""

    attempt: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """The JSON result the action stored, and whether this call only replayed it."""

    result: dict[str, Any]
    replayed: bool


def key_problem(key: str, field: str = "idempotencyKey") -> Problem | None:
    if not key.strip():
        return Problem("INVALID_INPUT", f"{field} must not be empty", field)
    if len(key) > MAX_KEY_LENGTH:
        return Problem(
            "INVALID_INPUT", f"{field} may have at most {MAX_KEY_LENGTH} characters", field
        )
    return None


async def run_once(
    db: Database,
    principal: Principal,
    operation: str,
    key: str,
    perform: Callable[[AsyncSession], Awaitable[dict[str, Any]]],
) -> Outcome:
    """Run ``perform`` (in its own transaction) at most once per key; it returns the JSON-able
    result to store, from which the caller rebuilds its answer for the first call and replays."""
    problem = key_problem(key)
    if problem is not None:
        raise InvalidInput.of([problem])
    claimed = await _claim(db, principal, operation, key)
    if isinstance(claimed, Outcome):
        return claimed
    try:
        async with db.transaction() as session:
            result = await perform(session)
            await _complete(session, key, claimed, result)
    except Exception:
        await _release(db, key, claimed.attempt)
        raise
    return Outcome(result, replayed=False)


async def _claim(
    db: Database, principal: Principal, operation: str, key: str
) -> _Claim | Outcome:
    """Our claim once the key is ours, or the stored outcome of a finished one."""
    for _ in range(_CLAIM_TRIES):
        attempt = uuid.uuid4().hex
        # Each statement here writes on its own (the claim, or a take-over after a read), so
        # each may commit on its own.
        async with db.single_statements() as session:
            now = utcnow()
            inserted = await session.scalar(_claim_statement(session.bind.dialect.name), {
                "key": key, "user_id": principal.user_id, "operation": operation,
                "status": RUNNING, "result": {_ATTEMPT: attempt}, "created_at": now})
            if inserted is not None:
                return _Claim(attempt, now)
            record = await session.scalar(
                select(IdempotencyRecord).where(IdempotencyRecord.key == key)
            )
            if record is None:
                continue  # released by a failed attempt between our insert and our read
            if record.user_id != principal.user_id or record.operation != operation:
                raise Conflict(
                    "this idempotencyKey was already used for another action; "
                    "make a new key for each intended action",
                    field="idempotencyKey",
                )
            if record.status == DONE:
                return Outcome(record.result or {}, replayed=True)
            if await _take_over(session, key, attempt, now):
                return _Claim(attempt, now)
            raise Conflict(
                "an earlier request with this idempotencyKey is still being processed; "
                "retry in a moment to get its result",
                field="idempotencyKey",
            )
    raise Conflict("this idempotencyKey keeps changing hands; retry in a moment",
                   field="idempotencyKey")


async def _take_over(session: AsyncSession, key: str, attempt: str, now: datetime) -> bool:
    """Claim a key whose running attempt is older than the abandonment window; at most one
    concurrent taker wins, because the condition no longer holds once the first has written."""
    taken = await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.key == key, IdempotencyRecord.status == RUNNING,
               IdempotencyRecord.created_at < now - ABANDONED_AFTER)
        .values(result={_ATTEMPT: attempt}, created_at=now)
        .returning(IdempotencyRecord.key)
        .execution_options(synchronize_session=False)
    )
    return taken.first() is not None


async def _owned_record(session: AsyncSession, key: str, attempt: str) -> IdempotencyRecord | None:
    record = await session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.key == key).with_for_update()
    )
    if record is None or record.status != RUNNING:
        return None
    if (record.result or {}).get(_ATTEMPT) != attempt:
        return None
    return record


async def _complete(
    session: AsyncSession, key: str, claim: _Claim, result: dict[str, Any]
) -> None:
    """Mark our claim done in one statement. The attempt owns the claim while the row is still
    running under the time it was claimed at: a take-over rewrites that time (at least
    ``ABANDONED_AFTER`` later) along with the attempt id, so the two always change together."""
    done = await session.execute(_COMPLETE, {
        "claimed_key": key, "claimed_at": claim.at, "status": DONE, "result": result,
        "completed_at": utcnow()})
    if done.first() is None:
        raise Conflict(
            "this request ran so long that a retry took it over; its changes were not applied",
            field="idempotencyKey",
        )


async def _release(db: Database, key: str, attempt: str) -> None:
    """Drop our claim after a failed attempt. If this fails too, the claim simply expires."""
    try:
        async with db.transaction() as session:
            record = await _owned_record(session, key, attempt)
            if record is not None:
                await session.delete(record)
    except Exception:
        log.exception("could not release idempotency key %r; it expires in %s",
                      key, ABANDONED_AFTER)
