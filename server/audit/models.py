"""The audit table. Rows are only ever inserted: the migration adds triggers on both databases
that refuse UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, utcnow


class AuditEntry(IdMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor", "actor"),
        Index("ix_audit_log_operation", "operation"),
    )

    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The username as it was at the time, not a foreign key: the log outlives renames and users.
    actor: Mapped[str | None] = mapped_column(String(100))
    actor_user_id: Mapped[int | None]
    operation: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(20))
    error_codes: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(100))
