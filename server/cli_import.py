"""``caixiao import``: load data kept elsewhere, acting as a named user."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from server.cli_support import (
    EXIT_FAILED,
    console,
    err_console,
    fail,
    load_settings,
    principal_named,
    reported_errors,
    with_database,
)
from server.db import Database
from server.imports.report import FileRejected, RowError
from server.sales.history_import import ImportSummary, import_sales_history

import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)


@import_app.command("sales-history")
def sales_history(
    file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, readable=True,
        help="CSV (UTF-8) with a header row: week, sku, warehouse, region (optional), quantity.",
    )],
    user: Annotated[str, typer.Option(
        help="The user the import acts as: an admin or a purchase manager.",
    )] = "admin",
) -> None:
    """Import weekly sales history: every row or, when any row is bad, none (each bad row is
    listed). A row replaces the imported quantity of its product, warehouse, week and region."""
    data = file.read_bytes()
    with reported_errors():
        settings = load_settings()
        columns = (TextColumn("Importing rows"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("rows", total=None)

            async def run(db: Database) -> ImportSummary:
                principal = await principal_named(db, user)
                return await import_sales_history(
                    db, principal, data, on_progress=lambda done: progress.advance(task, done))

            try:
                summary = with_database(settings, run)
            except FileRejected as rejected:
                progress.stop()
                _print_rejected(rejected.errors)
                fail(f"{file.name}: {len(rejected.errors)} problems, nothing imported",
                     EXIT_FAILED)
    console.print(f"Imported {summary.rows:,} rows of sales history from {file.name}: "
                  f"{summary.products:,} products, {summary.warehouses:,} warehouses, weeks "
                  f"{summary.first_week} to {summary.last_week}.", highlight=False)


def _print_rejected(errors: list[RowError]) -> None:
    table = Table("row", "column", "reason", title="Rows not imported", title_justify="left")
    for error in errors:
        table.add_row(str(error.row), error.column, error.reason)
    err_console.print(table)
