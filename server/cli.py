"""The ``caixiao`` command: serve the API, deliver webhooks, migrate the database, load the demo,
administer.

Settings come from ``CAIXIAO_*`` environment variables (server.config); every command reports
an expected failure as one line on stderr with exit code 1 (2 for bad settings).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import make_url

from schema import export_sdl
from server import migrate
from server.cli_admin import demo, prepare_demo, token_app, upgrade_to_head, user_app
from server.cli_import import import_app
from server.cli_planning import plan
from server.cli_support import (
    EXIT_BAD_SETTINGS,
    console,
    fail,
    load_settings,
    reported_errors,
    shown_url,
)
from server.config import Settings
from server.integrations.worker import run_worker

app = typer.Typer(
    help="Caixiao: procurement–sales backend (GraphQL API, migrations, demo data, users).",
    no_args_is_help=True,
    # An unexpected crash must not print local variables: they may hold passwords.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Migrate the database schema (alembic).", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(import_app, name="import")
app.command("plan")(plan)
app.command("demo")(demo)

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def _create_sqlite_file(settings: Settings) -> None:
    """Make sure the SQLite file's folder exists; SQLite creates the file on first connect."""
    path = make_url(settings.database_url).database
    if not path or path == ":memory:":
        return
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        console.print(f"Creating the SQLite database {file}.", highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes; more than 1 needs PostgreSQL.",
    )] = 1,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Load demo data into an empty database and print the demo logins.",
    )] = False,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql); the database is upgraded to head first."""
    with reported_errors():
        settings = load_settings()
        if workers > 1 and settings.is_sqlite:
            fail(
                f"--workers {workers} needs PostgreSQL: with SQLite, events are delivered by an "
                "in-process broker that cannot reach subscribers in other worker processes. "
                "Set CAIXIAO_DATABASE_URL=postgresql+psycopg://... or use --workers 1.",
                EXIT_BAD_SETTINGS,
            )
        if settings.is_sqlite:
            _create_sqlite_file(settings)
        upgrade_to_head(settings)
        if demo:
            prepare_demo(settings)
    shown_host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    console.print(f"GraphiQL: http://{shown_host}:{port}/graphql", highlight=False)
    # Stock events are small JSON pushed to many clients at once: compressing each frame per
    # connection costs more server CPU than it saves on the wire, and the sans-I/O websockets
    # protocol sends a burst with less overhead (tests/bench/bench_subscriptions.py).
    uvicorn.run("server.app:create_app", factory=True, host=host, port=port, workers=workers,
                ws="websockets-sansio", ws_per_message_deflate=False)


@app.command()
def worker(
    lanes: Annotated[int, typer.Option(
        min=1, max=64, help="Endpoints this process sends to at the same time.",
    )] = 4,
) -> None:
    """Deliver webhooks and chat alerts until stopped (Ctrl-C). Run it beside `caixiao serve`
    started with CAIXIAO_WEBHOOK_WORKER=0; several workers may share one PostgreSQL."""
    with reported_errors():
        settings = load_settings()
        upgrade_to_head(settings)
    console.print(f"Delivering webhooks from {shown_url(settings.database_url)}.",
                  highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, lanes))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    with reported_errors():
        settings = load_settings()
        migrate.upgrade(settings.database_url, revision)
    console.print(f"Upgraded {shown_url(settings.database_url)} to {revision}.", highlight=False)


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "base",
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Do not ask for confirmation.",
    )] = False,
) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    with reported_errors():
        settings = load_settings()
        if not yes:
            typer.confirm(
                f"Downgrade {shown_url(settings.database_url)} to {revision}? "
                "Tables the downgrade drops lose their data.",
                abort=True,
            )
        migrate.downgrade(settings.database_url, revision)
    console.print(f"Downgraded {shown_url(settings.database_url)} to {revision}.",
                  highlight=False)


@schema_app.command("export")
def schema_export() -> None:
    """Print the GraphQL schema (SDL)."""
    typer.echo(export_sdl())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
