"""Every database test runs twice: on a fresh SQLite file and on a fresh PostgreSQL database.

PostgreSQL is the server named by CAIXIAO_TEST_DATABASE_URL, or the local one on 127.0.0.1:5432
when it answers. Without one the PostgreSQL half is skipped with the reason shown, unless
CAIXIAO_REQUIRE_POSTGRES=1, which turns the skip into a failure (CI sets it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server import auth
from server.auth import Principal, Role
from server.db import Database
from server.migrate import upgrade
from server.models import Base

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Tests create a dozen users per world; argon2's default cost (~0.2 s a hash) would dominate the
# suite. The cheapest parameters still exercise the same hashing and verification code.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
BACKENDS = ("sqlite", "postgres")


def _pg_server_url() -> str:
    return os.environ.get("CAIXIAO_TEST_DATABASE_URL", DEFAULT_PG_SERVER)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(_libpq(_pg_server_url()), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {make_url(_pg_server_url()).render_as_string()} unreachable: {error}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards."""
    reason = _postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get("CAIXIAO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"CAIXIAO_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    server = make_url(_pg_server_url())
    name = f"caixiao_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(_pg_server_url()), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A test database is thrown away: waiting for each commit to reach the disk buys nothing.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(_pg_server_url()), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, not migrated (migration and CLI tests)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "caixiao.db"
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database URL, once per backend per test session."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
async def _session_database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def wipe(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.transaction() as session:
        if database.is_sqlite:
            # SQLite has no TRUNCATE to get past the append-only audit triggers: lift them
            # for the wipe and put them back as they were.
            guards = (await session.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'audit_log'"))).all()
            for name, _sql in guards:
                await session.execute(text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                await session.execute(text(f'DELETE FROM "{table}"'))
            for _name, sql in guards:
                await session.execute(text(sql))
        else:
            quoted = ", ".join(f'"{t}"' for t in tables)
            await session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(_session_database: Database) -> AsyncIterator[Database]:
    """The backend's database, emptied after the test."""
    try:
        yield _session_database
    finally:
        await wipe(_session_database)


@pytest.fixture
def is_postgres(db: Database) -> bool:
    return not db.is_sqlite


@pytest.fixture
def postgres_only(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("needs PostgreSQL (concurrency or LISTEN/NOTIFY)")


UserFactory = Callable[..., Awaitable[Principal]]


@pytest.fixture
def make_user(db: Database) -> UserFactory:
    async def make(*roles: Role, username: str | None = None, supplier_id: int | None = None,
                   password: str = "correct-horse-9") -> Principal:
        return await auth.create_user(
            db, username or f"u{uuid.uuid4().hex[:8]}", password, list(roles) or [Role.ADMIN],
            supplier_id=supplier_id,
        )

    return make


@pytest.fixture
async def admin(make_user: UserFactory) -> Principal:
    return await make_user(Role.ADMIN, username="admin")


