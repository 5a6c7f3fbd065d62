"""What the finance reports share: amounts in cents, percentages, UTC day boundaries. The
reports themselves are ``server.finance.margin`` and ``server.finance.inventory_report``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlalchemy import Executable, Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
# Memory for each sort and hash of a report's queries on PostgreSQL: a year's groups (60,000
# orders or products) then aggregate in memory; the server default (4 MB) spills them to disk.
REPORT_WORK_MEM = "64MB"
# Queries a big report runs at once on PostgreSQL, each over its share of the products or orders:
# the two cores of the machines it is sized for. Parallel workers inside one query did worse:
# merging each worker's partial sums of 160,000 product × warehouse groups cost what they saved.
PARTS = 2
# Rows per fetch of a streamed part: big enough that the round trips do not count, small enough
# that the first batch is shaped while PostgreSQL still adds up the rest.
STREAMED_BATCH = 5_000
Shaped = TypeVar("Shaped")


def exact(value: Decimal | float | int | None) -> Decimal:
    """A SQL aggregate as a Decimal: SQLite may answer a sum of NUMERIC columns as a float, whose
    shortest text is the decimal it stands for at these magnitudes."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


# money and quantity round each figure of reports of tens of thousands of rows: a Decimal (what
# PostgreSQL answers) is rounded without going through ``exact``. A figure that rounds to zero
# is 0.00, never -0.00: as PostgreSQL's round() writes it, which has no negative zero.
_NO_CENTS = Decimal("0.00")
_NO_QUANTITY = Decimal("0.0000")


def money(value: Decimal | float | int | None) -> Decimal:
    unrounded = value if value.__class__ is Decimal else exact(value)
    rounded = unrounded.quantize(CENT, ROUND_HALF_UP)  # type: ignore[union-attr]
    return rounded if rounded else _NO_CENTS


def quantity(value: Decimal | float | int | None) -> Decimal:
    unrounded = value if value.__class__ is Decimal else exact(value)
    rounded = unrounded.quantize(QUANTITY_PLACES, ROUND_HALF_UP)  # type: ignore[union-attr]
    return rounded if rounded else _NO_QUANTITY


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to 2 places; None when there is no whole."""
    if whole == 0:
        return None
    return (part * HUNDRED / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def day_start(day: date) -> datetime:
    """The first instant of a UTC day: ranges are [start of first day, start of the day after)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


async def tune_for_report(session: AsyncSession | AsyncConnection) -> None:
    """Let the rest of this transaction's queries sort and hash in ``REPORT_WORK_MEM``, and run
    them without JIT compilation (on PostgreSQL; SQLite has neither). A year's inventory query
    costs enough to be compiled, and compiling its ~120 functions (in each parallel worker
    too) took longer than compiled expressions saved over a million ledger rows."""
    dialect = (session.dialect if isinstance(session, AsyncConnection)
               else session.get_bind().dialect)
    if dialect.name == "postgresql":
        await session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        await session.execute(text("SET LOCAL jit = off"))


@asynccontextmanager
async def snapshot_parts(
    session: AsyncSession, parts: int, planner: str = "",
) -> AsyncIterator[list[AsyncSession | AsyncConnection]]:
    """Where to run a report split into ``parts`` queries at once: on PostgreSQL, that many
    read-only connections of their own that all see exactly what ``session``'s transaction
    sees (its exported snapshot), each tuned as a report and without parallel workers (the
    parts are the parallelism), and ``planner``'s settings after; on SQLite, or for one part,
    ``session`` itself."""
    if parts == 1 or session.get_bind().dialect.name != "postgresql":
        yield [session]
        return
    snapshot = await session.scalar(text("SELECT pg_export_snapshot()"))
    # The snapshot comes from PostgreSQL itself, and SET takes no bound parameters; the
    # settings go in one round trip, the snapshot first as PostgreSQL requires. A part read
    # through a cursor is read whole: plan it for all its rows, not the first tenth.
    settings = text(
        f"SET TRANSACTION SNAPSHOT '{snapshot}'; SET TRANSACTION READ ONLY;"
        f" SET LOCAL work_mem = '{REPORT_WORK_MEM}'; SET LOCAL jit = off;"
        " SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL cursor_tuple_fraction = 1;"
        f" {planner}")
    engine = session.bind
    async with AsyncExitStack() as stack:

        async def reader() -> AsyncConnection:
            connection = await stack.enter_async_context(engine.connect())
            await connection.execution_options(isolation_level="REPEATABLE READ")
            await stack.enter_async_context(connection.begin())
            await connection.execute(settings)
            return connection

        # A task group, not gather: if one connection fails, the others are done or cancelled
        # before the stack closes what they opened.
        async with asyncio.TaskGroup() as group:
            opening = [group.create_task(reader()) for _ in range(parts)]
        yield [task.result() for task in opening]


async def rows_in_parts(
    session: AsyncSession, statement_of_part: Callable[[int, int], Executable],
    shape: Callable[[Sequence[Row[Any]]], list[Shaped]], planner: str = "",
) -> list[list[Shaped]]:
    """A report's query split in ``PARTS`` (``statement_of_part(part, parts)`` selects part
    ``part`` of ``parts``), run at once where ``snapshot_parts`` allows; each part's rows go
    through ``shape`` and come back in their own list. On PostgreSQL each part streams from a
    server-side cursor and is shaped batch by batch as it arrives, so the Python work overlaps
    the database's on the rest; ``planner`` is settings for the parts' transactions (a plan
    that hands rows out as it goes, rather than all at the end)."""
    async with snapshot_parts(session, PARTS, planner) as readers:
        if isinstance(readers[0], AsyncSession):
            answers = [await reader.execute(statement_of_part(part, len(readers)))
                       for part, reader in enumerate(readers)]
            return [shape(answer.all()) for answer in answers]

        async def streamed(part: int, reader: AsyncConnection) -> list[Shaped]:
            answer = await reader.stream(statement_of_part(part, len(readers))
                                         .execution_options(yield_per=STREAMED_BATCH))
            shaped: list[Shaped] = []
            async for batch in answer.partitions():
                shaped += shape(batch)
            return shaped

        return list(await asyncio.gather(*(
            streamed(part, reader) for part, reader in enumerate(readers)  # type: ignore[arg-type]
        )))
