"""What every ``caixiao`` command shares: settings, a database for one command, clean errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from alembic.util import CommandError
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from server.auth import Principal, User, principal_of
from server.config import ConfigError, Settings
from server.db import Database
from server.errors import DomainError, NotFound

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2

# Soft wrap: a long message stays one line when piped (a log, a test) instead of breaking at 80.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, exit_code: int = EXIT_FAILED) -> NoReturn:
    """Print one line to stderr and stop the command with ``exit_code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(exit_code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Expected failures become a one-line message and an exit code, never a traceback:
    2 for bad settings, 1 for anything the command could not do."""
    try:
        yield
    except ConfigError as error:
        fail(str(error), EXIT_BAD_SETTINGS)
    except DomainError as error:
        fail("; ".join(problem.message for problem in error.problems))
    except CommandError as error:
        fail(f"migration: {error}")
    except DBAPIError as error:
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        fail(f"database: {detail} (is the database reachable and migrated? "
             "`caixiao db upgrade` migrates it)")


def load_settings() -> Settings:
    return Settings.from_env()


def shown_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run one async piece of work against a database opened and disposed for it."""

    async def run() -> T:
        database = Database(settings.database_url, echo=settings.sql_echo)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


async def principal_named(db: Database, username: str) -> Principal:
    """The active user a command acts as (``--user``), with their roles."""
    async with db.reader() as session:
        user = await session.scalar(select(User).where(User.username == username)
                                    .options(selectinload(User.role_rows)))
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}", field="user")
    return principal_of(user)
