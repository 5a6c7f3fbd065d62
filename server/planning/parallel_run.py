"""A full planning run on PostgreSQL on every core: worker processes each read a share of the
product ids straight from the database and plan it, while the run's own transaction does the
one write.

One result: the run's transaction exports its snapshot (``pg_export_snapshot``) and every worker
reads in it (``SET TRANSACTION SNAPSHOT``), so all shares see the database as it was when the
run began. Workers write nothing: each hands back its suggestions as COPY rows (one bytes
object, cheap to pass between processes, unlike the facts and plans themselves), and the run's
transaction copies them into its staging table and merges them (``store_copied``), so the run
commits or rolls back whole, as a sequential one does.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import Pair
from server.db import Database, json_text, utcnow
from server.planning.inputs import Window, load_facts
from server.planning.plan import PlannedSuggestion, Policy
from server.planning.rule_store import rules_for_engine
from server.planning.suggestion_store import store_copied

WORKERS = 2
# What pg_export_snapshot returns, checked before it goes into SET TRANSACTION SNAPSHOT.
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
# COPY's text format: these characters are written escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


@dataclass(frozen=True, slots=True)
class Share:
    """One worker's part of a run: its slices of pairs, in product id order."""

    url: str
    snapshot: str
    slices: list[list[Pair]]
    window: Window
    policy: Policy
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class ShareResult:
    rows: bytes  # the planned suggestions as COPY text rows (``_copy_line``)
    opened: int
    urgent: int


async def plan_in_parallel(
    db: Database, session: AsyncSession, pairs: Sequence[Pair], slice_pairs: int,
    policy: Policy, window: Window,
) -> tuple[dict[Pair, str], int, int]:
    """Plan sorted ``pairs`` in ``WORKERS`` processes and store the result in ``session``'s
    transaction: what changed, how many suggestions are open and urgent."""
    snapshot = str(await session.scalar(text("SELECT pg_export_snapshot()")))
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    slices = [list(pairs[start:start + slice_pairs])
              for start in range(0, len(pairs), slice_pairs)]
    per_worker = -(-len(slices) // WORKERS)
    computed_at = utcnow()
    shares = [Share(db.url, snapshot, slices[start:start + per_worker], window, policy,
                    computed_at) for start in range(0, len(slices), per_worker)]
    loop = asyncio.get_running_loop()
    # Spawned, not forked: a fork would copy this process's event loop and open connections.
    with ProcessPoolExecutor(len(shares), mp_context=multiprocessing.get_context("spawn")) as pool:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, plan_share, share) for share in shares))
    changed = await store_copied(session, [result.rows for result in results], pairs)
    return (changed, sum(result.opened for result in results),
            sum(result.urgent for result in results))


def plan_share(share: Share) -> ShareResult:
    """A worker process's part: read, plan and turn into COPY rows one share."""
    return asyncio.run(_plan_share(share))


async def _plan_share(share: Share) -> ShareResult:
    from server.planning.engine import collector_paused, plan_facts

    db = Database(share.url, pool_size=1)
    rows = io.StringIO()
    opened = urgent = 0
    try:
        async with db.reader() as reader:
            await reader.execute(
                text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            await reader.execute(text(f"SET TRANSACTION SNAPSHOT '{share.snapshot}'"))
            rules = await rules_for_engine(reader)
            for pairs in share.slices:
                with collector_paused():
                    facts = await load_facts(reader, pairs, share.window,
                                             (pairs[0][0], pairs[-1][0]))
                    plans = plan_facts(facts, rules, share.policy, share.window.today)
                    for pair in pairs:
                        plan = plans.get(pair)
                        if plan is not None:
                            rows.write(_copy_line(pair, plan, share.computed_at))
                            opened += 1
                            urgent += plan.urgent
                    del facts, plans
            await reader.rollback()
    finally:
        await db.dispose()
    return ShareResult(rows.getvalue().encode(), opened, urgent)


def _copy_line(pair: Pair, plan: PlannedSuggestion, computed_at: datetime) -> str:
    """One staging row in COPY's text format, columns as ``suggestion_store`` copies them."""
    values = (pair[0], pair[1], plan.supplier_id, plan.quantity, plan.unit_price, plan.currency,
              plan.order_date, plan.need_date, plan.urgent, json_text(plan.explanation),
              computed_at)
    return "\t".join(_copy_value(value) for value in values) + "\n"


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)
