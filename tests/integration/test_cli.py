"""The ``caixiao`` command, driven in-process through typer's CliRunner on a database of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import Result
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from schema import export_sdl
from server import auth
from server.auth import Principal, Role
from server.catalog.models import Product, ProductBarcode, SupplierItem, Warehouse
from server.cli import app
from server.db import Database

T = TypeVar("T")
Invoke = Callable[..., Result]
PASSWORD = "s3cret-enough"


def _cli(url: str, **extra_env: str) -> Invoke:
    def invoke(*args: str, input: str | None = None) -> Result:
        runner = CliRunner(env={"CAIXIAO_DATABASE_URL": url, **extra_env})
        return runner.invoke(app, list(args), input=input)

    return invoke


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def cli(sqlite_file: Path) -> Invoke:
    return _cli(f"sqlite+aiosqlite:///{sqlite_file}")


@pytest.fixture
def migrated(cli: Invoke) -> Invoke:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    return cli


def _run(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _principal(sqlite_file: Path, token: str) -> Principal | None:
    async def look(db: Database) -> Principal | None:
        async with db.reader() as session:
            return await auth.authenticate(session, token)

    return _run(f"sqlite+aiosqlite:///{sqlite_file}", look)


def _assert_clean_failure(result: Result, exit_code: int, fragment: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0  # one line


def test_user_create_then_device_token_authenticates_as_that_user(
    migrated: Invoke, sqlite_file: Path
) -> None:
    created = migrated("user", "create", "alice", "--role", "purchaser", "--role", "sales",
                       "--password", PASSWORD)
    assert created.exit_code == 0, created.output
    assert "Created user alice (roles: purchaser, sales)" in created.stdout

    issued = migrated("token", "create", "alice", "--name", "scanner-7", "--days", "30")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert "\n" not in token and len(token) >= 40
    assert "scanner-7" in issued.stderr

    principal = _principal(sqlite_file, token)
    assert principal is not None
    assert principal.username == "alice"
    assert principal.roles == {Role.PURCHASER, Role.SALES}


def test_password_is_prompted_when_not_given(migrated: Invoke, sqlite_file: Path) -> None:
    created = migrated("user", "create", "bob", "--role", "qc",
                       input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output

    async def log_in(db: Database) -> auth.IssuedToken:
        return await auth.login(db, "bob", PASSWORD, timedelta(minutes=5))

    issued = _run(f"sqlite+aiosqlite:///{sqlite_file}", log_in)
    assert issued.principal.roles == {Role.QC}


@pytest.mark.parametrize(("args", "fragment"), [
    (("--role", "supplier", "--supplier", "NOPE"), "no supplier with code 'NOPE'"),
    (("--role", "supplier"), "a supplier user needs a supplier"),
])
def test_bad_user_input_is_one_clean_line(
    migrated: Invoke, args: tuple[str, ...], fragment: str
) -> None:
    result = migrated("user", "create", "carol", *args, "--password", PASSWORD)
    _assert_clean_failure(result, 1, fragment)


def test_duplicate_user_and_short_password_are_refused(migrated: Invoke) -> None:
    assert migrated("user", "create", "dave", "-r", "admin", "--password", PASSWORD).exit_code == 0
    _assert_clean_failure(
        migrated("user", "create", "dave", "-r", "admin", "--password", PASSWORD),
        1, "user 'dave' already exists",
    )
    _assert_clean_failure(
        migrated("user", "create", "erin", "-r", "admin", "--password", "short"),
        1, "at least 8 characters",
    )


def test_token_for_unknown_user_is_refused(migrated: Invoke) -> None:
    _assert_clean_failure(migrated("token", "create", "nobody"), 1, "no active user 'nobody'")


def test_bad_setting_exits_2_naming_the_variable(sqlite_file: Path) -> None:
    cli = _cli(f"sqlite+aiosqlite:///{sqlite_file}", CAIXIAO_MAX_PAGE_SIZE="0")
    _assert_clean_failure(cli("db", "upgrade"), 2, "CAIXIAO_MAX_PAGE_SIZE='0'")
    _assert_clean_failure(_cli("mysql://x/y")("db", "upgrade"), 2, "CAIXIAO_DATABASE_URL")


def test_unmigrated_database_points_at_db_upgrade(cli: Invoke) -> None:
    result = cli("user", "create", "frank", "-r", "admin", "--password", PASSWORD)
    _assert_clean_failure(result, 1, "caixiao db upgrade")


def test_unknown_revision_is_a_clean_error(cli: Invoke) -> None:
    _assert_clean_failure(cli("db", "upgrade", "nonesuch"), 1, "nonesuch")


def test_schema_export_prints_the_sdl(cli: Invoke) -> None:
    result = cli("schema", "export")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == export_sdl().strip()
    assert "login(input: LoginInput!): LoginPayload!" in result.stdout


def test_serve_refuses_several_workers_on_sqlite(cli: Invoke, sqlite_file: Path) -> None:
    result = cli("serve", "--workers", "2")
    _assert_clean_failure(result, 2, "needs PostgreSQL")
    assert "in-process broker" in result.stderr
    assert not sqlite_file.exists()  # refused before touching anything


def test_demo_loads_counts_and_refuses_twice(cli: Invoke, sqlite_file: Path) -> None:
    result = cli("demo", "--products", "120")
    assert result.exit_code == 0, result.output
    assert "caixiao-demo" in result.stdout

    async def counts(db: Database) -> tuple[int, ...]:
        async with db.reader() as session:
            return tuple([
                await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Warehouse, Product, ProductBarcode, SupplierItem)
            ])

    warehouses, products, barcodes, items = _run(f"sqlite+aiosqlite:///{sqlite_file}", counts)
    assert (warehouses, products) == (3, 120)
    assert barcodes > products and items > products
    assert f"{barcodes:,}" in result.stdout

    _assert_clean_failure(cli("demo"), 1, "already holds data")


def test_demo_rejects_an_impossible_size(cli: Invoke) -> None:
    result = cli("demo", "--products", "100001")
    assert result.exit_code == 2
    assert "less than or equal to 100000" in result.output


def _tables(url: str) -> set[str]:
    async def look(db: Database) -> set[str]:
        async with db.engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))

    return _run(url, look)


def test_db_upgrade_and_downgrade_round_trip_on_postgres(empty_postgres_url: str) -> None:
    cli = _cli(empty_postgres_url)
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "product" in _tables(empty_postgres_url)

    declined = cli("db", "downgrade", input="n\n")
    assert declined.exit_code == 1
    assert "product" in _tables(empty_postgres_url)

    downgraded = cli("db", "downgrade", "base", "--yes")
    assert downgraded.exit_code == 0, downgraded.output
    assert _tables(empty_postgres_url) == {"alembic_version"}
