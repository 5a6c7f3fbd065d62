"""Approval tables: versioned policies, one request per submission, one task per approver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, utcnow


class ApprovalPolicy(IdMixin, Base):
    """One version of the approval steps for a document type; the newest version is in force,
    while a running request keeps the version it started under."""

    __tablename__ = "approval_policy"
    __table_args__ = (UniqueConstraint("document_type", "version"),)

    document_type: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalRequest(IdMixin, Base):
    __tablename__ = "approval_request"
    __table_args__ = (Index("ix_approval_request_document", "document_type", "document_id"),)

    document_type: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int] = mapped_column(IdType)
    document_number: Mapped[str] = mapped_column(String(64))
    policy_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("approval_policy.id"))
    status: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Indices into the policy's steps whose condition held when the request started, in order.
    step_indices: Mapped[list[int]] = mapped_column(JSON)
    current_position: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class ApprovalTask(IdMixin, Base):
    """One approver's part in one step; its decision, time and comment are the audit trail."""

    __tablename__ = "approval_task"
    __table_args__ = (Index("ix_approval_task_approver_status", "approver_id", "status"),)

    request_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("approval_request.id", ondelete="CASCADE"), index=True
    )
    step_index: Mapped[int] = mapped_column(Integer)
    step_name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(8))
    approver_id: Mapped[int] = mapped_column(IdType, ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
