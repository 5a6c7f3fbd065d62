"""Keyset pagination over any SELECT of rows with an integer ``id``: stable under inserts."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import InvalidInput

RowT = TypeVar("RowT")
_PREFIX = "cursor:"


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    rows: Sequence[RowT]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(cursor)
        return int(text.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(f"not a cursor this API gave out: {cursor!r}", field="after") from None


def check_first(first: int, max_page_size: int) -> int:
    if first < 0:
        raise InvalidInput("first must not be negative", field="first")
    if first > max_page_size:
        raise InvalidInput(f"first may be at most {max_page_size}", field="first")
    return first


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    id_column: Any,
    *,
    first: int,
    after: str | None,
    max_page_size: int,
    newest_first: bool = False,
) -> Page[Any]:
    """One page of ``stmt``'s rows ordered by id; one query, fetching one row extra to know
    whether another page follows."""
    check_first(first, max_page_size)
    if after is not None:
        after_id = decode_cursor(after)
        stmt = stmt.where(id_column < after_id if newest_first else id_column > after_id)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column).limit(first + 1)
    rows = list((await session.scalars(stmt)).all())
    has_next = len(rows) > first
    rows = rows[:first]
    return Page(
        rows=rows,
        cursors=[encode_cursor(row.id) for row in rows],
        has_next_page=has_next,
        has_previous_page=after is not None,
    )
