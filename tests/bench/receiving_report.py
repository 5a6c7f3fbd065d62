"""What tests/bench/bench_receiving.py prints: the set-up, each phase's rate, latency, CPU and
PostgreSQL figures, the replay checks and the summary against the goals of issue 5."""

from __future__ import annotations

import argparse
import os
import statistics
from decimal import Decimal
from typing import Any

from tests.bench.bench_subscriptions import percentile
from tests.bench.receiving_load import CHECKED_RECEIPTS
from tests.bench.sql_replay import Template

TABLES = ("receipt", "receipt_line", "stock_ledger", "event", "warehouse_task",
          "idempotency_record")
GRAPHQL, BARE = "GraphQL", "bare psycopg"
PACED = " paced"  # suffix of the paced phases' names


def show_sql(template: Template) -> None:
    for number, transaction in enumerate(template.transactions, start=1):
        end = ("autocommit" if transaction.autocommit else
               "COMMIT" if transaction.committed else "ROLLBACK")
        print(f"transaction {number} ({len(transaction.statements)} statements, {end}):")
        for statement in transaction.statements:
            rows = f"[{statement.rowcount} rows{', many' if statement.many else ''}]"
            print(f"  {rows:>12} {' '.join(statement.sql.split())[:160]}")


def report(args: argparse.Namespace, products: int, settings: dict[str, str],
           template: Template, phases: dict[str, dict[str, Any]], setup_seconds: float) -> None:
    statements = len(template.statements)
    shape = ", ".join(f"{'commit' if committed else 'read'} {len(sqls)}"
                      for committed, sqls in template.shape())
    print(f"receiveGoods throughput and latency: {args.scanners} concurrent scanners, each "
          f"receiving its own purchase order (so the order row lock does not serialise them), "
          f"{products} products; PostgreSQL {settings['server_version']} with synchronous_commit="
          f"{settings['synchronous_commit']}, fsync={settings['fsync']}, wal_sync_method="
          f"{settings['wal_sync_method']}, commit_delay={settings['commit_delay']}; "
          f"{os.cpu_count()} CPUs shared by the clients, the server and PostgreSQL")
    print(f"  one receipt = 1 line, quantity 1 by SKU, fresh idempotencyKey: "
          f"{len(template.transactions)} transactions ({shape} statements), {statements} "
          f"statements; plus, on the GraphQL path only, {template.pings} pool pre-pings (an "
          "empty query in autocommit each: a round trip, and a transaction to PostgreSQL's "
          "statistics) and the server's event reader (a transaction per wake-up)")
    paced = f" (paced: {args.warm_up:g}s + one {args.pace:g}s interval, over which the first " \
        "receipts are spread)" if args.pace else ""
    print(f"  set-up (master data, {args.scanners} approved orders, recording) "
          f"{setup_seconds:.0f}s; each phase: {args.warm_up:g}s warm-up{paced}, then "
          f"{args.duration:g}s counted; {args.client_processes} client process(es)")
    how = {GRAPHQL: "1 uvicorn worker, httpx keep-alive",
           BARE: f"{args.scanners} psycopg.AsyncConnection, same statements in the same "
                 "transactions"}
    print("  SATURATED: each scanner sends its next receipt as soon as the last one is answered")
    rates = {name: print_phase(name, phases[name], how[name]) for name in (GRAPHQL, BARE)}
    print(f"  statements per receipt: GraphQL path {statements} (recorded), bare "
          f"{phases[BARE]['statements'] / max(phases[BARE]['total'], 1):.1f} (executed)")
    if args.pace:
        print(f"  PACED: each scanner starts a receipt every {args.pace:g}s, its first at a "
              f"random moment of the first interval; offered {offered(args):.1f} receipts/s")
        for name in (GRAPHQL, BARE):
            print_phase(name + PACED, phases[name + PACED], how[name], offered(args))
    print_checks(phases)
    if args.py_spy:
        print(f"  the server was profiled by py-spy during the saturated GraphQL window "
              f"({args.py_spy}); its figures are perturbed by the sampling")
    print("  measured: rate = receipts completed in the counted window / its length; latency = "
          "send to answer read, per receipt (all its transactions for the bare loop), of the "
          "receipts completed in the window; CPU = utime+stime from /proc/<pid>/stat over the "
          "counted window, machine from /proc/stat; PostgreSQL counts from pg_stat_database "
          "and the tables, before and after each phase")
    ratio = rates[GRAPHQL] / rates[BARE] if rates[BARE] else float("nan")
    print(f"  RATIO GraphQL / bare at saturation: {ratio:.2f} (goal >= 0.5); p99 there is "
          f"mostly queueing: GraphQL {p99(phases[GRAPHQL]):.1f} ms, bare {p99(phases[BARE]):.1f}"
          " ms")
    if args.pace:
        graphql, bare = phases[GRAPHQL + PACED], phases[BARE + PACED]
        print(f"  PACED LATENCY at {offered(args):.1f} receipts/s offered: GraphQL p99 "
              f"{p99(graphql):.1f} ms (goal <= 50 ms), bare p99 {p99(bare):.1f} ms "
              f"({len(graphql['latencies'])} and {len(bare['latencies'])} receipts)")
    else:
        print("  paced phases skipped (--pace 0)")


def offered(args: argparse.Namespace) -> float:
    return float(args.scanners / args.pace)


def p99(phase: dict[str, Any]) -> float:
    latencies = phase["latencies"]
    return percentile(latencies, 0.99) * 1000 if latencies else float("nan")


def print_phase(name: str, phase: dict[str, Any], how: str, offered: float = 0.0) -> float:
    latencies = [x * 1000 for x in phase["latencies"]]
    cpu = phase["cpu"]
    rate = len(latencies) / cpu["wall"]
    receipts = phase["db"]["receipt"] or Decimal(1)
    print(f"  {name} ({how}):")
    first_error = f" (first: {phase['errors'][0]})" if phase["errors"] else ""
    achieved = f"offered {offered:.1f} receipts/s, achieved " if offered else ""
    print(f"    {achieved}{rate:.1f} receipts/s ({len(latencies)} in {cpu['wall']:.1f}s), "
          f"failed {phase['failed']}{first_error}")
    if offered:
        print(f"    started late (the scanner's receipt before was still running when this one "
              f"was due): {phase['late']} of {phase['started']} started in the window")
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


def print_checks(phases: dict[str, dict[str, Any]]) -> None:
    rows = {}
    for name, phase in phases.items():
        db, total = phase["db"], phase["total"]
        receipts = db["receipt"]
        assert receipts == total, f"{name}: {receipts} receipts written, {total} answered"
        assert db["bucket available"] == receipts and db["bucket on_order"] == -receipts, \
            f"{name}: balances moved {db['bucket available']} / {db['bucket on_order']}"
        rows[name] = tuple(db[t] / receipts for t in TABLES)
    assert len(set(rows.values())) == 1, f"rows per receipt differ: {rows}"
    bare = [phase for name, phase in phases.items() if name.startswith(BARE)]
    mismatches = [m for phase in bare for m in phase["mismatches"]]
    assert not mismatches, f"row counts differ from the recording: {mismatches}"
    substituted = sum(p["substituted"] for p in bare) / max(sum(p["total"] for p in bare), 1)
    print(f"  replay check: rows added per receipt ({', '.join(TABLES)}) "
          f"{'/'.join(f'{x:g}' for x in rows[BARE])} in all {len(phases)} phases; available +1 "
          "and on_order -1 per receipt in each; every replayed write touched as many rows as "
          f"recorded; {substituted:.1f} values substituted per receipt, none of the recording's "
          f"own left (asserted on the first {CHECKED_RECEIPTS} receipts of each connection)")
    growing: dict[str, tuple[int, int]] = {}
    for phase in bare:
        for sql, recorded, most in phase["growing"]:
            low, high = growing.get(sql, (recorded, most))
            growing[sql] = (min(low, recorded), max(high, most))
    for sql, (recorded, most) in growing.items():
        print(f"  a read that grows as receipts pile up: {recorded} rows when first recorded, up "
              f"to {most} in the bare phases: {' '.join(sql.split())[:150]}")
