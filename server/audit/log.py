"""Writing and reading the audit log.

An entry is written in a transaction of its own, after the mutation's use case has finished:
by then a refused mutation's transaction has rolled back (its entry still stands) and a
successful one has committed (a failed commit raises first and is logged as USER_ERROR or
ERROR, never OK). A process that dies between the two commits loses that entry: the price of
not holding the audit write inside every use case's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from server.audit.models import AuditEntry
from server.audit.rules import Outcome
from server.auth import Principal, Role
from server.db import AsyncSession, Database, utcnow
from server.pagination import Page, paginate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    operation: str
    outcome: Outcome
    actor: Principal | None = None
    target: str | None = None
    error_codes: tuple[str, ...] = ()
    request_id: str | None = None


# Built once, Core: every mutation appends one entry, and an ORM flush of one row costs more.
_APPEND = insert(AuditEntry.__table__)


async def record(db: Database, entry: AuditRecord) -> None:
    """Append one entry. A failure here is logged, not raised: the mutation's own work is
    already committed and its caller must hear how that went."""
    try:
        async with db.single_statements() as session:
            await session.execute(_APPEND, {
                "at": utcnow(), "actor": entry.actor.username if entry.actor else None,
                "actor_user_id": entry.actor.user_id if entry.actor else None,
                "operation": entry.operation, "target": entry.target,
                "outcome": entry.outcome.value, "error_codes": ",".join(entry.error_codes) or None,
                "request_id": entry.request_id,
            })
    except Exception:
        log.exception("could not write the audit entry for %s (%s)", entry.operation,
                      entry.outcome.value)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    operation: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


async def audit_page(session: AsyncSession, principal: Principal, where: AuditFilter, *,
                     first: int, after: str | None, max_page_size: int) -> Page[AuditEntry]:
    """Admins only; newest first. ``from_`` is inclusive, ``to`` exclusive."""
    principal.require(Role.ADMIN)
    stmt = select(AuditEntry)
    if where.actor is not None:
        stmt = stmt.where(AuditEntry.actor == where.actor)
    if where.operation is not None:
        stmt = stmt.where(AuditEntry.operation == where.operation)
    if where.from_ is not None:
        stmt = stmt.where(AuditEntry.at >= where.from_)
    if where.to is not None:
        stmt = stmt.where(AuditEntry.at < where.to)
    return await paginate(session, stmt, AuditEntry.id, first=first, after=after,
                          max_page_size=max_page_size, newest_first=True)
