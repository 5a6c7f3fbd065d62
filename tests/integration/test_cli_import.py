"""``caixiao import sales-history`` driven through typer's CliRunner on a SQLite file of its own
holding tests/world.py's master data."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

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
