"""``caixiao import``: load data kept elsewhere, acting as a named user.

``caixiao import KIND FILE`` for the master data and opening stock of ``server.imports``,
``caixiao import template KIND`` for a file to fill in, ``caixiao import sales-history FILE``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
from server.imports.kinds import KINDS, ImportKind, TemplateFormat, import_file, template
from server.imports.report import FileRejected, ImportOutcome, RowError
from server.sales.history_import import ImportSummary, import_sales_history

import_app = typer.Typer(
    help="Import data from files (.xlsx or UTF-8 CSV, a header row naming the columns).",
    no_args_is_help=True,
)
USER_HELP = "The user the import acts as; it needs the roles the matching mutation needs."


def _progress() -> Progress:
    columns = (TextColumn("Importing rows"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


def _kind_command(kind: ImportKind) -> Callable[..., None]:
    def command(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                             help="The .xlsx or .csv file.")],
        user: Annotated[str, typer.Option(help=USER_HELP)] = "admin",
        skip_bad_rows: Annotated[bool, typer.Option(
            "--skip-bad-rows", help="Import the good rows and list the bad ones left out, "
                                    "instead of importing nothing.")] = False,
    ) -> None:
        data = file.read_bytes()
        with reported_errors():
            settings = load_settings()
            with _progress() as progress:
                task = progress.add_task("rows", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                async def run(db: Database) -> ImportOutcome:
                    principal = await principal_named(db, user)
                    return await import_file(db, principal, kind, data,
                                             skip_bad_rows=skip_bad_rows, on_progress=advance)

                try:
                    outcome = with_database(settings, run)
                except FileRejected as rejected:
                    progress.stop()
                    _print_errors(rejected.errors, "Rows not imported")
                    rows = len({error.row for error in rejected.errors})
                    fail(f"{file.name}: {len(rejected.errors)} problems in {rows} rows, nothing "
                         "imported", EXIT_FAILED)
        console.print(f"Imported {outcome.imported:,} rows of {kind.value} from {file.name}: "
                      f"{outcome.created:,} created, {outcome.updated:,} updated.",
                      highlight=False)
        if outcome.skipped:
            _print_errors(outcome.skipped, "Rows skipped", console)
            console.print(f"Skipped rows ({len(outcome.skipped_rows)}): "
                          f"{', '.join(map(str, outcome.skipped_rows))}.", highlight=False)

    command.__doc__ = f"Import {KINDS[kind].summary}: every row, or none when any is bad."
    return command


for _kind in ImportKind:
    import_app.command(_kind.value)(_kind_command(_kind))


@import_app.command("template")
def import_template(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file_format: Annotated[TemplateFormat, typer.Option(
        "--format", help="Spreadsheet or CSV.")] = TemplateFormat.XLSX,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", dir_okay=False, help="Where to write; default KIND-template.FORMAT.",
    )] = None,
) -> None:
    """Write a file to fill in: the header row and one example row."""
    data, name, _ = template(kind, file_format)
    target = output or Path(name)
    target.write_bytes(data)
    console.print(f"Wrote {target} (columns: "
                  f"{', '.join(column.name for column in KINDS[kind].columns)}).",
                  highlight=False)


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
        with _progress() as progress:
            task = progress.add_task("rows", total=None)

            async def run(db: Database) -> ImportSummary:
                principal = await principal_named(db, user)
                return await import_sales_history(
                    db, principal, data, on_progress=lambda done: progress.advance(task, done))

            try:
                summary = with_database(settings, run)
            except FileRejected as rejected:
                progress.stop()
                _print_errors(rejected.errors, "Rows not imported")
                fail(f"{file.name}: {len(rejected.errors)} problems, nothing imported",
                     EXIT_FAILED)
    console.print(f"Imported {summary.rows:,} rows of sales history from {file.name}: "
                  f"{summary.products:,} products, {summary.warehouses:,} warehouses, weeks "
                  f"{summary.first_week} to {summary.last_week}.", highlight=False)


def _print_errors(errors: list[RowError], title: str, to: Console = err_console) -> None:
    table = Table("row", "column", "reason", title=title, title_justify="left")
    for error in errors:
        table.add_row(str(error.row), error.column, error.reason)
    to.print(table)
