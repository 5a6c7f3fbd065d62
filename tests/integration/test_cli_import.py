"""``caixiao import sales-history``, ``import KIND`` and ``import template`` driven through
typer's CliRunner on a SQLite file of its own holding tests/world.py's master data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from server.catalog.models import Product
from server.cli import app
from server.db import Database
from server.migrate import upgrade
from server.sales.models import SalesHistory
from tests.world import build_world

T = TypeVar("T")
Invoke = Callable[..., Result]
HEADER = "week,sku,warehouse,region,quantity"


def _run(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    _run(url, build_world)
    return url


@pytest.fixture
def cli(url: str) -> Invoke:
    def invoke(*args: str) -> Result:
        return CliRunner(env={"CAIXIAO_DATABASE_URL": url}).invoke(app, list(args))

    return invoke


def history_rows(url: str) -> int:
    async def count(db: Database) -> int:
        async with db.reader() as session:
            return await session.scalar(select(func.count()).select_from(SalesHistory)) or 0

    return _run(url, count)


def csv_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
    return str(path)


def test_a_good_file_is_imported_and_summarised(cli: Invoke, url: str, tmp_path: Path) -> None:
    result = cli("import", "sales-history", csv_file(
        tmp_path, "2025-W07,P1,WH1,East,10", "2025-02-20,P3,WH1,,4", "2025-W09,P1,WH1,East,1"))
    assert result.exit_code == 0, result.output
    assert ("Imported 3 rows of sales history from history.csv: 2 products, 1 warehouses, "
            "weeks 2025-W07 to 2025-W09.") in result.stdout
    assert history_rows(url) == 3


def test_bad_rows_are_listed_and_nothing_is_imported(
    cli: Invoke, url: str, tmp_path: Path
) -> None:
    result = cli("import", "sales-history", csv_file(
        tmp_path, "2025-W07,P1,WH1,East,10", "2025-W99,P1,WH1,East,1", "2025-W08,NOPE,WH1,,1",
        "2025-W08,P1,WH1,East,-3"), "--user", "manager")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert any("3" in line and "week" in line and "2025-W99" in line for line in lines)
    assert any("4" in line and "sku" in line and "no product 'NOPE'" in line for line in lines)
    assert any("5" in line and "quantity" in line and "-3 is negative" in line
               for line in lines)
    assert "history.csv: 3 problems, nothing imported" in result.stderr
    assert history_rows(url) == 0


@pytest.mark.parametrize(("user", "fragment"), [
    ("sales", "this action needs one of the roles: admin, purchase_manager"),
    ("nobody", "no active user 'nobody'"),
])
def test_the_user_must_exist_and_may_import(
    cli: Invoke, url: str, tmp_path: Path, user: str, fragment: str
) -> None:
    result = cli("import", "sales-history", csv_file(tmp_path, "2025-W07,P1,WH1,East,10"),
                 "--user", user)
    assert result.exit_code == 1, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert history_rows(url) == 0


def test_a_missing_file_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("import", "sales-history", str(tmp_path / "absent.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def product_count(url: str) -> int:
    async def count(db: Database) -> int:
        async with db.reader() as session:
            return await session.scalar(select(func.count()).select_from(Product)) or 0

    return _run(url, count)


def products_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "products.csv"
    path.write_text("\n".join(["sku,name,barcode", *rows]) + "\n", encoding="utf-8-sig")
    return str(path)


def test_a_products_file_is_imported_with_a_summary(
    cli: Invoke, url: str, tmp_path: Path
) -> None:
    before = product_count(url)
    result = cli("import", "products", products_file(tmp_path, "N1,New,6923450657713",
                                                     "P1,Renamed,"), "--user", "purchaser")
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows of products from products.csv: 1 created, 1 updated." in result.stdout
    assert product_count(url) == before + 1


def test_bad_product_rows_are_listed_and_nothing_is_imported(
    cli: Invoke, url: str, tmp_path: Path
) -> None:
    before = product_count(url)
    result = cli("import", "products", products_file(
        tmp_path, "N1,New,6923450657714", "N2,,", "N1,Again,"))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert any("2" in line and "barcode" in line and "check digit" in line for line in lines)
    assert any("3" in line and "name" in line and "missing value" in line for line in lines)
    assert any("4" in line and "sku" in line and "repeats row 2" in line for line in lines)
    assert "products.csv: 3 problems in 3 rows, nothing imported" in result.stderr
    assert product_count(url) == before


def test_skip_bad_rows_says_which_rows_it_left_out(
    cli: Invoke, url: str, tmp_path: Path
) -> None:
    before = product_count(url)
    result = cli("import", "products", products_file(
        tmp_path, "N1,New,", "N2,Steals P1's barcode,6901234567892", "N3,Also new,"),
        "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows of products" in result.stdout
    assert "already belongs to product P1" in result.stdout
    assert "Skipped rows (1): 3." in result.stdout
    assert product_count(url) == before + 2


def test_importing_needs_the_mutations_role(cli: Invoke, tmp_path: Path) -> None:
    result = cli("import", "opening-stock", products_file(tmp_path, "N1,New,"),
                 "--user", "sales")
    assert result.exit_code == 1
    assert "this action needs one of the roles: warehouse" in result.stderr


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_template_is_written_and_imports_as_it_is(
    cli: Invoke, url: str, tmp_path: Path, file_format: str
) -> None:
    target = tmp_path / f"locations.{file_format}"
    result = cli("import", "template", "locations", "--format", file_format, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"Wrote {target} (columns: code, warehouse, type)." in result.stdout
    imported = cli("import", "locations", str(target), "--user", "warehouse")
    assert imported.exit_code == 0, imported.output
    assert "1 created" in imported.stdout
