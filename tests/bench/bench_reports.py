"""Benchmark: the finance reports over the 100,000-product demo and a year of movements on
PostgreSQL (issue 9: each under 2 s).

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_reports.py [--runs 3]
    .venv/bin/python tests/bench/bench_reports.py --keep NAME
    .venv/bin/python tests/bench/bench_reports.py --built URL [--only marginReport]

The second form builds into a new database of that name and leaves it in place; the third
times the reports again on a database built before (kept), all of them or those whose name
contains the ``--only`` text.

What it does: creates a scratch PostgreSQL database at the latest schema, loads the demo with
100,000 products (``load_demo``, as ``caixiao demo --products 100000``), then builds a year of
movements in the server with set-based SQL (``bench_reports_data``: its docstring says what and
how much). Each report is then called through its use-case function in a read session, as the
resolvers do, over the whole year (``as_of`` yesterday for the inventory report and today for
the ageing): one untimed warm-up, then ``--runs`` timed calls; the median is the figure. Before
timing, the process settles its heap as ``caixiao serve`` does once started (``settle_heap``). Wall
time by ``time.perf_counter`` around the call (SQL and the Python that shapes the rows), in this
process. marginReport by product and the inventory report are also asked through the GraphQL app
in-process (httpx on the ASGI app, a finance director's bearer token), which adds parsing,
serialisation and the row objects of 60,000–70,000 products, timed until the answer's last byte
has arrived (the client's own reading of the JSON is checked, not timed), and downloaded as
.csv and .xlsx files through the report route.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.app import CaixiaoGraphQL  # noqa: E402
from server.auth import Principal, Role  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import Database, utcnow  # noqa: E402
from server.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from server.event_hub import EventHub  # noqa: E402
from server.finance.ageing import receivables_ageing  # noqa: E402
from server.finance.fulfilment import FulfilmentGroupBy, fulfilment_report  # noqa: E402
from server.finance.http import report_response  # noqa: E402
from server.finance.inventory_report import inventory_report  # noqa: E402
from server.finance.margin import MarginGroupBy, margin_report  # noqa: E402
from server.finance.sales_performance import sales_performance  # noqa: E402
from server.finance.scorecard import supplier_scorecard  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.ops.heap import settle_heap  # noqa: E402
from server.ops.login_throttle import LoginThrottle  # noqa: E402
from tests.bench.bench_receiving import libpq  # noqa: E402
from tests.bench.bench_reports_data import DAYS, build_year, volumes  # noqa: E402
from tests.bench.bench_subscriptions import scratch_database  # noqa: E402

GOAL_SECONDS = 2.0
PRODUCTS = 100_000
Report = Callable[[Any], Awaitable[Any]]


def reports(principal: Principal) -> list[tuple[str, Report]]:
    today = utcnow().date()
    first, last = today - timedelta(days=DAYS), today - timedelta(days=1)
    timed: list[tuple[str, Report]] = [
        (f"marginReport {group.name}",
         lambda s, g=group: margin_report(s, principal, first, last, g))
        for group in MarginGroupBy]
    timed += [
        ("inventoryReport (all warehouses)",
         lambda s: inventory_report(s, principal, None, last)),
        ("supplierScorecard", lambda s: supplier_scorecard(s, principal, first, last)),
        *[(f"fulfilmentReport {group.name}",
           lambda s, g=group: fulfilment_report(s, principal, first, last, g))
          for group in FulfilmentGroupBy],
        ("salesPerformance", lambda s: sales_performance(s, principal, first, last)),
        ("receivablesAgeing", lambda s: receivables_ageing(s, principal, today)),
    ]
    return timed


async def median_seconds(call: Callable[[], Awaitable[Any]], runs: int,
                         check: Callable[[Any], object] = lambda _answer: None,
                         ) -> tuple[float, Any]:
    """The median time of ``runs`` calls after a warm-up; ``check`` looks at each answer
    outside the timing."""
    answer = await call()
    check(answer)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = await call()
        timings.append(time.perf_counter() - started)
        check(answer)
    return statistics.median(timings), answer


def size_of(answer: Any) -> int:
    rows = answer if isinstance(answer, list) else answer.rows
    return len(rows)


async def measure(url: str, runs: int, only: str = "") -> list[tuple[str, float]]:
    # As `caixiao serve` does once started: the startup heap frozen out of collection.
    settle_heap()
    db = Database(url)
    figures = []
    try:
        director = await auth.login(db, "finance_director", DEMO_PASSWORD, timedelta(hours=1))
        principal = director.principal
        assert principal.has_any(Role.FINANCE_DIRECTOR)
        for name, report in reports(principal):
            if only not in name:
                continue
            async def call(report: Report = report) -> Any:
                async with db.reader() as session:
                    return await report(session)
            seconds, answer = await median_seconds(call, runs)
            figures.append((name, seconds))
            print(f"  {name:36} {seconds:6.2f} s  ({size_of(answer):,} rows)")
        for name, query in graphql_reports():
            if only not in name:
                continue
            seconds = await graphql_seconds(url, db, director.token, query, runs)
            figures.append((name, seconds))
            print(f"  {name:36} {seconds:6.2f} s")
        for name, path in report_files():
            if only not in name:
                continue
            seconds = await file_seconds(db, director.token, path, runs)
            figures.append((name, seconds))
            print(f"  {name:36} {seconds:6.2f} s")
    finally:
        await db.dispose()
    return figures


def graphql_reports() -> list[tuple[str, dict[str, Any]]]:
    """The two biggest answers, asked as the sales app would: every row of the year."""
    today = utcnow().date()
    return [
        ("marginReport PRODUCT via GraphQL", {"query": """
            query ($input: MarginReportInput!) {
              marginReport(input: $input) {
                rows { key revenue cogs margin marginPct } total { margin }
              }
            }""", "variables": {"input": {
            "dateFrom": (today - timedelta(days=DAYS)).isoformat(),
            "dateTo": (today - timedelta(days=1)).isoformat(), "groupBy": "PRODUCT"}}}),
        ("inventoryReport via GraphQL", {"query": """
            query ($input: InventoryReportInput!) {
              inventoryReport(input: $input) {
                rows { sku name onHand value cogsLast365Days averageValue turnover
                       shippedLast90Days daysOfCover age0To30Days age31To90Days
                       age91To180Days ageOver180Days lastMovementAt dead }
              }
            }""", "variables": {"input": {"asOf": (today - timedelta(days=1)).isoformat()}}}),
    ]


async def graphql_seconds(url: str, db: Database, token: str, query: dict[str, Any],
                          runs: int) -> float:
    body = json.dumps(query)
    settings = Settings(database_url=url)
    throttle = LoginThrottle(settings.login_max_failures, settings.login_failure_window_seconds)
    app = CaixiaoGraphQL(settings, db, EventHub(db), throttle)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench", headers=headers) as http:
        async def call() -> Any:
            return await http.post("/graphql", content=body)

        # Timed until the answer's last byte has arrived; reading the JSON is the client's work
        # (Python's json takes ~0.2 s for the inventory report's 27 MB, a browser far less).
        def check(response: httpx.Response) -> None:
            answer = response.json()
            assert "errors" not in answer, answer["errors"]

        seconds, _ = await median_seconds(call, runs, check)
    return seconds


def report_files() -> list[tuple[str, str]]:
    today = utcnow().date()
    year = (f"dateFrom={(today - timedelta(days=DAYS)).isoformat()}"
            f"&dateTo={(today - timedelta(days=1)).isoformat()}&groupBy=PRODUCT")
    as_of = f"asOf={(today - timedelta(days=1)).isoformat()}"
    return [(f"{report} as .{kind}", f"/reports/{report}.{kind}?{query}")
            for report, query in (("margin", year), ("inventory", as_of))
            for kind in ("csv", "xlsx")]


async def file_seconds(db: Database, token: str, path: str, runs: int) -> float:
    """A report downloaded as a file, through the route `caixiao serve` mounts for it."""
    async def download(request: Request) -> Response:
        return await report_response(request, db, token)

    app = Starlette(routes=[Route("/reports/{name}.{format}", download)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as http:
        async def call() -> Any:
            response = await http.get(path)
            assert response.status_code == 200, response.text
            return response
        seconds, _ = await median_seconds(call, runs)
    return seconds


@contextlib.contextmanager
def kept_database(server_url: str, name: str) -> Iterator[str]:
    """A new database that outlives the run, to be timed again with ``--built``."""
    with psycopg.connect(libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    print(f"  building into {url} (kept)")
    yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--built", metavar="URL",
                        help="time the reports on a database built before (kept), not a new one")
    parser.add_argument("--keep", metavar="NAME",
                        help="build into a new database of this name and leave it in place")
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="with --built: time only the reports whose name contains TEXT")
    args = parser.parse_args()
    if args.built:
        asyncio.run(measure(args.built, args.runs, args.only))
        return
    print(f"finance reports: {PRODUCTS:,} demo products + {DAYS} days of movements, "
          f"PostgreSQL, {os.cpu_count()} CPUs, {date.today()}, median of {args.runs} after a "
          "warm-up")
    database = kept_database(args.database_url, args.keep) if args.keep else scratch_database(
        args.database_url)
    with database as url:
        upgrade(url)
        started = time.perf_counter()
        db = Database(url)
        asyncio.run(load_demo(db, PRODUCTS))
        asyncio.run(db.dispose())
        print(f"  demo loaded in {time.perf_counter() - started:.0f} s")
        for step, seconds in build_year(url):
            print(f"  built {step}: {seconds:.1f} s")
        print("  rows: " + ", ".join(f"{table} {count:,}"
                                     for table, count in volumes(url).items()))
        figures = asyncio.run(measure(url, args.runs))
    slowest_name, slowest = max(figures, key=lambda figure: figure[1])
    verdict = "met" if slowest < GOAL_SECONDS else "NOT met"
    print(f"  GOAL each < {GOAL_SECONDS:.0f} s: {verdict} (slowest {slowest_name}, "
          f"{slowest:.2f} s)")


if __name__ == "__main__":
    main()
