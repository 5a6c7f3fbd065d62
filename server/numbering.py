"""Document numbers (PO-2026-000123): gap-free per prefix and year, unique under concurrency."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

_NEXT = text(
    "INSERT INTO document_sequence (prefix, year, last_value) VALUES (:prefix, :year, 1) "
    "ON CONFLICT (prefix, year) DO UPDATE SET last_value = document_sequence.last_value + 1 "
    "RETURNING last_value"
)


class DocumentSequence(Base):
    __tablename__ = "document_sequence"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


async def next_number(session: AsyncSession, prefix: str, on: date) -> str:
    """Take the next number in the caller's transaction; the row stays locked until it commits."""
    value = (await session.execute(_NEXT, {"prefix": prefix, "year": on.year})).scalar_one()
    return format_number(prefix, on.year, value)
