"""``caixiao plan``: recompute every replenishment suggestion, as a named user."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from server.cli_support import (
    console,
    load_settings,
    principal_named,
    reported_errors,
    with_database,
)
from server.db import Database
from server.planning.engine import PlanSummary, plan_all


def plan(
    warehouse: Annotated[str | None, typer.Option(
        help="Only this warehouse (its code); all warehouses when left out.")] = None,
    user: Annotated[str, typer.Option(
        help="The user the run acts as: a purchaser, purchase manager or admin.")] = "admin",
) -> None:
    """Recompute the replenishment suggestions of every product × warehouse: demand pool,
    baseline forecast, rules and netting. Open suggestions are updated in place."""
    with reported_errors():
        settings = load_settings()
        columns = (TextColumn("Planning"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("pairs", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async def run(db: Database) -> PlanSummary:
                principal = await principal_named(db, user)
                return await plan_all(db, principal, warehouse_code=warehouse, progress=advance)

            summary = with_database(settings, run)
    console.print(f"Planned {summary.pairs:,} product × warehouse pairs in "
                  f"{summary.seconds:.1f} s: {summary.open_suggestions:,} open suggestions, "
                  f"{summary.urgent:,} urgent.", highlight=False)
