"""Benchmark: goods receipts per second through GraphQL ``receiveGoods``, beside bare psycopg
sending the same SQL, on PostgreSQL with 50 concurrent scanners.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_receiving.py [--scanners 50] [--duration 20]

What it does: creates a scratch PostgreSQL database with every id sequence started high (so a
captured id cannot be mistaken for a line number, see tests/bench/sql_replay.py) and builds,
through the real use cases, the master data of tests/world.py plus one non-QC product and one
purchase order of 1,000,000 units per scanner, approved by the purchase manager and so SENT.
Each scanner receives its own order, so the order row lock (receipts of one order take turns)
does not serialise them; all receipts still share the GR number sequence row (gap-free numbers,
locked until commit) and the NOTIFY at commit. A receipt is one line, quantity 1 of the
scanner's product by SKU, with a fresh idempotencyKey.

GraphQL: ONE server process (``caixiao serve``, one uvicorn worker) on 127.0.0.1; the scanners are
asyncio tasks, each with its own keep-alive connection of one httpx.AsyncClient per client
process, posting one receipt after another. Bare: one receipt per scanner is first sent through
the same GraphQL app in-process while SQLAlchemy engine events record every statement, its
parameters, the rows RETURNING gave and the transaction boundaries (the token lookup, the
idempotency claim, the receipt, the read-back, the answer's loaders); each scanner then replays
its recording on its own psycopg.AsyncConnection (same statements, same transactions), with a
fresh key, GR number, RETURNING ids and timestamps substituted per receipt.

Both phases warm up, then count receipts completed within a fixed window; latency is one
receipt from sending to the answer. CPU is utime+stime from /proc/<pid>/stat of the server, the
client processes, the bench database's backends and PostgreSQL's background processes, and the
machine's busy time from /proc/stat: all of them share this machine's cores. pg_stat_activity,
sampled ten times a second, tells what the bench database's backends were doing (running,
waiting on a lock and in which statement, idle in a transaction = waiting for their client's
next statement).

The replay is checked: rows added per receipt and stock balances moved must match the GraphQL
phase's, every write must touch as many rows as in the recording, and no captured-only value
may be sent again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
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
from tests.bench.bench_subscriptions import (  # noqa: E402
    free_port,
    percentile,
    scratch_database,
    server_process,
)
from tests.bench.receiving_load import (  # noqa: E402
    CHECKED_RECEIPTS,
    Scanner,
    graphql_client,
    receipt_number,
    receive_body,
    replay_client,
    run_phase,
    split,
)
from tests.bench.sql_replay import Recorder, Replay, Template  # noqa: E402
from tests.receiving_setup import approved_order, receiving_world  # noqa: E402

ORDERED = 1_000_000
ID_STRIDE = 10_000_000  # sequence n starts at n × this; ids stay far below 2**31
FIRST_RECEIPT = 700_000  # GR-YYYY-700001 onwards: no receipt number looks like a small int
TABLES = ("receipt", "receipt_line", "stock_ledger", "event", "warehouse_task",
          "idempotency_record")
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
    app = CaixiaoGraphQL(Settings(database_url=url), db, EventHub(db))
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
                  skus: list[str]) -> dict[str, Any]:
    port = free_port()
    with server_process(url, port) as launcher:
        wait_healthy(port)
        before = db_snapshot(url, skus)
        shares = [(f"http://127.0.0.1:{port}", token, share)
                  for share in split(scanners, args.client_processes)]
        phase = run_phase(graphql_client, shares, watch(args, url), args.warm_up,
                          args.duration, server_pid=launcher.pid, py_spy=args.py_spy)
    phase["db"] = delta(before, settled_snapshot(url, skus))
    return phase


def bare_phase(args: argparse.Namespace, url: str, templates: list[Template],
               skus: list[str]) -> dict[str, Any]:
    before = db_snapshot(url, skus)
    shares = [(libpq(url), share) for share in split(templates, args.client_processes)]
    phase = run_phase(replay_client, shares, watch(args, url), args.warm_up,
                      args.duration)
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
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--py-spy", metavar="FILE", help="profile the server during the counted "
                        "GraphQL window (FILE.svg flame graph, FILE.txt collapsed stacks)")
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
        graphql = graphql_phase(args, url, token, scanners, skus)
        bare = bare_phase(args, url, templates, skus)
    report(args, products, settings, templates[0], graphql, bare, setup_seconds)
    if args.show_sql:
        show_sql(templates[0])


def show_sql(template: Template) -> None:
    for number, transaction in enumerate(template.transactions, start=1):
        end = "COMMIT" if transaction.committed else "ROLLBACK"
        print(f"transaction {number} ({len(transaction.statements)} statements, {end}):")
        for statement in transaction.statements:
            rows = f"[{statement.rowcount} rows{', many' if statement.many else ''}]"
            print(f"  {rows:>12} {' '.join(statement.sql.split())[:160]}")


def report(args: argparse.Namespace, products: int, settings: dict[str, str],
           template: Template, graphql: dict[str, Any], bare: dict[str, Any],
           setup_seconds: float) -> None:
    statements = len(template.statements)
    shape = ", ".join(f"{'commit' if committed else 'read'} {len(sqls)}"
                      for committed, sqls in template.shape())
    print(f"receiveGoods throughput: {args.scanners} concurrent scanners, each receiving its own "
          f"purchase order (so the order row lock does not serialise them), {products} products;"
          f" PostgreSQL {settings['server_version']} with synchronous_commit="
          f"{settings['synchronous_commit']}, fsync={settings['fsync']}, wal_sync_method="
          f"{settings['wal_sync_method']}, commit_delay={settings['commit_delay']}; "
          f"{os.cpu_count()} CPUs shared by the clients, the server and PostgreSQL")
    print(f"  one receipt = 1 line, quantity 1 by SKU, fresh idempotencyKey: "
          f"{len(template.transactions)} transactions ({shape} statements), {statements} "
          f"statements; plus, on the GraphQL path only, {template.pings} pool pre-pings (an "
          "empty query in autocommit each: a round trip, and a transaction to PostgreSQL's "
          "statistics) and the server's event reader (a transaction per wake-up)")
    print(f"  set-up (master data, {args.scanners} approved orders, recording) "
          f"{setup_seconds:.0f}s; each phase: {args.warm_up:g}s warm-up, then {args.duration:g}s "
          f"counted; {args.client_processes} client process(es)")
    rates = {}
    for name, phase, how in [
        ("GraphQL", graphql, "1 uvicorn worker, httpx keep-alive"),
        ("bare psycopg", bare, f"{args.scanners} psycopg.AsyncConnection, same statements in "
                               "the same transactions"),
    ]:
        rates[name] = print_phase(name, phase, how)
    print(f"  statements per receipt: GraphQL path {statements} (recorded), bare "
          f"{bare['statements'] / max(bare['total'], 1):.1f} (executed)")
    ratio = rates["GraphQL"] / rates["bare psycopg"] if rates["bare psycopg"] else float("nan")
    p99 = percentile([x * 1000 for x in graphql["latencies"]], 0.99) if graphql["latencies"] \
        else float("nan")
    print(f"  RATIO GraphQL / bare: {ratio:.2f} (goal >= 0.5); GraphQL p99 {p99:.1f} ms "
          "(goal <= 50 ms)")
    print_checks(graphql, bare)
    if args.py_spy:
        print(f"  the server was profiled by py-spy during the GraphQL window ({args.py_spy}); "
              "its figures are perturbed by the sampling")
    print("  measured: rate = receipts completed in the counted window / its length; latency = "
          "send to answer read, per receipt (all its transactions for the bare loop); CPU = "
          "utime+stime from /proc/<pid>/stat over the counted window, machine from /proc/stat; "
          "PostgreSQL counts from pg_stat_database and the tables, before and after each phase")


def print_phase(name: str, phase: dict[str, Any], how: str) -> float:
    latencies = [x * 1000 for x in phase["latencies"]]
    cpu = phase["cpu"]
    rate = len(latencies) / cpu["wall"]
    receipts = phase["db"]["receipt"] or Decimal(1)
    print(f"  {name} ({how}):")
    first_error = f" (first: {phase['errors'][0]})" if phase["errors"] else ""
    print(f"    {rate:.0f} receipts/s ({len(latencies)} in {cpu['wall']:.1f}s), failed "
          f"{phase['failed']}{first_error}")
    if latencies:
        print(f"    latency ms: p50 {percentile(latencies, 0.50):.1f}  p95 "
              f"{percentile(latencies, 0.95):.1f}  p99 {percentile(latencies, 0.99):.1f}  max "
              f"{max(latencies):.1f}  mean {statistics.fmean(latencies):.1f}")
    share = {key: 100 * cpu[key] / cpu["wall"] for key in ("server", "clients", "postgres",
                                                            "machine")}
    others = share["machine"] - share["server"] - share["clients"] - share["postgres"]
    server = f"server {cpu['server']:.1f}s = {share['server']:.0f}% of a core, " \
        if cpu["server"] else ""
    print(f"    CPU over the window: {server}client processes {share['clients']:.0f}%, "
          f"PostgreSQL {share['postgres']:.0f}% (this database's backends and the background "
          f"processes), anything else {others:.0f}%; whole machine busy "
          f"{share['machine']:.0f}% of {100 * (os.cpu_count() or 1)}%")
    activity = ", ".join(f"{what} {mean:.1f}" for what, mean in phase["activity"].items())
    print(f"    PostgreSQL backends of the bench database, mean over the window: {activity}")
    db = phase["db"]
    print(f"    PostgreSQL per receipt: {db['transactions'] / receipts:.2f} transactions, "
          f"{db['inserted'] / receipts:.2f} rows inserted, {db['updated'] / receipts:.2f} "
          f"updated, {db['fetched'] / receipts:.1f} fetched ({int(db['receipt'])} receipts in "
          f"the phase, warm-up included)")
    return rate


def print_checks(graphql: dict[str, Any], bare: dict[str, Any]) -> None:
    rows = {}
    for name, phase in [("GraphQL", graphql), ("bare", bare)]:
        db, total = phase["db"], phase["total"]
        receipts = db["receipt"]
        assert receipts == total, f"{name}: {receipts} receipts written, {total} answered"
        assert db["bucket available"] == receipts and db["bucket on_order"] == -receipts, \
            f"{name}: balances moved {db['bucket available']} / {db['bucket on_order']}"
        rows[name] = [db[t] / receipts for t in TABLES]
    assert rows["GraphQL"] == rows["bare"], f"rows per receipt differ: {rows}"
    assert not bare["mismatches"], f"row counts differ from the recording: {bare['mismatches']}"
    print(f"  replay check: rows added per receipt ({', '.join(TABLES)}) "
          f"{'/'.join(f'{x:g}' for x in rows['bare'])} in both phases; available +1 and "
          "on_order -1 per receipt in both; every replayed write touched as many rows as "
          f"recorded; {bare['substituted'] / max(bare['total'], 1):.1f} values substituted per "
          f"receipt, none of the recording's own left (asserted on the first {CHECKED_RECEIPTS} "
          "receipts of each connection)")
    growing: dict[str, tuple[int, int]] = {}
    for sql, recorded, most in bare["growing"]:
        low, high = growing.get(sql, (recorded, most))
        growing[sql] = (min(low, recorded), max(high, most))
    for sql, (recorded, most) in growing.items():
        print(f"  a read that grows as receipts pile up: {recorded} rows when first recorded, up "
              f"to {most} in the bare phase: {' '.join(sql.split())[:150]}")


if __name__ == "__main__":
    main()
