"""Benchmark: a full planning run over 100,000 products × 52 weeks of sales history with 5 rules
on PostgreSQL (issue 7), and the live recompute of one product × warehouse.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_planning.py [--products 100000] [--weeks 52]

What it does: creates a scratch PostgreSQL database at the latest schema; a warehouse, three
suppliers, an admin and the 5 rules go in through the real use cases; the bulk tables are filled
with COPY from a child process (so its memory does not count): products (a third each in three
categories, one in ten tagged "promo"), one supplier item each (lead time 7–21 days, MOQ, pack
multiple), an ``available`` stock position each, and ``--weeks`` weeks of sales history each
(smooth, trending, growing, intermittent and dead series, seeded). The 5 rules: the seed's growth
rule (safety stock × 1.15, all products), forecast × 1.1 for one category, safety stock + 10 for
"promo", lead time + 2 days when days of cover < 7, MOQ 50 in December for one category.

Figures: ``plan_all`` wall time as it reports it (perf_counter around its transaction, in this
process), for a first run (opens every suggestion) and a second (updates them); peak memory
= this process's peak RSS (``ru_maxrss``) after the runs, next to its RSS before them (the
interpreter and imports); the incremental recompute = ``recompute_pairs`` for one pair in its own
transaction (open, recompute, commit), 50 different products, median and 95th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.auth import Role  # noqa: E402
from server.catalog import suppliers  # noqa: E402
from server.catalog.drafts import SupplierDraft  # noqa: E402
from server.catalog.service import WarehouseDraft, create_warehouse  # noqa: E402
from server.db import Database, utcnow  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.planning import engine  # noqa: E402
from server.planning.engine import plan_all, recompute_pairs  # noqa: E402
from server.planning.netting import week_start  # noqa: E402
from server.planning.rule_store import (  # noqa: E402
    ActionDraft,
    RuleDraft,
    ScopeDraft,
    set_replenishment_rule,
)
from server.planning.rules import SEED_GROWTH_CONDITION  # noqa: E402
from tests.bench.bench_receiving import libpq  # noqa: E402
from tests.bench.bench_subscriptions import scratch_database  # noqa: E402

GOAL_SECONDS = 10.0
GOAL_MEMORY_MB = 1024
GOAL_INCREMENTAL_MS = 20.0
CATEGORIES = ("beverage", "snacks", "household")
RULES = [
    RuleDraft("seed growth", SEED_GROWTH_CONDITION,
              [ActionDraft("safety_stock", "multiply", Decimal("1.15"))], priority=10),
    RuleDraft("beverage uplift", "true", [ActionDraft("forecast", "multiply", Decimal("1.1"))],
              priority=20, scope=ScopeDraft(categories=["beverage"])),
    RuleDraft("promo buffer", "true", [ActionDraft("safety_stock", "add", Decimal(10))],
              priority=30, scope=ScopeDraft(tags=["promo"])),
    RuleDraft("short cover", "days_of_cover < 7.0",
              [ActionDraft("lead_time_days", "add", Decimal(2))], priority=40),
    RuleDraft("december snacks", "month == 12",
              [ActionDraft("min_order_quantity", "set", Decimal(50))], priority=50,
              scope=ScopeDraft(categories=["snacks"])),
]


def sales_series(rng: np.random.Generator, products: int, weeks: int) -> np.ndarray:
    kind = rng.integers(0, 10, products)
    level = rng.gamma(2.0, 15.0, products)[:, None]
    t = np.arange(weeks)[None, :]
    smooth = rng.poisson(np.broadcast_to(level, (products, weeks)))
    trending = rng.poisson(np.maximum(level * (1 + 0.01 * t), 0))
    growing = rng.poisson(level * np.where(t >= weeks - 4, 1.25 ** (t - weeks + 5), 1.0))
    sparse = rng.poisson(level / 4) * (rng.random((products, weeks)) < 0.2)
    series = np.where(kind[:, None] < 5, smooth, np.where(
        kind[:, None] < 7, trending, np.where(kind[:, None] < 8, growing, sparse)))
    series[kind == 9] = 0
    return series


def copy_rows(conn: psycopg.Connection, table: str, columns: str, lines: io.StringIO) -> None:
    lines.seek(0)
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := lines.read(1 << 20):
            copy.write(chunk)


def populate(url: str, products: int, weeks: int) -> None:
    """Fill the bulk tables with COPY (run in a child process)."""
    rng = np.random.default_rng(7)
    now = datetime.now(UTC).isoformat()
    this_week = week_start(datetime.now(UTC).date())
    with psycopg.connect(libpq(url)) as conn:
        warehouse_id = conn.execute("SELECT id FROM warehouse WHERE code = 'WH1'").fetchone()[0]
        supplier_ids = [row[0] for row in conn.execute("SELECT id FROM supplier ORDER BY code")]
        rows = io.StringIO()
        for n in range(products):
            tags = '["promo"]' if n % 10 == 0 else "[]"
            rows.write(f"B{n:06d}\tBench product {n}\t{CATEGORIES[n % 3]}\tpcs\tf\tf\t{tags}\t0"
                       f"\t10\tt\t{now}\t{now}\n")
        copy_rows(conn, "product", "sku, name, category, unit_of_measure, qc_required, "
                  "make_to_order, tags, safety_stock, list_price, active, created_at, "
                  "updated_at", rows)
        first_id = conn.execute("SELECT min(id) FROM product WHERE sku LIKE 'B%'").fetchone()[0]
        ids = range(first_id, first_id + products)
        series = sales_series(rng, products, weeks)
        leads = rng.choice([7, 14, 21], products)
        rows = io.StringIO()
        for n, product_id in enumerate(ids):
            terms = f"{8 + n % 5}.5\tCNY\t{(n % 4) * 10 + 1}\t{(1, 6, 12)[n % 3]}\t{leads[n]}"
            rows.write(f"{supplier_ids[n % 3]}\t{product_id}\t{terms}\t{'tf'[n % 2]}\tt"
                       f"\t{now}\t{now}\n")
        copy_rows(conn, "supplier_item", "supplier_id, product_id, price, currency, moq, "
                  "pack_multiple, lead_time_days, preferred, active, created_at, updated_at", rows)
        stock = (series[:, -4:].mean(axis=1) * rng.uniform(0.5, 4.0, products)).round()
        rows = io.StringIO()
        for n, product_id in enumerate(ids):
            rows.write(f"{product_id}\t{warehouse_id}\tavailable\t{int(stock[n])}\t1\n")
        copy_rows(conn, "stock_position", "product_id, warehouse_id, bucket, quantity, version",
                  rows)
        mondays = [(this_week - timedelta(weeks=weeks - w)).isoformat() for w in range(weeks)]
        rows = io.StringIO()
        for n, product_id in enumerate(ids):
            prefix = f"{product_id}\t{warehouse_id}\t"
            rows.writelines(f"{prefix}{mondays[w]}\tEast\timported\t{q}\n"
                            for w, q in enumerate(series[n].tolist()) if q)
        copy_rows(conn, "sales_history", "product_id, warehouse_id, week_start, region, "
                  "source, quantity", rows)
        conn.execute("ANALYZE")
        conn.commit()


async def prepare(url: str) -> None:
    db = Database(url)
    try:
        admin = await auth.create_user(db, "admin", "bench-password-1", [Role.ADMIN])
        await create_warehouse(db, admin, WarehouseDraft("WH1", "Bench warehouse"))
        for code in ("S1", "S2", "S3"):
            await suppliers.create_supplier(db, admin, SupplierDraft(code, f"Supplier {code}"))
        for rule in RULES:
            await set_replenishment_rule(db, admin, rule)
    finally:
        await db.dispose()


class PhaseClock:
    """Wall time a run spends reading facts, planning and writing suggestions: the engine's
    three steps per slice, timed by wrapping them where ``server.planning.engine`` calls them;
    wall time and this process's CPU time (the database server's is not in it); and the whole
    run's CPU time, what happens outside the three steps (which pairs, the rules, the change
    events, freeing a slice) included."""

    def __init__(self) -> None:
        self.seconds = {"read": 0.0, "plan": 0.0, "write": 0.0}
        # This process's CPU time (all its threads): less at the mercy of a shared machine.
        self.cpu = dict.fromkeys(self.seconds, 0.0)
        self.total_cpu = 0.0

    @contextlib.contextmanager
    def installed(self) -> Iterator[PhaseClock]:
        originals = {name: getattr(engine, name)
                     for name in ("load_facts", "plan_facts", "store_plans")}
        engine.load_facts = self._timed_async("read", originals["load_facts"])
        engine.plan_facts = self._timed("plan", originals["plan_facts"])
        engine.store_plans = self._timed_async("write", originals["store_plans"])
        cpu = time.process_time()
        try:
            yield self
        finally:
            self.total_cpu = time.process_time() - cpu
            for name, function in originals.items():
                setattr(engine, name, function)

    def _timed(self, phase: str, function: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started
                self.cpu[phase] += time.process_time() - cpu
        return timed

    def _timed_async(self, phase: str, function: Callable[..., Awaitable[object]],
                     ) -> Callable[..., Awaitable[object]]:
        async def timed(*args: object, **kwargs: object) -> object:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return await function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started
                self.cpu[phase] += time.process_time() - cpu
        return timed

    def __str__(self) -> str:
        steps = ", ".join(f"{phase} {seconds:.1f} s (CPU {self.cpu[phase]:.1f} s)"
                          for phase, seconds in self.seconds.items())
        return f"{steps}; whole run CPU {self.total_cpu:.1f} s"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def measure(url: str, profile: str | None) -> None:
    db = Database(url)
    try:
        admin = auth.Principal(user_id=1, username="admin", roles=frozenset({Role.ADMIN}))
        async with db.transaction() as session:
            # A kept database still holds the last measure's suggestions: run 1 opens them all.
            await session.execute(text("DELETE FROM replenishment_suggestion"))
        before = rss_mb()
        runs = []
        clocks = []
        profiler = cProfile.Profile() if profile else None
        for _ in range(2):
            if profiler is not None:
                profiler.enable()
            with PhaseClock().installed() as clock:
                summary = await plan_all(db, admin)
            if profiler is not None:
                profiler.disable()
            runs.append(summary)
            clocks.append(clock)
        if profiler is not None and profile is not None:
            profiler.dump_stats(profile)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        async with db.reader() as session:
            rows = await session.execute(text(
                "SELECT product_id, warehouse_id FROM stock_position ORDER BY product_id "
                "LIMIT 50"))
            pairs = [(product, warehouse) for product, warehouse in rows]
        timings = []
        for pair in pairs:
            started = time.perf_counter()
            async with db.transaction() as session:
                await recompute_pairs(session, [pair])
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await db.dispose()
    first, second = runs
    print(f"  full run 1: {first.seconds:.1f} s for {first.pairs:,} pairs → "
          f"{first.open_suggestions:,} open suggestions ({first.urgent:,} urgent)")
    print(f"  full run 2: {second.seconds:.1f} s (suggestions updated in place)")
    for number, clock in enumerate(clocks, 1):
        print(f"  run {number} by step (summed over the slices): {clock}")
    print(f"  memory: peak RSS {peak:.0f} MB (RSS before the runs {before:.0f} MB)")
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"  incremental recompute of one pair (own transaction, {len(timings)} pairs): "
          f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms")
    worst = max(first.seconds, second.seconds)
    verdicts = [
        f"full run <= {GOAL_SECONDS:.0f} s: {_met(worst <= GOAL_SECONDS)} ({worst:.1f} s)",
        f"memory <= {GOAL_MEMORY_MB} MB: {_met(peak <= GOAL_MEMORY_MB)}",
        f"incremental <= {GOAL_INCREMENTAL_MS:.0f} ms: "
        f"{_met(statistics.median(timings) <= GOAL_INCREMENTAL_MS)} (median)",
    ]
    print("  GOAL " + "; ".join(verdicts))


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--populate", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--keep", metavar="NAME", help=(
        "use database NAME and keep it: loaded on the first run, reused (not reloaded) after"))
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the two runs")
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    if args.populate:
        populate(args.populate, args.products, args.weeks)
        return
    print(f"planning run: {args.products:,} products × {args.weeks} weeks of history, "
          f"{len(RULES)} rules, one warehouse, PostgreSQL, {os.cpu_count()} CPUs, "
          f"{utcnow():%Y-%m-%d}")
    with bench_database(args.database_url, args.keep) as (url, loaded):
        if loaded:
            print(f"  reusing the data of kept database {args.keep!r}")
        else:
            upgrade(url)
            asyncio.run(prepare(url))
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--populate", url, "--products",
                            str(args.products), "--weeks", str(args.weeks)], check=True)
            print(f"  data loaded by COPY in {time.perf_counter() - started:.0f} s")
        asyncio.run(measure(url, args.profile))
        if args.profile:
            print(f"  cProfile of both runs written to {args.profile} (timings include its "
                  "overhead)")


@contextlib.contextmanager
def bench_database(server_url: str, keep: str | None) -> Iterator[tuple[str, bool]]:
    """A scratch database dropped afterwards; or, with ``keep``, that named database, kept for
    the next measure and reused (with its data) when a previous load completed."""
    if keep is None:
        with scratch_database(server_url) as url:
            yield url, False
        return
    url = make_url(server_url).set(database=keep).render_as_string(hide_password=False)
    with psycopg.connect(libpq(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (keep,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{keep}"')
    loaded = exists is not None and _loaded(url)
    if exists is not None and not loaded:
        raise SystemExit(f"database {keep!r} exists but holds no complete bench load: drop it")
    yield url, loaded


def _loaded(url: str) -> bool:
    with psycopg.connect(libpq(url)) as conn:
        found = conn.execute("SELECT to_regclass('sales_history') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return False
        row = conn.execute("SELECT EXISTS (SELECT 1 FROM sales_history)").fetchone()
        return bool(row and row[0])


if __name__ == "__main__":
    main()
