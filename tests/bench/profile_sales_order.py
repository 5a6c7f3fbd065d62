"""Server CPU of one ``createSalesOrder``, by phase, in-process. Run as a script::

    .venv/bin/python tests/bench/profile_sales_order.py [--orders 200] [--stock 100] [--profile F]

It builds the contention bench's scratch PostgreSQL database and master data
(tests/bench/bench_sales_contention.py), starts the ASGI app ``caixiao serve`` runs (its lifespan
too: event hub, webhook worker), and per shortage policy sends ``--orders`` orders of one unit
for a fresh product with ``--stock`` units, ONE AFTER ANOTHER through httpx's ASGI transport: the
first ``--stock`` reserve, the rest are refused or backordered. Nothing else runs, so the
``time.process_time`` spent inside each phase (a wrapper around the functions that start it,
nested phases included in their parents) is that phase's CPU. Printed per outcome: mean CPU per
order of each phase, and the SQL statements sent. The same rows in a burst cost the same, plus
the waiting; what the burst adds is how often the live recompute runs. ``--profile F``
writes a cProfile to F (own time per function is right; cumulative times are not, as SQLAlchemy's
greenlets confuse them) of one more policy round. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.bench.bench_sales_contention import (  # noqa: E402
    POLICIES,
    fresh_product,
    order_body,
    outcome_of,
)
from tests.bench.bench_subscriptions import scratch_database  # noqa: E402
from tests.sales_setup import sales_world  # noqa: E402

# (label, module, attribute path): the phases, outermost first; a module's global is wrapped
# where it is looked up, so a function imported by name is wrapped in the importing module.
PHASES = (
    ("  bearer token -> principal", "server.app", "CaixiaoGraphQL._principal"),
    ("  strawberry execute (parse, validate, resolve)", "strawberry.schema.schema",
     "Schema.execute"),
    ("    audit entry (own transaction)", "schema.audit", "record"),
    ("    use case create_sales_order", "server.sales.orders", "create_sales_order"),
    ("      customer, warehouse, products", "server.sales.orders", "customer_by_code"),
    ("", "server.sales.orders", "warehouse_by_code"),
    ("", "server.sales.orders", "_products"),
    ("      lock the stock (cost rows)", "server.sales.orders", "lock_stock"),
    ("", "server.sales.orders", "lock_for_posting"),
    ("      plan_new_stock", "server.sales.orders", "plan_new_stock"),
    ("      next_number", "server.sales.orders", "next_number"),
    ("      StockPlan.apply", "server.sales.reserve", "StockPlan.apply"),
    ("        post_moves", "server.sales.reserve", "post_moves"),
    ("        low stock, putaways", "server.sales.reserve", "_low_stock"),
    ("", "server.sales.reserve", "settle_putaways"),
    ("        announce_backorders", "server.sales.reserve", "announce_backorders"),
    ("      order_event", "server.sales.orders", "order_event"),
    ("      commit (ending the transaction)", "sqlalchemy.ext.asyncio.session",
     "AsyncSessionTransaction.__aexit__"),
    ("      live recompute (after commit)", "server.db", "react"),
    ("      answer read back", "server.sales.orders", "_outcome"),
)


class Phases:
    """CPU seconds spent inside each wrapped function, summed per label."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.originals: list[tuple[Any, str, Any]] = []
        self.statements: list[str] = []

    def wrap(self, label: str, owner: Any, name: str) -> None:
        original = getattr(owner, name, None)
        if original is None:  # not in this version of the code
            return
        seconds = self.seconds

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await original(*args, **kwargs)
            finally:
                seconds[label] += time.process_time() - started

        self.originals.append((owner, name, original))
        setattr(owner, name, timed)

    def install(self) -> None:
        label = ""
        for shown, module_name, path in PHASES:
            label = shown or label  # a blank label adds to the phase above it
            owner: Any = __import__(module_name, fromlist=["_"])
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            self.wrap(label, owner, name)

    def count_statements(self, database: Database) -> None:
        @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
        def counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.statements.append(" ".join(statement.split())[:150])


def timed_app(app: Any, phases: Phases) -> Callable[..., Any]:
    async def run(scope: Any, receive: Any, send: Any) -> None:
        started = time.process_time()
        try:
            await app(scope, receive, send)
        finally:
            phases.seconds["the whole request (ASGI app)"] += time.process_time() - started
    return run


async def round_of(client: httpx.AsyncClient, db: Database, world: Any, phases: Phases,
                   policy: str, sku: str, args: argparse.Namespace
                   ) -> dict[str, tuple[int, Counter[str], int]]:
    """Per outcome: how many, CPU per phase summed, statements summed."""
    await fresh_product(db, world, sku, args.stock)
    totals: dict[str, tuple[int, Counter[str], int]] = defaultdict(lambda: (0, Counter(), 0))
    for _ in range(args.orders):
        phases.seconds.clear()
        phases.statements = []
        response = await client.post("/graphql", content=order_body(sku, policy, False))
        outcome = outcome_of(response)
        count, seconds, statements = totals[outcome]
        if args.show_sql and not count:
            print(f"{policy}, {outcome}: the statements of one order", *phases.statements,
                  sep="\n  ")
        totals[outcome] = (count + 1, seconds + phases.seconds,
                           statements + len(phases.statements))
    return totals


def report(policy: str, totals: dict[str, tuple[int, Counter[str], int]]) -> None:
    labels = ["the whole request (ASGI app)",
              *dict.fromkeys(label for label, _, _ in PHASES if label)]
    for outcome, (count, seconds, statements) in totals.items():
        print(f"{policy}, {outcome}: {count} orders, {statements / count:.1f} SQL statements "
              f"each; CPU ms per order:")
        for label in labels:
            print(f"  {label:<52} {1000 * seconds[label] / count:7.2f}")


async def run(args: argparse.Namespace, url: str) -> None:
    db = Database(url)
    world = await sales_world(db)
    token = (await auth.create_device_token(db, "sales", "bench")).token
    app = create_app(Settings(database_url=url, log_format="json"))
    phases = Phases()
    phases.install()
    async with app.router.lifespan_context(app):
        phases.count_statements(app.state.services["database"])
        transport = httpx.ASGITransport(app=timed_app(app, phases))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"}) as client:
            await round_of(client, db, world, phases, "REJECT", "WARM-UP",
                           argparse.Namespace(**{**vars(args), "show_sql": False}))
            for policy in POLICIES:
                report(policy, await round_of(client, db, world, phases, policy,
                                              f"TIMED-{policy}", args))
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for policy in POLICIES:
                    await round_of(client, db, world, phases, policy, f"PROFILED-{policy}",
                                   args)
                profile.disable()
                profile.dump_stats(args.profile)
                print(f"cProfile of one more round per policy written to {args.profile}")
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--show-sql", action="store_true",
                        help="print the statements of one order per outcome")
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        upgrade(url)
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
