"""Migrations are the only way the schema changes: they must build exactly the models' schema
from nothing, and take it all away again, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from server.db import Database
from server.migrate import downgrade, upgrade
from server.models import Base

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own with nothing in it."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


def _inspect_sync(url: str, look: Any) -> Any:
    async def run() -> Any:
        database = Database(url)
        try:
            async with database.engine.connect() as connection:
                return await connection.run_sync(look)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    return set(_inspect_sync(url, lambda conn: inspect(conn).get_table_names()))


def _version(url: str) -> list[str]:
    return _inspect_sync(url, lambda conn: [
        row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
    ])


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def test_upgrade_builds_every_table_and_downgrade_removes_them(empty_url: str) -> None:
    assert _tables(empty_url) == set()

    upgrade(empty_url)
    assert _tables(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert len(_version(empty_url)) == 1

    downgrade(empty_url, "base")
    assert _tables(empty_url) == {"alembic_version"}
    assert _version(empty_url) == []

    # The downgrade left nothing behind that would stop a second upgrade.
    upgrade(empty_url)
    assert _tables(empty_url) == MODEL_TABLES | {"alembic_version"}


def test_models_and_migrations_agree(empty_url: str) -> None:
    upgrade(empty_url)
    assert _inspect_sync(empty_url, _drift) == []


def test_migrations_that_rebuild_tables_keep_the_rows_pointing_at_them(empty_url: str) -> None:
    """Products are referenced by barcodes and order lines; a migration that rebuilds the product
    table (SQLite batch mode) must keep them, and leave no broken reference."""
    upgrade(empty_url, "0006")

    def seed(connection: Connection) -> None:
        connection.execute(text(
            "INSERT INTO product (id, sku, name, category, unit_of_measure, qc_required, "
            "safety_stock, list_price, active, created_at, updated_at) VALUES (7, 'P1', 'P', "
            "'', 'pcs', false, 0, 0, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO product_barcode (product_id, barcode, pack_quantity) "
            "VALUES (7, '6901234567892', 1)"))
        connection.commit()

    _inspect_sync(empty_url, seed)
    upgrade(empty_url)
    rows = _inspect_sync(empty_url, lambda conn: conn.execute(text(
        "SELECT p.sku, p.make_to_order, b.barcode FROM product p "
        "JOIN product_barcode b ON b.product_id = p.id")).all())
    assert [tuple(row) for row in rows] == [("P1", False, "6901234567892")]
    tags = _inspect_sync(empty_url, lambda conn: conn.execute(text(
        "SELECT tags FROM product")).scalar_one())
    assert tags in ([], "[]")
