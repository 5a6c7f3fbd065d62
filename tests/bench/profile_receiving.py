"""Server CPU of one goods receipt, in-process: the whole HTTP request through the ASGI app that
``caixiao serve`` runs (middleware, GraphQL, the use case, the audit entry, the event hub waking
after commit), and the ``receive_goods`` use case alone. Run as a script::

    .venv/bin/python tests/bench/profile_receiving.py [--receipts 300] [--profile FILE]

It builds the bench's scratch PostgreSQL database (tests/bench/bench_receiving.py: the same
master data, orders and receipt), warms up, then times receipts one after another with
``time.process_time`` (this process's CPU: there is no client or network in it), prints the
statements and transactions one receipt sends, and with ``--profile`` writes a cProfile of a
further batch of HTTP receipts (FILE.http) and of use-case calls (FILE.use_case). The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.app import CaixiaoGraphQL, create_app  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.event_hub import EventHub  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.ops.login_throttle import LoginThrottle  # noqa: E402
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine  # noqa: E402
from server.receiving.receipts import receive_goods  # noqa: E402
from tests.bench.bench_receiving import seed, start_ids_high  # noqa: E402
from tests.bench.bench_subscriptions import scratch_database  # noqa: E402
from tests.bench.receiving_load import Scanner, receipt_number, receive_body  # noqa: E402
from tests.bench.sql_replay import Recorder, Template  # noqa: E402

SCANNERS = 10


class AsgiDriver:
    """Calls an ASGI app directly: its lifespan, and POSTs answered in full."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lifespan: asyncio.Task[None] | None = None
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def start(self) -> None:
        self._lifespan = asyncio.create_task(self.app(
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        message = await self._from_app.get()
        assert message["type"] == "lifespan.startup.complete", message

    async def stop(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        assert self._lifespan is not None
        await self._lifespan

    async def post(self, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 40000),
                 "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"bench"), (b"content-length", str(len(body)).encode()),
                             *headers]}
        sent = False
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return b"".join(chunks)


def show(line: str) -> None:
    """Results go to stdout: the server's request log takes stderr, as under ``caixiao serve``."""
    print(line, flush=True)


def check_receipt(answer: bytes) -> None:
    payload = orjson.loads(answer)["data"]["receiveGoods"]
    assert payload["receipt"], payload


async def cpu_per_call(calls: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Milliseconds of this process's CPU per call, the event hub's work after them included."""
    gc.collect()
    started = time.process_time()
    for index in range(calls):
        await one(index)
    await asyncio.sleep(0.3)  # the event hub reads what the last commits wrote
    return (time.process_time() - started) * 1000 / calls


async def profiled(path: str, calls: int, one: Callable[[int], Awaitable[None]]) -> None:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for index in range(calls):
        await one(index)
    profile.disable()
    profile.dump_stats(path)


async def sampled(path: str, calls: int, one: Callable[[int], Awaitable[None]]) -> None:
    """py-spy's collapsed stacks of this process (CPU only) while ``calls`` receipts run."""
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(os.getpid()),
        "--rate", "250", "--format", "raw", "--output", path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1.0)  # py-spy attaches
    for index in range(calls):
        await one(index)
    spy.send_signal(signal.SIGINT)
    await asyncio.wait_for(spy.wait(), 30)


async def record_one(url: str, token: str, scanner: Scanner) -> Template:
    """One receipt's SQL, sent through an app of its own without the lifespan's background
    readers, whose statements would mingle with the receipt's."""
    db = Database(url)
    app = CaixiaoGraphQL(Settings(database_url=url), db, EventHub(db), LoginThrottle(5, 60))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    key = uuid.uuid4().hex
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers=headers) as http:
        with Recorder(db.engine, key) as recorder:
            receipt_number(await http.post("/graphql", content=receive_body(scanner, key)))
    await db.dispose()
    return recorder.template


async def measure(url: str, scanners: list[Scanner], token: str, args: argparse.Namespace) -> None:
    os.environ["CAIXIAO_DATABASE_URL"] = url
    app = create_app(Settings.from_env())
    driver = AsgiDriver(app)
    await driver.start()
    database: Database = app.state.services["database"]
    headers = [(b"authorization", f"Bearer {token}".encode()),
               (b"content-type", b"application/json")]

    async def over_http(index: int) -> None:
        scanner = scanners[index % len(scanners)]
        check_receipt(await driver.post("/graphql", receive_body(scanner, uuid.uuid4().hex),
                                        headers))

    async with database.reader() as session:
        principal = await auth.authenticate(session, token)
    assert principal is not None

    async def use_case(index: int) -> None:
        scanner = scanners[index % len(scanners)]
        await receive_goods(database, principal, ReceiptRequest(
            document=scanner.order_number, warehouse_code="WH1",
            idempotency_key=uuid.uuid4().hex,
            lines=[ReceiveLine(quantity=Decimal(1), sku=scanner.sku)]))

    for index in range(args.warm_up):
        await over_http(index)
    template = await record_one(url, token, scanners[0])
    show(f"one receipt: {len(template.statements)} statements in "
          f"{len(template.transactions)} transactions, {template.pings} pool pings")
    if args.show_sql:
        for number, transaction in enumerate(template.transactions, start=1):
            end = ("autocommit" if transaction.autocommit else
                   "commit" if transaction.committed else "rollback")
            show(f"-- transaction {number} ({end})")
            for statement in transaction.statements:
                show("   " + " ".join(statement.sql.split())[:160])
    for round_no in range(args.rounds):
        http_ms = await cpu_per_call(args.receipts, over_http)
        use_case_ms = await cpu_per_call(args.receipts, use_case)
        show(f"round {round_no + 1}: HTTP request {http_ms:.2f} ms CPU per receipt, "
              f"use case alone {use_case_ms:.2f} ms")
    if args.py_spy:
        await sampled(args.py_spy, args.receipts, over_http)
        show(f"py-spy samples: {args.py_spy}")
    if args.profile:
        await profiled(f"{args.profile}.http", args.receipts, over_http)
        await profiled(f"{args.profile}.use_case", args.receipts, use_case)
        show(f"profiles: {args.profile}.http, {args.profile}.use_case")
    await driver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=300, help="timed receipts per batch")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--py-spy", metavar="FILE", help="collapsed stacks of one more batch")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        upgrade(url)
        start_ids_high(url)

        async def run() -> None:
            db = Database(url)
            scanners, token = await seed(db, SCANNERS, SCANNERS)
            await db.dispose()
            await measure(url, scanners, token, args)

        asyncio.run(run())


if __name__ == "__main__":
    main()
