"""``caixiao user``, ``caixiao token`` and ``caixiao demo``: administration from the shell."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from server import auth, migrate
from server.auth import Role
from server.catalog.models import Supplier
from server.cli_support import (
    console,
    err_console,
    fail,
    load_settings,
    reported_errors,
    shown_url,
    with_database,
)
from server.config import Settings
from server.db import Database
from server.demo import (
    DEFAULT_PRODUCTS,
    DEMO_PASSWORD,
    MAX_PRODUCTS,
    NOT_EMPTY_MESSAGE,
    DemoStatus,
    DemoSummary,
    demo_status,
    load_demo,
)
from server.demo_data import USERS
from server.demo_documents import DemoDocuments, load_demo_documents
from server.errors import NotFound

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Issue API tokens.", no_args_is_help=True)


async def _supplier_id(db: Database, code: str) -> int:
    async with db.reader() as session:
        supplier_id = await session.scalar(select(Supplier.id).where(Supplier.code == code))
    if supplier_id is None:
        raise NotFound(f"no supplier with code {code!r}", field="supplier")
    return supplier_id


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    roles: Annotated[list[Role], typer.Option(
        "--role", "-r", help="A role to grant; repeat for several.", case_sensitive=False,
    )],
    password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, confirmation_prompt=True,
        help="At least 8 characters; asked for (hidden) when not given.",
    )],
    supplier: Annotated[str | None, typer.Option(
        help="Code of the supplier a supplier user belongs to.",
    )] = None,
    display_name: Annotated[str | None, typer.Option(
        help="Shown name; the username if omitted.",
    )] = None,
) -> None:
    """Create a user with one or more roles."""
    with reported_errors():
        settings = load_settings()

        async def create(db: Database) -> auth.Principal:
            supplier_id = await _supplier_id(db, supplier) if supplier else None
            return await auth.create_user(db, username, password, roles,
                                          display_name=display_name, supplier_id=supplier_id)

        principal = with_database(settings, create)
    granted = ", ".join(sorted(role.value for role in principal.roles))
    bound = f", supplier {supplier}" if supplier else ""
    console.print(f"Created user {principal.username} (roles: {granted}{bound}).", highlight=False)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the device acts as.")],
    name: Annotated[str, typer.Option(help="Device name, to recognise the token later.")] = "pda",
    days: Annotated[int, typer.Option(min=1, help="Days until the token expires.")] = 365,
) -> None:
    """Issue a long-lived device token (for a PDA); the token alone goes to stdout."""
    with reported_errors():
        settings = load_settings()
        issued = with_database(settings, lambda db: auth.create_device_token(
            db, username, name, timedelta(days=days)
        ))
    expires = f"{issued.expires_at:%Y-%m-%d %H:%M} UTC" if issued.expires_at else "never"
    err_console.print(
        f"Device token for {username} ({name}), expires {expires}. "
        "Only its hash is stored: copy it now.", highlight=False,
    )
    typer.echo(issued.token)


def demo(
    products: Annotated[int, typer.Option(
        min=1, max=MAX_PRODUCTS, help="How many products to create (the first 50 are curated).",
    )] = DEFAULT_PRODUCTS,
) -> None:
    """Load demo data into an empty database (migrating it to the latest schema first)."""
    with reported_errors():
        settings = load_settings()
        upgrade_to_head(settings)
        if with_database(settings, demo_status) is not DemoStatus.EMPTY:
            fail(NOT_EMPTY_MESSAGE)
        summary = _load_with_progress(settings, products)
        documents = with_database(settings, load_demo_documents)
    _print_summary(summary, documents)
    print_demo_logins()


def upgrade_to_head(settings: Settings) -> None:
    console.print(f"Upgrading {shown_url(settings.database_url)} to the latest schema "
                  "(alembic head)…", highlight=False)
    migrate.upgrade(settings.database_url)


def _load_with_progress(settings: Settings, products: int) -> DemoSummary:
    columns = (TextColumn("Loading products"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("products", total=products)
        return with_database(settings, lambda db: load_demo(
            db, products, on_progress=lambda done: progress.advance(task, done)
        ))


def _print_summary(summary: DemoSummary, documents: DemoDocuments) -> None:
    table = Table(title="Demo data loaded", show_header=False)
    for label, count in (("warehouses", summary.warehouses), ("locations", summary.locations),
                         ("suppliers", summary.suppliers), ("users", summary.users),
                         ("customers", summary.customers), ("products", summary.products),
                         ("barcodes", summary.barcodes),
                         ("supplier items", summary.supplier_items)):
        table.add_row(label, f"{count:,}")
    console.print(table)
    console.print(f"Ready for the dock: {documents.order_number}, shipped as "
                  f"{documents.notice_number} (pallet SSCC {documents.sscc}) — "
                  f"try `caixiao-pda receive {documents.notice_number}`.", highlight=False)


def print_demo_logins() -> None:
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("role")
    table.add_column("who")
    for user in USERS:
        table.add_row(user.username, user.role.value, user.display_name)
    console.print(table)


def prepare_demo(settings: Settings) -> None:
    """``serve --demo``: load the demo into an empty database; leave other data alone."""
    status = with_database(settings, demo_status)
    if status is DemoStatus.EMPTY:
        summary = with_database(settings, load_demo)
        _print_summary(summary, with_database(settings, load_demo_documents))
    elif status is DemoStatus.LOADED:
        console.print("Demo data already loaded.")
    else:
        console.print("The database already holds other data: demo data not loaded, "
                      "demo logins not available.")
        return
    print_demo_logins()
