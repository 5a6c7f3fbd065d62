"""Benchmark: commit-to-delivery latency of ``stockChanged`` to 1,000 WebSocket subscribers.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_subscriptions.py [--subscribers 1000] [--rate 10]

What it does: creates a scratch PostgreSQL database, starts ONE server process (``caixiao
serve``, one uvicorn worker), opens N WebSocket connections (graphql-transport-ws, each with one
``stockChanged`` subscription) spread over client processes, then posts a stream of stock
adjustments at a fixed rate from the bench process through the inventory use case
(``adjust_stock``: ledger row, balances, quant, STOCK_CHANGED event and NOTIFY in one
transaction); the NOTIFY wakes the server's reader, which fans the event out.
Latency of one delivery = wall-clock time a client received the message minus the time the
writer's COMMIT returned; all processes share the machine's clock. Server CPU is the server
process's user+system time (/proc/<pid>/stat) over the streaming phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.db import Database  # noqa: E402
from server.inventory.service import adjust_stock  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.stock_setup import StockWorld, adjustment, build_stock_world  # noqa: E402

SUBSCRIPTION = (
    'subscription { stockChanged(warehouseCode: "BENCH") '
    "{ cursor sku documentNumber positionVersion levels { available onHand } } }"
)
COMPRESSION = os.environ.get("BENCH_COMPRESSION", "deflate") or None
MEASURED, WARM_UP, STOP = "BENCH-SKU", "WARM-UP", "STOP"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    name = f"caixiao_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server_process(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    caixiao = Path(sys.executable).with_name("caixiao")
    env = {**os.environ, "CAIXIAO_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [str(caixiao), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime), counted after the ")" that ends the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- client processes ---------------------------------------------------------------------------

async def _one_subscriber(url: str, token: str, received: list[tuple[str, float]],
                          subscribed: asyncio.Event) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  max_queue=None, ping_interval=None, open_timeout=120,
                                  compression=COMPRESSION) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIPTION}}))
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message["type"] != "next":
                raise RuntimeError(f"unexpected message {message}")
            change = message["payload"]["data"]["stockChanged"]
            # The first warm-up change to arrive proves the server registered this subscription.
            subscribed.set()
            if change["sku"] == STOP:
                return
            received.append((change["documentNumber"], now))


async def _client_main(url: str, token: str, count: int, pipe: Connection) -> None:
    received: list[list[tuple[str, float]]] = [[] for _ in range(count)]
    events = [asyncio.Event() for _ in range(count)]
    tasks = []
    for index in range(count):
        task = asyncio.create_task(_one_subscriber(url, token, received[index], events[index]))
        # A subscriber that fails before its first change must not leave the bench waiting.
        task.add_done_callback(lambda _task, ready=events[index]: ready.set())
        tasks.append(task)
        if index % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.gather(*(event.wait() for event in events))
    failed = [repr(t.exception()) for t in tasks if t.done() and t.exception() is not None]
    pipe.send(("connected", failed))
    done, _pending = await asyncio.wait(tasks, timeout=600)
    errors = [repr(t.exception()) for t in done if t.exception() is not None]
    pipe.send({"received": received, "errors": errors})


def client_process(url: str, token: str, count: int, pipe: Connection) -> None:
    asyncio.run(_client_main(url, token, count, pipe))


# --- the writer ---------------------------------------------------------------------------------

async def post_adjustment(db: Database, world: StockWorld, sku: str) -> tuple[str, float]:
    """One adjustment of +1; its document number and the wall time its COMMIT returned."""
    request = adjustment(sku, "BENCH-A", 1, warehouse="BENCH", unit_cost="1.00")
    movement = await adjust_stock(db, world.keeper, request)
    return movement.document_number, time.time()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    db = Database(database_url)
    world = await build_stock_world(db, {"BENCH": ["BENCH-A"]}, skus=(MEASURED, WARM_UP, STOP))
    token = (await auth.create_device_token(db, world.keeper.username, "bench")).token
    port = free_port()
    with server_process(database_url, port) as launcher:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        url = f"ws://127.0.0.1:{port}/graphql"
        per_process = [args.subscribers // args.client_processes] * args.client_processes
        per_process[0] += args.subscribers - sum(per_process)
        context = multiprocessing.get_context("spawn")
        pipes, processes = [], []
        for count in per_process:
            parent, child = context.Pipe()
            process = context.Process(target=client_process, args=(url, token, count, child))
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            # Warm-up events go out until every subscriber has received one, which proves every
            # subscription is registered on the server.
            connect_started = time.time()
            waiting = set(range(len(pipes)))
            while waiting:
                if time.time() - connect_started > 300:
                    raise RuntimeError("subscribers did not all connect within 300s")
                await post_adjustment(db, world, WARM_UP)
                await asyncio.sleep(0.5)
                for index in list(waiting):
                    if pipes[index].poll():
                        _status, failed = pipes[index].recv()
                        if failed:
                            raise RuntimeError(f"{len(failed)} subscribers failed: {failed[:3]}")
                        waiting.discard(index)
            connect_seconds = time.time() - connect_started
            await asyncio.sleep(1.0)
            pid = launcher.pid
            cpu_before, wall_before = cpu_seconds(pid), time.time()
            client_cpu_before = sum(cpu_seconds(p.pid) for p in processes if p.pid)
            committed: dict[str, float] = {}
            interval = 1.0 / args.rate
            next_at = time.perf_counter()
            for _ in range(args.events):
                number, committed_at = await post_adjustment(db, world, MEASURED)
                committed[number] = committed_at
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await asyncio.sleep(2.0)
            cpu_after, wall_after = cpu_seconds(pid), time.time()
            client_cpu_after = sum(cpu_seconds(p.pid) for p in processes if p.pid)
            await post_adjustment(db, world, STOP)
            results = []
            for pipe in pipes:
                assert pipe.poll(120), "clients did not report"
                results.append(pipe.recv())
        finally:
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
    await db.dispose()
    latencies: list[float] = []
    missing = 0
    errors: list[str] = []
    for result in results:
        errors += result["errors"]
        for subscriber in result["received"]:
            got = {number: at for number, at in subscriber}
            for number, at in committed.items():
                if number in got:
                    latencies.append(got[number] - at)
                else:
                    missing += 1
    return {
        "latencies": latencies, "missing": missing, "errors": errors,
        "cpu": cpu_after - cpu_before, "wall": wall_after - wall_before,
        "client_cpu": client_cpu_after - client_cpu_before,
        "connect_seconds": connect_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=150, help="adjustments in the stream")
    parser.add_argument("--rate", type=float, default=5.0, help="adjustments per second")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        upgrade(url)
        figures = asyncio.run(run(args, url))
    latencies = [x * 1000 for x in figures["latencies"]]
    deliveries = args.subscribers * args.events
    print(f"stockChanged fan-out: {args.subscribers} WebSocket subscribers on one uvicorn "
          f"worker (PostgreSQL), {args.events} adjustments posted at {args.rate:g}/s, "
          f"{args.client_processes} client processes, {os.cpu_count()} CPUs")
    print(f"  connected all subscribers in {figures['connect_seconds']:.1f}s")
    print(f"  deliveries: {len(latencies)} of {deliveries} expected, missing {figures['missing']},"
          f" client errors {len(figures['errors'])}")
    if latencies:
        print(f"  commit-to-delivery latency ms: p50 {percentile(latencies, 0.50):.1f}  "
              f"p95 {percentile(latencies, 0.95):.1f}  p99 {percentile(latencies, 0.99):.1f}  "
              f"max {max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}")
    print(f"  server CPU: {figures['cpu']:.2f}s over {figures['wall']:.1f}s of streaming = "
          f"{100 * figures['cpu'] / figures['wall']:.0f}% of one core; the client processes "
          f"together {100 * figures['client_cpu'] / figures['wall']:.0f}%")
    print("  measured: latency = client receive wall time - writer COMMIT return wall time; "
          "CPU = utime+stime of the server process from /proc/<pid>/stat")


if __name__ == "__main__":
    main()
