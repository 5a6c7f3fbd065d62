"""Engine, sessions and the declarative base. Nothing is connected at import time.

A use case runs inside ``async with database.transaction() as session:``: it commits when the
block ends normally and rolls back on any exception. On SQLite a write transaction starts with
``BEGIN IMMEDIATE`` so writers queue for the lock up front instead of failing mid-transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar

import orjson
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Table,
    TypeDecorator,
    event,
    insert,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.changes import Pair, Reactions, react, take_changes
from server.errors import Conflict, InvalidInput

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
IdType = BigInteger().with_variant(Integer(), "sqlite")
# Quantities and money: exact decimals, 4 places, never float.
Quantity = Numeric(18, 4)
Money = Numeric(18, 4)


def one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    """CHECK that a text column holds one of an enum's values (``ck_<table>_known_<column>``)."""
    return CheckConstraint(f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")",
                           name=f"known_{column}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT for ``table`` that can take ``on_conflict_do_nothing`` / ``_do_update``: the
    dialect's own, as both of our databases have one of the same shape."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware column; SQLite hands back naive values, which are UTC by construction.

    A TypeDecorator, not a DateTime subclass: the dialect swaps a plain subclass for its own
    DATETIME type, which would drop the result processing below."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {Decimal: Quantity, datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below own transactions instead of pysqlite's implicit ones.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def json_text(value: Any) -> str:
    """A JSON column's value as the engine writes it (also for rows written by COPY)."""
    return json_bytes(value).decode()


def json_bytes(value: Any) -> bytes:
    """``json_text`` encoded in UTF-8, as it goes over the wire."""
    # orjson: several times faster than json.dumps on the large documents (suggestion
    # explanations) a planning run writes by the ten thousand.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


@cache
def _insert_returning_ids(table: Table) -> Any:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]
                      ) -> list[int]:
    """Write ``rows`` into ``table`` in one Core INSERT (a multi-row VALUES) and return their
    ids in the rows' order: cheaper than an ORM flush of the same rows, for objects the caller
    keeps outside the session."""
    if not rows:
        return []
    return list((await session.execute(_insert_returning_ids(table), rows)).scalars().all())


class TurnTakingSession(AsyncSession):
    """A read session shared by one GraphQL request. GraphQL resolves sibling fields (several
    root fields, an item's product and its supplier) concurrently, but an AsyncSession must never
    run two statements at once, so its statements queue for their turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().get(*args, **kwargs)

    async def get_one(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().get_one(*args, **kwargs)


@contextmanager
def _refusals_as_errors() -> Iterator[None]:
    """A constraint that a concurrent transaction won (a unique code taken between our check and
    our insert) as CONFLICT, a value the database refuses to store as INVALID_INPUT."""
    try:
        yield
    except IntegrityError as error:
        raise Conflict(
            "the change collides with data written at the same time; reload and try again"
        ) from error
    except DataError as error:
        # A gap in the use case's own checks: logged so it gets closed there.
        log.warning("the database refused a value: %s", error.orig)
        raise InvalidInput(
            "a value is too large or too long to be stored; nothing was changed"
        ) from error


class Database:
    """Owns the engine and hands out sessions; built in the app's lifespan or a CLI command."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_async_engine(url, echo=echo, json_serializer=json_text)
            _configure_sqlite(self.engine)
            writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2,
                pool_pre_ping=True, json_serializer=json_text,
            )
            writer = self.engine
        # Autocommit, for statements that are each a transaction of their own: sent alone,
        # without BEGIN and COMMIT or ROLLBACK around them. SQLite's BEGIN is in-process and
        # costs no round trip, so it keeps its transactions.
        self._single_statement = (self.engine if self.is_sqlite else
                                  self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        self._single_statement_sessions = async_sessionmaker(
            self._single_statement, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._request_sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, class_=TurnTakingSession
        )
        self._write_sessions = async_sessionmaker(writer, expire_on_commit=False)
        self._reactions = Reactions(self._react)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One use case's unit of work: commit on success, roll back on any exception.

        Once it has committed, the reactions to the stock and demand it changed run in a
        following transaction (``server.changes``). A constraint that a concurrent transaction
        won (a unique code taken between our check and our insert) surfaces as CONFLICT rather
        than as a crash, and a value the database refuses to store (a total past NUMERIC(18, 4),
        a string past its column) that the use case's checks missed as INVALID_INPUT."""
        with _refusals_as_errors():
            async with self._write_sessions() as session:
                async with session.begin():
                    yield session
                changed = take_changes(session)
        if changed:
            await self._reactions.after_commit(changed)

    @asynccontextmanager
    async def single_statements(self) -> AsyncIterator[AsyncSession]:
        """A session for work none of whose statements needs another to commit with it (an
        idempotency claim, an audit entry): on PostgreSQL each commits on its own (autocommit),
        sent without BEGIN and COMMIT; on SQLite, where BEGIN costs no round trip, they run as
        one ``transaction``. Refusals turn into errors as there; it marks no changed pairs."""
        if self.is_sqlite:
            async with self.transaction() as session:
                yield session
            return
        with _refusals_as_errors():
            async with self._single_statement_sessions() as session, session.begin():
                yield session

    async def _react(self, pairs: frozenset[Pair]) -> None:
        try:
            async with self.transaction() as session:
                await react(session, pairs)
        except Exception:
            # The change is committed and stands; its suggestions stay as they were until the
            # next change of those pairs or the next full planning run.
            log.exception("reacting to changed product × warehouse pairs failed: %s",
                          sorted(pairs)[:20])

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; it never commits."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def autocommit_reader(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads that share no snapshot, each statement a transaction of its
        own on PostgreSQL (the bearer token's principal on every request, the event hub's and
        the webhook worker's looks after every commit that wrote events); it never writes."""
        async with self._single_statement.connect() as connection:
            yield connection

    def read_session(self) -> AsyncSession:
        """A session the caller closes, for a request that reads lazily (GraphQL queries)."""
        return self._request_sessions()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
