"""Alembic environment: runs migrations over the async engine; SQLite in batch mode."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.config import Settings
from server.db import Database, UTCDateTime
from server.models import Base

config = context.config
url = config.attributes.get("database_url") or Settings.from_env().database_url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations stand alone: our column types render as their plain SQLAlchemy equivalents.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename, which enforced foreign keys
        # refuse once other tables point at it; the check runs after the migrations instead.
        # The pragma only takes effect outside a transaction, so it goes before the first BEGIN.
        _raw_sqlite(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows with broken references: {broken[:5]}")


def _raw_sqlite(connection: Connection, statement: str) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


async def _run_online() -> None:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await database.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
