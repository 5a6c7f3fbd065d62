"""Database helpers the importers share: codes to ids in chunks, batched upserts with progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert_insert, utcnow

# Told (rows written so far, rows to write) after each batch.
Progress = Callable[[int, int], None]
# Rows per executemany of one compiled upsert: far faster than one statement per row.
ROWS_PER_BATCH = 1_000
# Keys per IN (...) list, well below the bound-parameter limits of both databases.
KEYS_PER_QUERY = 5_000


async def ids_by_key(session: AsyncSession, key_column: Any, keys: Iterable[str]
                     ) -> dict[str, int]:
    """``key -> id`` for the keys the table of ``key_column`` (an ORM attribute) has."""
    ordered = sorted(set(keys))
    selected = key_column.class_.id
    found: dict[str, int] = {}
    for offset in range(0, len(ordered), KEYS_PER_QUERY):
        chunk = ordered[offset:offset + KEYS_PER_QUERY]
        found.update((key, value) for key, value in await session.execute(
            select(key_column, selected).where(key_column.in_(chunk))))
    return found


async def rows_by_key(session: AsyncSession, model: Any, key_column: Any,
                      keys: Iterable[str]) -> dict[str, Any]:
    """The ORM rows of ``model`` whose ``key_column`` is among ``keys``."""
    ordered = sorted(set(keys))
    found: dict[str, Any] = {}
    for offset in range(0, len(ordered), KEYS_PER_QUERY):
        chunk = ordered[offset:offset + KEYS_PER_QUERY]
        for row in await session.scalars(select(model).where(key_column.in_(chunk))):
            found[getattr(row, key_column.key)] = row
    return found


async def upsert(
    session: AsyncSession, model: Any, values: Sequence[dict[str, Any]], keys: Sequence[str],
    *, on_progress: Progress | None = None, done_before: int = 0, total: int | None = None,
) -> None:
    """Insert ``values`` or, where a row with the same ``keys`` exists, overwrite its other
    given columns (and its ``updated_at`` when it has one), in batches."""
    if not values:
        return
    statement = upsert_insert(session, model)
    changed = {name: statement.excluded[name] for name in values[0] if name not in keys}
    if "updated_at" in model.__table__.c:
        changed["updated_at"] = utcnow()
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
    for offset in range(0, len(values), ROWS_PER_BATCH):
        chunk = values[offset:offset + ROWS_PER_BATCH]
        await session.execute(statement, chunk)
        if on_progress is not None:
            on_progress(done_before + offset + len(chunk), total or len(values))
