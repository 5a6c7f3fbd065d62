"""The load of tests/bench/bench_receiving.py: scanners posting receiveGoods over HTTP, or
replaying its recorded SQL over psycopg, back to back (saturation) or one receipt every so many
seconds each (paced), in client processes that count receipts completed within a shared time
window; and the CPU the processes on this machine used meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from tests.bench.bench_subscriptions import cpu_seconds
from tests.bench.sql_replay import Replay, Template

RECEIVE = """mutation($input: ReceiveGoodsInput!) { receiveGoods(input: $input) {
  receipt { number orderNumber noticeNumber receivedAt
            lines { lineNo orderLineNo quantity lot expiry bucket product { sku } } }
  current { version }
  userErrors { code field message } } }"""
# A backend waiting on a lock is told apart by the statement it waits in.
ACTIVITY = """SELECT CASE WHEN state <> 'active' THEN state
  WHEN wait_event_type = 'Lock' THEN wait_event_type || ':' || wait_event || ' in '
    || left(regexp_replace(query, '\\s+', ' ', 'g'), 40) || '...'
  ELSE coalesce(wait_event_type || ':' || wait_event, 'running') END, count(*)
  FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' GROUP BY 1"""
ACTIVITY_EVERY = 0.1  # seconds between samples of pg_stat_activity
CHECKED_RECEIPTS = 3  # per connection, the replay asserts its substitutions on this many


@dataclass(frozen=True, slots=True)
class Scanner:
    order_number: str
    sku: str


@dataclass(frozen=True, slots=True)
class Window:
    start: float  # wall clock: warm-up from here
    measure: float  # counted from here
    end: float
    pace: float  # seconds between one scanner's receipt starts; 0: back to back



def receive_body(scanner: Scanner, key: str) -> bytes:
    line = {"sku": scanner.sku, "quantity": "1"}
    return orjson.dumps({"query": RECEIVE, "variables": {"input": {
        "document": scanner.order_number, "warehouseCode": "WH1", "idempotencyKey": key,
        "lines": [line]}}})


def receipt_number(response: httpx.Response) -> str:
    body = response.json()
    payload = (body.get("data") or {}).get("receiveGoods") or {}
    if response.status_code != 200 or not payload.get("receipt"):
        raise RuntimeError(f"receiveGoods failed: {response.status_code} {body}")
    number: str = payload["receipt"]["number"]
    return number


# --- CPU --------------------------------------------------------------------------------------

def postgres_backends(libpq: str, database: str) -> list[int]:
    """The bench database's backends and PostgreSQL's own background processes (WAL writer,
    checkpointer, ...); not the backends of other databases on the same server."""
    with psycopg.connect(libpq, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR datname IS NULL",
            (database,))]


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine (all cores) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server_pid: int | None, client_pids: list[int],
                 postgres_pids: list[int]) -> dict[str, Any]:
    postgres = {}
    for pid in postgres_pids:
        with contextlib.suppress(OSError):  # a backend that has ended since
            postgres[pid] = cpu_seconds(pid)
    return {"server": cpu_seconds(server_pid) if server_pid else 0.0,
            "clients": sum(cpu_seconds(pid) for pid in client_pids),
            "postgres": postgres, "machine": machine_busy(), "wall": time.time()}


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    wall = after["wall"] - before["wall"]
    pg = sum(cpu - before["postgres"][pid] for pid, cpu in after["postgres"].items()
             if pid in before["postgres"])
    busy = after["machine"] - before["machine"]
    return {"wall": wall, "server": after["server"] - before["server"],
            "clients": after["clients"] - before["clients"], "postgres": pg, "machine": busy}


def sample_activity(libpq: str, database: str, until: float) -> dict[str, float]:
    """How many of the database's client backends were, on average, running, waiting (on a lock,
    on WAL flush, ...) or idle in a transaction (waiting for its client's next statement)."""
    totals: Counter[str] = Counter()
    samples = 0
    with psycopg.connect(libpq, autocommit=True) as conn:
        while time.time() < until:
            for what, count in conn.execute(ACTIVITY, (database,)):
                totals[what] += count
            samples += 1
            time.sleep(ACTIVITY_EVERY)
    return {what: total / max(samples, 1) for what, total in totals.most_common()}


# --- client processes -------------------------------------------------------------------------

class Tally:
    """One client process's count: receipts completed in the window and their latencies."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.total = 0
        self.statements = 0
        self.substituted = 0
        self.failed = 0
        self.started = 0  # paced: receipts started in the counted window
        self.late = 0  # of those, started late because the one before took the whole interval
        self.errors: list[str] = []  # the first few

    def error(self, error: Exception) -> None:
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(repr(error)[:300])

    def done(self, window: Window, started: float, finished_at: float) -> None:
        self.total += 1
        if window.measure <= finished_at < window.end:
            self.latencies.append(time.perf_counter() - started)

    def report(self, **extra: Any) -> dict[str, Any]:
        return {"latencies": self.latencies, "total": self.total, "errors": self.errors,
                "failed": self.failed, "statements": self.statements,
                "started": self.started, "late": self.late,
                "substituted": self.substituted, **extra}


async def _await_start(pipe: Connection) -> Window:
    pipe.send("ready")
    window: Window = pipe.recv()
    await asyncio.sleep(max(0.0, window.start - time.time()))
    return window


def _report(pipe: Connection, report: dict[str, Any]) -> None:
    """Send the count, then hold the connections until told: the bench reads the CPU of their
    backends after the window."""
    pipe.send(report)
    pipe.recv()


async def _drive(window: Window, tally: Tally, receipt: Callable[[], Awaitable[None]]) -> None:
    """One scanner: receipts back to back, or paced: one starting every ``window.pace`` seconds,
    the first at a random moment of the first interval; one that is due while the one before
    is still running starts as soon as that one ends, and the schedule goes on from there."""
    due = window.start + random.uniform(0, window.pace)
    late = False  # the receipt before ended after this one was due
    while True:
        if window.pace:
            await asyncio.sleep(max(0.0, due - time.time()))
            now = time.time()
            if now >= window.end:
                return
            if window.measure <= now:
                tally.started += 1
                tally.late += late
            due = (now if late else due) + window.pace
        elif time.time() >= window.end:
            return
        started = time.perf_counter()
        try:
            await receipt()
        except Exception as error:
            tally.error(error)
        else:
            tally.done(window, started, time.time())
        late = time.time() > due


async def _scan(http: httpx.AsyncClient, scanner: Scanner, window: Window, tally: Tally) -> None:
    async def receipt() -> None:
        receipt_number(await http.post("/graphql",
                                       content=receive_body(scanner, uuid.uuid4().hex)))

    await _drive(window, tally, receipt)


async def _graphql_main(url: str, token: str, scanners: list[Scanner], pipe: Connection) -> None:
    limits = httpx.Limits(max_connections=len(scanners), max_keepalive_connections=len(scanners))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits,
                                 timeout=120) as http:
        window = await _await_start(pipe)
        tally = Tally()
        await asyncio.gather(*(_scan(http, s, window, tally) for s in scanners))
        _report(pipe, tally.report())


def graphql_client(url: str, token: str, scanners: list[Scanner], pipe: Connection) -> None:
    asyncio.run(_graphql_main(url, token, scanners, pipe))


async def _replay_loop(conn: psycopg.AsyncConnection[Any], replay: Replay, window: Window,
                       tally: Tally) -> None:
    runs = 0

    async def receipt() -> None:
        nonlocal runs
        try:
            # Awaited first: ``tally.x += await ...`` would lose the other tasks' updates.
            substituted = await replay.run(conn, uuid.uuid4().hex, check=runs < CHECKED_RECEIPTS)
        except Exception:
            await conn.rollback()
            raise
        runs += 1
        tally.substituted += substituted
        tally.statements += len(replay.statements)

    await _drive(window, tally, receipt)


async def _replay_main(libpq: str, templates: list[Template], pipe: Connection) -> None:
    replays = [Replay(template) for template in templates]
    connections = [await psycopg.AsyncConnection.connect(libpq) for _ in templates]
    window = await _await_start(pipe)
    tally = Tally()
    await asyncio.gather(*(_replay_loop(c, r, window, tally)
                           for c, r in zip(connections, replays, strict=True)))
    mismatches = [m for r in replays for m in r.rowcount_mismatches]
    # Reads whose result grew as receipts piled up: (statement, rows recorded, most rows seen).
    growing = {(s.sql, s.rowcount, most) for r in replays
               for s, most in zip(r.statements, r.most_rows, strict=True) if most > s.rowcount}
    _report(pipe, tally.report(mismatches=mismatches, growing=sorted(growing)))
    for conn in connections:
        await conn.close()


def replay_client(libpq: str, templates: list[Template], pipe: Connection) -> None:
    asyncio.run(_replay_main(libpq, templates, pipe))


def run_phase(target: Any, shares: list[tuple[Any, ...]], watch: tuple[str, str],
              warm_up: float, duration: float, pace: float = 0.0, server_pid: int | None = None,
              py_spy: str | None = None) -> dict[str, Any]:
    """Start one client process per share, run the window, return what they counted, the CPU
    used and what the backends of the database were doing in the counted part. ``watch`` is
    (connection string of another database, the bench database's name): the watching adds no
    transaction to the bench database's statistics. ``py_spy`` names a file to profile the
    server into; ``pace`` paces each scanner (0: back to back)."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for share in shares:
        parent, child = context.Pipe()
        process = context.Process(target=target, args=(*share, child))
        process.start()
        pipes.append(parent)
        processes.append(process)
    try:
        for pipe in pipes:
            assert pipe.poll(120) and pipe.recv() == "ready", "a client did not start"
        start = time.time() + 0.5
        window = Window(start, start + warm_up, start + warm_up + duration, pace)
        for pipe in pipes:
            pipe.send(window)
        pids = [p.pid for p in processes if p.pid]
        time.sleep(max(0.0, window.measure - time.time()))
        postgres_pids = postgres_backends(*watch)
        before = cpu_snapshot(server_pid, pids, postgres_pids)
        profiler = None
        if py_spy and server_pid:
            profiler = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid",
                 str(server_pid), "--duration", str(int(duration)), "--output", py_spy,
                 "--format", "raw" if py_spy.endswith(".txt") else "flamegraph"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        activity = sample_activity(*watch, window.end)
        after = cpu_snapshot(server_pid, pids, postgres_pids)
        results = []
        for pipe in pipes:
            assert pipe.poll(180), "a client did not report"
            results.append(pipe.recv())
        for pipe in pipes:
            pipe.send("close")
        if profiler:
            profiler.wait(timeout=60)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    merged: dict[str, Any] = {"cpu": cpu_used(before, after), "activity": activity}
    for key in ("latencies", "errors", "mismatches", "growing"):
        merged[key] = [x for r in results for x in r.get(key, [])]
    for key in ("total", "failed", "statements", "substituted", "started", "late"):
        merged[key] = sum(r[key] for r in results)
    return merged


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[index::parts] for index in range(parts) if items[index::parts]]
