"""Benchmark: goods receipts per second through GraphQL ``receiveGoods``, beside bare psycopg
sending the same SQL, on PostgreSQL with 50 concurrent scanners; and the latency a scanner sees
at a paced load.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_receiving.py [--scanners 50] [--duration 20] [--pace 5]

What it does: creates a scratch PostgreSQL database with every id sequence started high (so a
captured id cannot be mistaken for a line number, see tests/bench/sql_replay.py) and builds,
through the real use cases, the master data of tests/world.py plus one non-QC product and one
purchase order of 1,000,000 units per scanner, approved by the purchase manager and so SENT.
Each scanner receives its own order, so the order row lock (receipts of one order take turns)
does not serialise them; all receipts still share the GR number sequence row (gap-free numbers,
locked until commit) and the NOTIFY at commit. A receipt is one line, quantity 1 of the
scanner's product by SKU, with a fresh idempotencyKey.

GraphQL: ONE server process (``caixiao serve``, one uvicorn worker) on 127.0.0.1, started afresh
for each GraphQL phase; the scanners are asyncio tasks sharing the keep-alive connections (up to
one per scanner) of one httpx.AsyncClient per client process. Bare: one receipt per scanner is
first sent through the same GraphQL app in-process while SQLAlchemy engine events record every
statement, its parameters, the rows RETURNING gave and the transaction boundaries (the token
lookup, the idempotency claim, the receipt, the read-back, the answer's loaders); each scanner
then replays its recording on its own psycopg.AsyncConnection (same statements, same
transactions), with a fresh key, GR number, RETURNING ids and timestamps substituted per
receipt.

Four phases, in this order: GraphQL and bare saturated (each scanner sends its next receipt as
soon as the last is answered, so the rate is the most the path gives and the latency is mostly
queueing), then GraphQL and bare paced (``--pace``: each scanner starts a receipt every so many
seconds, its first at a random moment of the first interval; one due while the scanner's last
is still running starts when that one ends, and is counted as late). The paced phases offer
scanners / pace receipts/s and their latency is what a scanner sees at that load; they warm up
one interval longer, so that every scanner's first receipt falls before the count.

Each phase warms up, then counts receipts completed within a fixed window; latency is one
receipt from sending to the answer, for the receipts completed in the window. CPU is
utime+stime from /proc/<pid>/stat of the server, the client processes, the bench database's
backends and PostgreSQL's background processes, and the machine's busy time from /proc/stat:
all of them share this machine's cores. pg_stat_activity,
sampled ten times a second, tells what the bench database's backends were doing (running,
waiting on a lock and in which statement, idle in a transaction = waiting for their client's
next statement).

The replay is checked: rows added per receipt and stock balances moved must match in all
phases, every write must touch as many rows as in the recording, and no captured-only value
may be sent again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.app import CaixiaoGraphQL  # noqa: E402
from server.catalog.drafts import ProductDraft, SupplierItemTerms  # noqa: E402
from server.catalog.products import create_product  # noqa: E402
from server.catalog.supplier_items import set_supplier_item  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import Database, utcnow  # noqa: E402
from server.event_hub import EventHub  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.ops.login_throttle import LoginThrottle  # noqa: E402
from tests.bench.bench_subscriptions import (  # noqa: E402
    free_port,
    scratch_database,
    server_process,
)
from tests.bench.receiving_load import (  # noqa: E402
    Scanner,
    graphql_client,
    receipt_number,
    receive_body,
    replay_client,
    run_phase,
    split,
)
from tests.bench.receiving_report import BARE, GRAPHQL, PACED, TABLES, report, show_sql  # noqa: E402
from tests.bench.sql_replay import Recorder, Replay, Template  # noqa: E402
from tests.receiving_setup import approved_order, receiving_world  # noqa: E402

ORDERED = 1_000_000
ID_STRIDE = 10_000_000  # sequence n starts at n × this; ids stay far below 2**31
FIRST_RECEIPT = 700_000  # GR-YYYY-700001 onwards: no receipt number looks like a small int
SETTINGS = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay")


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- set-up -------------------------------------------------------------------------------------

def start_ids_high(url: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
            "FROM pg_sequences ORDER BY 1")]
        for index, name in enumerate(names, start=1):
            conn.execute(f"ALTER SEQUENCE {name} RESTART WITH {index * ID_STRIDE}")
        conn.execute("INSERT INTO document_sequence (prefix, year, last_value) "
                     "VALUES ('GR', %s, %s)", (utcnow().year, FIRST_RECEIPT))


async def seed(db: Database, scanners: int, products: int) -> tuple[list[Scanner], str]:
    """One SENT order per scanner, for products spread round robin; the warehouse user's token."""
    world = await receiving_world(db)
    skus = [f"BENCH-{index:03d}" for index in range(products)]
    for sku in skus:
        await create_product(db, world.admin, ProductDraft(sku, f"Bench {sku}",
                                                           list_price=Decimal(30)))
        await set_supplier_item(db, world.admin, SupplierItemTerms(
            "S1", sku, price=Decimal(10), preferred=True))
    orders = []
    for index in range(scanners):
        sku = skus[index % products]
        order = await approved_order(db, world, {sku: ORDERED})
        assert order.number, order
        orders.append(Scanner(order.number, sku))
    token = (await auth.create_device_token(db, "warehouse", "bench")).token
    return orders, token


async def record_receipts(url: str, token: str, scanners: list[Scanner]) -> list[Template]:
    """One receipt per scanner through the GraphQL app in-process, recorded. Each order has had
    a receipt before, since an order's first (SENT → PARTIALLY_RECEIVED, new balance rows)
    differs from the rest."""
    db = Database(url)
    settings = Settings(database_url=url)
    app = CaixiaoGraphQL(settings, db, EventHub(db), LoginThrottle(
        settings.login_max_failures, settings.login_failure_window_seconds))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench", headers=headers) as http:
        for scanner in scanners:
            receipt_number(await http.post("/graphql",
                                           content=receive_body(scanner, uuid.uuid4().hex)))
        templates = []
        for scanner in scanners:
            key = uuid.uuid4().hex
            with Recorder(db.engine, key) as recorder:
                receipt_number(await http.post("/graphql", content=receive_body(scanner, key)))
            templates.append(recorder.template)
    await db.dispose()
    for template in templates:
        assert template.shape() == templates[0].shape(), "receipts differ in their SQL"
        Replay(template)  # fails here, not in a client, if an id could not be substituted
    return templates


# --- measuring ----------------------------------------------------------------------------------

def db_snapshot(url: str, skus: list[str]) -> dict[str, Decimal]:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        figures: dict[str, Decimal] = {}
        for table in TABLES:
            figures[table] = Decimal(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        stats = conn.execute(
            "SELECT xact_commit + xact_rollback, tup_inserted, tup_updated, tup_fetched "
            "FROM pg_stat_database WHERE datname = current_database()").fetchone()
        figures.update(zip(("transactions", "inserted", "updated", "fetched"),
                           map(Decimal, stats), strict=True))
        for bucket, quantity in conn.execute(
                "SELECT bucket, sum(quantity) FROM stock_position JOIN product "
                "ON product.id = stock_position.product_id WHERE product.sku = ANY(%s) "
                "GROUP BY bucket", (skus,)):
            figures[f"bucket {bucket}"] = quantity
        return figures


def settled_snapshot(url: str, skus: list[str]) -> dict[str, Decimal]:
    # A backend's table statistics reach pg_stat_database when it flushes them, at the latest
    # when it exits; the phases close their connections first, then give the flush a moment.
    time.sleep(1.5)
    return db_snapshot(url, skus)


def wait_healthy(port: int) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become healthy")


# --- the run ------------------------------------------------------------------------------------

def pg_settings(url: str) -> dict[str, str]:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}


def graphql_phase(args: argparse.Namespace, url: str, token: str, scanners: list[Scanner],
                  skus: list[str], pace: float) -> dict[str, Any]:
    port = free_port()
    with server_process(url, port) as launcher:
        wait_healthy(port)
        before = db_snapshot(url, skus)
        shares = [(f"http://127.0.0.1:{port}", token, share)
                  for share in split(scanners, args.client_processes)]
        phase = run_phase(graphql_client, shares, watch(args, url), args.warm_up + pace,
                          args.duration, pace, server_pid=launcher.pid,
                          py_spy=None if pace else args.py_spy)
    phase["db"] = delta(before, settled_snapshot(url, skus))
    return phase


def bare_phase(args: argparse.Namespace, url: str, templates: list[Template],
               skus: list[str], pace: float) -> dict[str, Any]:
    before = db_snapshot(url, skus)
    shares = [(libpq(url), share) for share in split(templates, args.client_processes)]
    phase = run_phase(replay_client, shares, watch(args, url), args.warm_up + pace,
                      args.duration, pace)
    phase["db"] = delta(before, settled_snapshot(url, skus))
    return phase


def watch(args: argparse.Namespace, url: str) -> tuple[str, str]:
    database = make_url(url).database
    assert database
    return libpq(args.database_url), database


def delta(before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: after[key] - before.get(key, Decimal(0)) for key in after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scanners", type=int, default=50)
    parser.add_argument("--products", type=int, default=0,
                        help="distinct products the scanners receive (default: one each)")
    parser.add_argument("--duration", type=float, default=20.0, help="counted seconds per phase")
    parser.add_argument("--warm-up", type=float, default=3.0, help="uncounted seconds first")
    parser.add_argument("--pace", type=float, default=5.0, metavar="SECONDS",
                        help="paced phases: each scanner starts a receipt every SECONDS "
                        "(0: saturated phases only)")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--py-spy", metavar="FILE", help="profile the server during the "
                        "counted saturated GraphQL window (FILE.svg flame graph, FILE.txt "
                        "collapsed stacks)")
    parser.add_argument("--show-sql", action="store_true",
                        help="print the statements one receipt sends, as recorded")
    parser.add_argument("--database-url", default=os.environ.get(
        "CAIXIAO_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    products = args.products or args.scanners
    with scratch_database(args.database_url) as url:
        upgrade(url)
        start_ids_high(url)
        started = time.time()

        async def prepare() -> tuple[list[Scanner], str, list[Template]]:
            db = Database(url)
            scanners, token = await seed(db, args.scanners, products)
            await db.dispose()
            return scanners, token, await record_receipts(url, token, scanners)

        scanners, token, templates = asyncio.run(prepare())
        setup_seconds = time.time() - started
        skus = sorted({s.sku for s in scanners})
        settings = pg_settings(url)
        phases = {GRAPHQL: graphql_phase(args, url, token, scanners, skus, 0.0),
                  BARE: bare_phase(args, url, templates, skus, 0.0)}
        if args.pace:
            phases[GRAPHQL + PACED] = graphql_phase(args, url, token, scanners, skus, args.pace)
            phases[BARE + PACED] = bare_phase(args, url, templates, skus, args.pace)
    report(args, products, settings, templates[0], phases, setup_seconds)
    if args.show_sql:
        show_sql(templates[0])


if __name__ == "__main__":
    main()
