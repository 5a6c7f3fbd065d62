"""Benchmark: 200 salespeople at once ordering the last 100 units of one SKU through GraphQL
``createSalesOrder`` on PostgreSQL (issue 6): throughput, latency per order, and whether exactly
100 were reserved, the rest refused (REJECT) or backordered (BACKORDER), without a deadlock.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_sales_contention.py [--orders 200] [--stock 100] [--rounds 3]

What it does: creates a scratch PostgreSQL database and builds, through the real use cases, the
master data of tests/sales_setup.py (warehouse WH1 and its bins, customer C1 whose salesperson is
the user ``sales``) and a device token of ``sales``. ONE server (``caixiao serve``, one uvicorn
worker unless ``--workers N``) on 127.0.0.1 serves the whole run. For each policy (REJECT, then
BACKORDER) one uncounted warm-up burst, then ``--rounds`` counted ones; each burst is on a fresh
product with 60 units counted into WH1-A-01 and 40 into WH1-A-02 (``adjust_stock``, the adjustment
use case). A burst: each of the 200 orders has its own httpx.AsyncClient holding ONE keep-alive
connection, opened by a GET / (a 404) just before, so the burst measures no TCP connect; the 200
requests wait on one asyncio event and are sent when it is set. An order is one line of 1 unit of
the burst's SKU for C1, without an idempotencyKey (``--idempotency-key`` sends a fresh one).

Figures: wall time from the first send to the last answer; throughput = orders / that wall time;
latency of an order = its send to its answer read; outcomes from the answers. Afterwards the
database is checked: the product's stock_position (available 0, reserved = stock, backordered =
what was backordered), its quants, order lines and reservation rows, and the deadlocks counter of
pg_stat_database (also re-read at the end, after the server has stopped: a backend's statistics
reach it when the backend flushes them, at the latest when it exits). CPU over the burst is
utime+stime from /proc/<pid>/stat of the server, the bench process (the clients), the bench
database's backends and PostgreSQL's background processes (sampled every 50 ms with what those
backends were doing, from pg_stat_activity: backends that end within the burst lose their last
50 ms), and the whole machine's busy time from /proc/stat: all of them share this machine's
cores with whatever else is running, shown as "anything else".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.catalog.drafts import ProductDraft  # noqa: E402
from server.catalog.products import create_product  # noqa: E402
from server.db import Database  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.bench.bench_receiving import libpq  # noqa: E402
from tests.bench.bench_subscriptions import (  # noqa: E402
    cpu_seconds,
    free_port,
    percentile,
    scratch_database,
)
from tests.bench.receiving_load import machine_busy  # noqa: E402
from tests.sales_setup import put_stock, sales_world  # noqa: E402

CREATE = """mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
  salesOrder { number state version totalAmount
               lines { lineNo sku quantity reserved backordered } }
  shortages { sku requested available expectedDate }
  userErrors { code field message } } }"""
POLICIES = ("REJECT", "BACKORDER")
# The cheapest authenticated request: every order pays at least this, so the floor's latency in
# the same burst shape bounds what any order's latency can reach on this server.
FLOOR = "{ me { username roles } }"
FLOOR_NAME, FLOOR_OK = "floor (me)", "answered"
RESERVED, BACKORDERED, REJECTED = "reserved", "backordered", "rejected INSUFFICIENT_STOCK"
BINS = ("WH1-A-01", "WH1-A-02")  # 60 % of the stock goes into the first
SAMPLE_EVERY = 0.05
SAMPLE = """SELECT pid, backend_type = 'client backend', CASE WHEN state <> 'active' THEN state
  WHEN wait_event_type = 'Lock' THEN 'waiting on ' || wait_event || ' lock in '
    || left(regexp_replace(query, '\\s+', ' ', 'g'), 50) || '...'
  ELSE coalesce(wait_event_type || ':' || wait_event, 'running') END
  FROM pg_stat_activity WHERE datname = %s OR datname IS NULL"""
GOAL_MS = 150.0


# --- watching PostgreSQL ------------------------------------------------------------------------

class Watcher(threading.Thread):
    """Until stopped, every 50 ms: the CPU of the bench database's backends and PostgreSQL's
    background processes (a backend first seen during the burst counts from zero), and what
    the client backends are doing. Its connection is to another database."""

    def __init__(self, watch_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.database, self.samples, self.stopping = database, 0, threading.Event()
        self.latest: dict[int, float] = {}
        self.activity: Counter[str] = Counter()
        self.conn = psycopg.connect(watch_url, autocommit=True)
        self.baseline = self._cpu(self._sample(count=False))

    def _sample(self, count: bool) -> list[int]:
        rows = self.conn.execute(SAMPLE, (self.database,)).fetchall()
        if count:
            self.samples += 1
            self.activity.update(what for _pid, client, what in rows if client)
        return [pid for pid, _client, _what in rows]

    @staticmethod
    def _cpu(pids: list[int]) -> dict[int, float]:
        cpu = {}
        for pid in pids:
            with contextlib.suppress(OSError):  # ended since
                cpu[pid] = cpu_seconds(pid)
        return cpu

    def run(self) -> None:
        while not self.stopping.is_set():
            self.latest.update(self._cpu(self._sample(count=True)))
            self.stopping.wait(SAMPLE_EVERY)

    def finish(self) -> tuple[float, dict[str, float]]:
        self.stopping.set()
        self.join()
        self.latest.update(self._cpu(self._sample(count=False)))
        self.conn.close()
        used = sum(cpu - self.baseline.get(pid, 0.0) for pid, cpu in self.latest.items())
        mean = {what: n / max(self.samples, 1) for what, n in self.activity.most_common()}
        return used, mean


# --- the server -------------------------------------------------------------------------------

@contextlib.contextmanager
def server_process(database_url: str, port: int,
                   workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """``caixiao serve`` with ``workers`` processes."""
    command = [str(Path(sys.executable).with_name("caixiao")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env={**os.environ, "CAIXIAO_DATABASE_URL": database_url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(port: int, seconds: float = 120.0) -> None:
    """Until /health answers 200 (several workers on a busy machine take a while to start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not become healthy")


def server_cpu(pid: int) -> float:
    """CPU seconds of the server process and its worker processes (with --workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(server_cpu(int(child)) for child in children)


# --- set-up and checks --------------------------------------------------------------------------

async def fresh_product(db: Database, world: Any, sku: str, stock: int) -> None:
    await create_product(db, world.admin, ProductDraft(sku, f"Contended {sku}",
                                                       list_price=Decimal(300)))
    for bin_code, quantity in zip(BINS, split_stock(stock), strict=True):
        if quantity:
            await put_stock(db, world, sku, bin_code, quantity)


def split_stock(stock: int) -> tuple[int, int]:
    first = round(stock * 0.6)
    return first, stock - first


def deadlocks(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        row = conn.execute("SELECT deadlocks FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
        return int(row[0]) if row else -1


def database_state(url: str, sku: str) -> dict[str, Decimal]:
    """The product's balances, quants, order lines and reservations as PostgreSQL has them."""
    figures: dict[str, Decimal] = {}
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        product = "(SELECT id FROM product WHERE sku = %s)"
        for bucket, quantity in conn.execute(
                f"SELECT bucket, quantity FROM stock_position WHERE product_id = {product}",
                (sku,)):
            figures[f"position {bucket}"] = quantity
        for bucket, quantity in conn.execute(
                f"SELECT bucket, sum(quantity) FROM stock_quant WHERE product_id = {product} "
                "GROUP BY bucket", (sku,)):
            figures[f"quants {bucket}"] = quantity
        lines, reserved, backordered = conn.execute(
            "SELECT count(*), coalesce(sum(reserved_quantity), 0), "
            f"coalesce(sum(backordered_quantity), 0) FROM sales_order_line "
            f"WHERE product_id = {product}", (sku,)).fetchone() or (0, 0, 0)
        figures.update({"order lines": Decimal(lines), "lines reserved": reserved,
                        "lines backordered": backordered})
        figures["reservation rows"] = conn.execute(
            f"SELECT coalesce(sum(quantity), 0) FROM sales_reservation "
            f"WHERE product_id = {product}", (sku,)).fetchone()[0]  # type: ignore[index]
    return figures


def problems_of(policy: str, stock: int, orders: int, outcomes: Counter[str],
                state: dict[str, Decimal]) -> list[str]:
    short = orders - stock
    expected_outcomes = {RESERVED: stock, REJECTED if policy == "REJECT" else BACKORDERED: short}
    backordered = short if policy == "BACKORDER" else 0
    expected_state = {"position available": 0, "position reserved": stock,
                      "position backordered": backordered, "quants available": 0,
                      "quants reserved": stock, "order lines": stock + backordered,
                      "lines reserved": stock, "lines backordered": backordered,
                      "reservation rows": stock}
    problems = [f"{outcome}: {outcomes.get(outcome, 0)} answers, expected {count}"
                for outcome, count in expected_outcomes.items()
                if outcomes.get(outcome, 0) != count]
    problems += [f"{what} x{count}" for what, count in outcomes.items()
                 if what not in expected_outcomes]
    problems += [f"{key} = {state.get(key, Decimal(0)):g}, expected {value}"
                 for key, value in expected_state.items() if state.get(key, Decimal(0)) != value]
    return problems


# --- a burst ------------------------------------------------------------------------------------

def order_body(sku: str, policy: str, with_key: bool) -> bytes:
    order: dict[str, Any] = {"customerCode": "C1", "warehouseCode": "WH1",
                             "shortagePolicy": policy, "lines": [{"sku": sku, "quantity": "1"}]}
    if with_key:
        order["idempotencyKey"] = uuid.uuid4().hex
    return orjson.dumps({"query": CREATE, "variables": {"input": order}})


def outcome_of(response: httpx.Response) -> str:
    """What one answer says: reserved, backordered, refused for stock, or what went wrong."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    body = response.json()
    if body.get("errors"):
        return f"GraphQL error: {body['errors'][0].get('message', '')[:200]}"
    payload = body["data"]["createSalesOrder"]
    order, errors, shortages = payload["salesOrder"], payload["userErrors"], payload["shortages"]
    if order is not None and not errors:
        line = order["lines"][0]
        if Decimal(line["reserved"]) == 1 and Decimal(line["backordered"]) == 0:
            return RESERVED
        if Decimal(line["backordered"]) == 1 and Decimal(line["reserved"]) == 0 \
                and [Decimal(s["requested"]) for s in shortages] == [1]:
            return BACKORDERED
        return f"order with line {line} and shortages {shortages}"
    if order is None and errors and all(e["code"] == "INSUFFICIENT_STOCK" for e in errors) \
            and [(Decimal(s["requested"]), Decimal(s["available"])) for s in shortages] == [(1, 0)]:
        return REJECTED
    return f"salesOrder {order}, userErrors {errors}, shortages {shortages}"


def floor_outcome(response: httpx.Response) -> str:
    """The floor request answers who the token belongs to."""
    if response.status_code == 200 and response.json().get("data", {}).get("me", {}).get(
            "username") == "sales":
        return FLOOR_OK
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def burst(base_url: str, token: str, bodies: list[bytes],
                outcome: Callable[[httpx.Response], str], watch: tuple[str, str],
                server_pid: int) -> dict[str, Any]:
    tls = ssl.create_default_context()  # one for all clients: loading it 200 times is slow
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=120,
                                 verify=tls) for _ in bodies]
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient, body: bytes) -> tuple[float, float, str]:
        await go.wait()
        sent = time.perf_counter()
        try:
            answer = outcome(await client.post("/graphql", content=body))
        except httpx.HTTPError as error:
            answer = f"transport error {error!r}"[:200]
        return sent, time.perf_counter(), answer

    try:
        # A request for / (a 404 that touches no database) opens each client's connection.
        opened = await asyncio.gather(*(client.get("/") for client in clients))
        assert all(r.status_code == 404 for r in opened), "a connection could not be opened"
        tasks = [asyncio.create_task(one(c, b)) for c, b in zip(clients, bodies, strict=True)]
        await asyncio.sleep(0.05)  # every task is waiting on the event
        watcher = Watcher(*watch)
        cpu_before = {"server": server_cpu(server_pid), "clients": cpu_seconds(os.getpid()),
                      "machine": machine_busy(), "wall": time.time()}
        watcher.start()
        go.set()
        results = await asyncio.gather(*tasks)
        cpu = {"server": server_cpu(server_pid), "clients": cpu_seconds(os.getpid()),
               "machine": machine_busy(), "wall": time.time()}
        postgres, activity = watcher.finish()
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    cpu = {key: cpu[key] - cpu_before[key] for key in cpu} | {"postgres": postgres}
    first_sent = min(sent for sent, _done, _ in results)
    return {"wall": max(done for _sent, done, _ in results) - first_sent,
            "send_spread": max(sent for sent, _done, _ in results) - first_sent,
            "latencies": [done - sent for sent, done, _ in results],
            "outcomes": Counter(answer for _sent, _done, answer in results),
            "cpu": cpu, "activity": activity}


# --- the run ------------------------------------------------------------------------------------

def ms(values: list[float]) -> str:
    millis = [v * 1000 for v in values]
    return (f"p50 {percentile(millis, 0.50):.0f}  p95 {percentile(millis, 0.95):.0f}  "
            f"p99 {percentile(millis, 0.99):.0f}  max {max(millis):.0f}")


def print_burst(name: str, result: dict[str, Any], problems: list[str], dead: int) -> None:
    cpu, wall = result["cpu"], result["cpu"]["wall"]
    share = {key: 100 * cpu[key] / wall for key in ("server", "clients", "postgres", "machine")}
    others = share["machine"] - share["server"] - share["clients"] - share["postgres"]
    outcomes = ", ".join(f"{what} {n}" for what, n in sorted(result["outcomes"].items()))
    count = len(result["latencies"])
    print(f"  {name}: {count / result['wall']:.0f} answers/s ({count} in "
          f"{result['wall'] * 1000:.0f} ms; the last was sent {result['send_spread'] * 1000:.0f}"
          f" ms after the first); latency ms {ms(result['latencies'])}")
    print(f"    answers: {outcomes}; database {'OK' if not problems else 'WRONG'}; deadlocks "
          f"counted so far {dead}")
    for problem in problems:
        print(f"    CHECK FAILED: {problem}")
    print(f"    CPU over the burst ({wall * 1000:.0f} ms): server {cpu['server'] * 1000:.0f} ms = "
          f"{share['server']:.0f}% of a core, clients (this process) {share['clients']:.0f}%, "
          f"PostgreSQL {share['postgres']:.0f}%, anything else {others:.0f}%; machine busy "
          f"{share['machine']:.0f}% of {100 * (os.cpu_count() or 1)}%")
    doing = ", ".join(f"{what} {mean:.1f}" for what, mean in list(result["activity"].items())[:4])
    print(f"    bench database's client backends, mean over the burst: {doing}")


async def run(args: argparse.Namespace, url: str) -> tuple[dict[str, list[dict[str, Any]]], int]:
    db = Database(url)
    world = await sales_world(db)
    token = (await auth.create_device_token(db, "sales", "bench")).token
    database = make_url(url).database
    assert database
    watch = (libpq(args.database_url), database)
    port = free_port()
    rounds: dict[str, list[dict[str, Any]]] = {policy: [] for policy in args.policies}
    floors = rounds.setdefault(FLOOR_NAME, [])
    with server_process(url, port, args.workers) as launcher:
        wait_healthy(port)
        profiler = None
        floor = orjson.dumps({"query": FLOOR})
        for index in range(args.rounds + 1):
            result = await burst(f"http://127.0.0.1:{port}", token, [floor] * args.orders,
                                 floor_outcome, watch, launcher.pid)
            wrong = [what for what in result["outcomes"] if what != FLOOR_OK]
            result["problems"] = wrong
            name = f"floor round {index}" if index else "floor warm-up (not counted)"
            print_burst(name, result, wrong, deadlocks(url))
            if index:
                floors.append(result)
        for policy in args.policies:
            for index in range(args.rounds + 1):
                sku = f"CONTENDED-{policy}-{index}"
                await fresh_product(db, world, sku, args.stock)
                if index == 1 and policy == args.policies[0] and args.py_spy:
                    profiler = start_profiler(launcher.pid, args.py_spy)
                    await asyncio.sleep(1.0)  # py-spy attaches
                bodies = [order_body(sku, policy, args.idempotency_key)
                          for _ in range(args.orders)]
                result = await burst(f"http://127.0.0.1:{port}", token, bodies, outcome_of,
                                     watch, launcher.pid)
                await asyncio.sleep(1.5)  # the backends flush their statistics
                result["problems"] = problems_of(policy, args.stock, args.orders,
                                                 result["outcomes"], database_state(url, sku))
                name = f"{policy} round {index}" if index else f"{policy} warm-up (not counted)"
                print_burst(name, result, result["problems"], deadlocks(url))
                if index:
                    rounds[policy].append(result)
        if profiler:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
    await db.dispose()
    await asyncio.sleep(1.0)  # the server's backends have exited and flushed their statistics
    return rounds, deadlocks(url)


def start_profiler(pid: int, output: str) -> subprocess.Popen[bytes]:
    """py-spy recording until interrupted (SIGINT makes it write the file)."""
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--output",
         output, "--format", "raw" if output.endswith(".txt") else "flamegraph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="concurrent orders per burst")
    parser.add_argument("--stock", type=int, default=100, help="units available per burst")
    parser.add_argument("--rounds", type=int, default=3, help="counted bursts per policy")
    parser.add_argument("--idempotency-key", action="store_true",
                        help="send a fresh idempotencyKey with each order")
    parser.add_argument("--py-spy", metavar="FILE", help="profile the server from the first "
                        "counted burst to the end (FILE.svg flame graph, FILE.txt collapsed "
                        "stacks)")
    parser.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES),
                        help="shortage policies to run, in this order")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (caixiao serve --workers)")
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"createSalesOrder contention: {args.orders} concurrent orders of 1 unit for one SKU "
          f"with {args.stock} available ({' + '.join(map(str, split_stock(args.stock)))} in two "
          f"bins), PostgreSQL, {args.workers} uvicorn worker(s), {os.cpu_count()} CPUs shared by "
          f"the clients, the server, PostgreSQL and anything else; each order its own keep-alive "
          f"connection, opened before the burst; idempotencyKey "
          f"{'sent' if args.idempotency_key else 'not sent'}; a fresh product per burst")
    with scratch_database(args.database_url) as url:
        upgrade(url)
        with psycopg.connect(libpq(url), autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            before = deadlocks(url)
        rounds, after = asyncio.run(run(args, url))
    failed = False
    for policy, results in rounds.items():
        latencies = [x for r in results for x in r["latencies"]]
        wall = sum(r["wall"] for r in results)
        p99 = percentile(latencies, 0.99) * 1000
        bad = sum(bool(r["problems"]) for r in results)
        failed |= bad > 0
        unit = "requests" if policy == FLOOR_NAME else "orders"
        print(f"  {policy} overall, {len(results)} rounds: {len(latencies) / wall:.0f} {unit}/s "
              f"({unit} / summed burst wall time), latency ms {ms(latencies)}; rounds with "
              f"wrong answers or database: {bad}")
        if policy == FLOOR_NAME:
            print(f"  the floor: p99 {p99:.0f} ms for {args.orders} bare authenticated requests "
                  f"at once; an order does all of that and more")
            continue
        print(f"  GOAL {policy}: p99 {p99:.0f} ms against <= {GOAL_MS:.0f} ms: "
              f"{'met' if p99 <= GOAL_MS else 'NOT met'}")
    print(f"  deadlocks in the bench database over the run (pg_stat_database, read after the "
          f"server stopped): {after - before}; PostgreSQL {version}")
    if args.py_spy:
        print(f"  the server was profiled by py-spy from the first counted burst on "
              f"({args.py_spy}, the BACKORDER warm-up included); the figures are perturbed by "
              "the sampling")
    print("  measured: wall = first send to last answer read (perf_counter, this process); "
          "throughput = orders / wall; latency = send to answer read per order; answers from "
          "the payloads; database from the tables after each burst; CPU = utime+stime from "
          "/proc/<pid>/stat over the burst, PostgreSQL's sampled every 50 ms, machine from "
          "/proc/stat")
    sys.exit(1 if failed or after != before else 0)


if __name__ == "__main__":
    main()
