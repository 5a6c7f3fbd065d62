"""Record the SQL one request sends through SQLAlchemy, and replay it with bare psycopg.

``Recorder`` listens to a Database's engine while one request runs and keeps every statement
with its parameters, row count and (for ``RETURNING``) the rows psycopg handed back, grouped
into the transactions they ran in. ``Replay`` sends the same statements, in the same
transactions, on a psycopg connection, substituting per run what must be new: the idempotency
key, the document number the sequence row gives, ids the run's own ``RETURNING`` gives (wherever
later parameters carry them) and timestamps (shifted to now). Substitution is by value, so the
captured ids must not look like anything else: the bench starts every id sequence high.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from server.numbering import format_number

ID_FLOOR = 1_000_000  # every id sequence starts above this (see the bench's set-up)
SEQUENCE_TABLE = "document_sequence"


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: Any  # a dict, or a list of dicts for executemany
    many: bool
    rowcount: int
    columns: tuple[str, ...]  # of the rows RETURNING gave; () otherwise
    returned: tuple[tuple[Any, ...], ...]


@dataclass(slots=True)
class Transaction:
    """``autocommit``: statements sent alone, without BEGIN and COMMIT or ROLLBACK."""

    statements: list[Statement] = field(default_factory=list)
    committed: bool = False
    autocommit: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    """One request's SQL: its transactions in order, the key it was sent with, and the number
    of pool pre-ping round trips it made (not SQL; reported, not replayed)."""

    transactions: tuple[Transaction, ...]
    key: str
    pings: int

    @property
    def statements(self) -> list[Statement]:
        return [s for t in self.transactions for s in t.statements]

    def shape(self) -> list[tuple[bool, list[str]]]:
        return [(t.committed, [s.sql for s in t.statements]) for t in self.transactions]


class Recorder:
    """``with Recorder(engine, key) as recorder:`` run one request, then ``recorder.template``."""

    def __init__(self, engine: AsyncEngine, key: str) -> None:
        self._engine = engine.sync_engine
        self._key = key
        self._open: dict[Connection, Transaction] = {}
        self._done: list[Transaction] = []
        self._pings = 0

    def __enter__(self) -> Recorder:
        dialect = self._engine.dialect
        real_ping = dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self._pings += 1
            return real_ping(dbapi_connection)

        dialect.do_ping = counted_ping  # type: ignore[method-assign]
        for name, listener in self._listeners():
            event.listen(self._engine, name, listener)
        return self

    def __exit__(self, *_exc: object) -> None:
        for name, listener in self._listeners():
            event.remove(self._engine, name, listener)
        del self._engine.dialect.do_ping

    @property
    def template(self) -> Template:
        assert not self._open, "a transaction was still open when the request ended"
        return Template(tuple(self._done), self._key, self._pings)

    def _listeners(self) -> list[tuple[str, Any]]:
        return [("begin", self._begin), ("commit", self._commit), ("rollback", self._rollback),
                ("after_cursor_execute", self._executed)]

    def _begin(self, conn: Connection) -> None:
        isolation = conn.get_execution_options().get("isolation_level")
        self._open[conn] = Transaction(autocommit=isolation == "AUTOCOMMIT")

    def _commit(self, conn: Connection) -> None:
        self._end(conn, committed=True)

    def _rollback(self, conn: Connection) -> None:
        self._end(conn, committed=False)

    def _end(self, conn: Connection, committed: bool) -> None:
        transaction = self._open.pop(conn, None)
        if transaction is not None and transaction.statements:
            transaction.committed = committed
            self._done.append(transaction)

    def _executed(self, conn: Connection, cursor: Any, statement: str, parameters: Any,
                  _context: Any, executemany: bool) -> None:
        transaction = self._open[conn]
        # Replayed one transaction after another, so they must not have overlapped here.
        assert all(t is transaction or not t.statements for t in self._open.values()), \
            "transactions overlapped"
        returning = "RETURNING" in statement.upper()
        # psycopg's async adapter buffers a result's rows in ``_rows`` until SQLAlchemy reads
        # them; copying the deque leaves them in place.
        rows = tuple(tuple(row) for row in cursor._rows) if returning else ()
        columns = tuple(c.name for c in cursor.description) if returning else ()
        # An executemany sent as one multi-row VALUES (insertmanyvalues) arrives as one
        # statement with one parameter dict: it is replayed as one execute.
        many = executemany and not isinstance(parameters, Mapping)
        params = [dict(p) for p in parameters] if many else dict(parameters or {})
        transaction.statements.append(
            Statement(statement, params, many, cursor.rowcount, columns, rows))


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def _is_id(column: str) -> bool:
    return column == "id" or column.startswith("id__")


class _Values:
    """One run's substitutions, applied by value to parameters."""

    def __init__(self, strings: dict[str, str], shift: timedelta) -> None:
        self.ints: dict[int, int] = {}
        self.strings = strings
        self.shift = shift
        self.count = 0

    def __call__(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            new = self.ints.get(value)
        elif isinstance(value, str):
            new = self.strings.get(value)
        elif isinstance(value, datetime):
            new = value + self.shift
        elif isinstance(value, Json | Jsonb):
            return type(value)(self(value.obj), value.dumps)
        elif isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        elif isinstance(value, list | tuple):
            return type(value)(self(v) for v in value)
        else:
            return value
        if new is None:
            return value
        self.count += 1
        return new


class Replay:
    """Sends a template's statements on a psycopg connection, one receipt per ``run``."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.statements = statements = template.statements
        self.captured_ids = {row[i] for s in statements for row in s.returned
                             for i, c in enumerate(s.columns) if _is_id(c)}
        assert self.captured_ids, "the capture returned no ids"
        low = [i for i in self.captured_ids if i < ID_FLOOR]
        assert not low, f"captured ids {low} could be mistaken for small numbers"
        self.captured_numbers = {_number(s, s.returned[0][0]) for s in statements
                                 if SEQUENCE_TABLE in s.sql and s.returned}
        self.unique_strings = {template.key, *self.captured_numbers}
        self._started = min(_datetimes(s.params for s in statements))
        # Parameters that never change are passed as captured; only these keys are rebuilt.
        self._dynamic = [self._dynamic_keys(s) for s in statements]
        self.rowcount_mismatches: list[str] = []
        # Reads return what the data holds by then: the most rows each one gave, by position.
        self.most_rows = [s.rowcount for s in statements]

    def _dynamic_keys(self, statement: Statement) -> set[str]:
        rows = statement.params if statement.many else [statement.params]
        return {k for row in rows for k, v in row.items() if self._varies(v)}

    def _varies(self, value: Any) -> bool:
        if isinstance(value, Json | Jsonb):
            return True
        if isinstance(value, dict):
            return any(self._varies(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(self._varies(v) for v in value)
        return isinstance(value, datetime) or (
            isinstance(value, int) and value in self.captured_ids) or (
            isinstance(value, str) and value in self.unique_strings)

    def leftovers(self, params: Any) -> list[Any]:
        """Captured-only values still present after substitution (must be none)."""
        found: list[Any] = []

        def walk(value: Any) -> None:
            if isinstance(value, Json | Jsonb):
                walk(value.obj)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list | tuple):
                for v in value:
                    walk(v)
            elif isinstance(value, int) and not isinstance(value, bool):
                if value in self.captured_ids:
                    found.append(value)
            elif isinstance(value, str) and any(u in value for u in self.unique_strings):
                found.append(value)

        walk(params)
        return found

    async def run(self, conn: psycopg.AsyncConnection[Any], key: str, check: bool = False) -> int:
        """One receipt; returns the number of values substituted. ``check`` asserts that no
        captured-only value is sent. A write touching another number of rows than it did in the
        recording is noted in ``rowcount_mismatches``."""
        values = _Values({self.template.key: key}, datetime.now(UTC) - self._started)
        index = 0  # of the statement in the whole receipt
        async with conn.cursor() as cursor:
            for transaction in self.template.transactions:
                if transaction.autocommit:
                    await conn.set_autocommit(True)
                for statement in transaction.statements:
                    params = self._params(statement, self._dynamic[index], values)
                    if check:
                        left = self.leftovers(params)
                        assert not left, f"not substituted: {left} in {statement.sql[:80]}"
                    if statement.many:
                        await cursor.executemany(statement.sql, params)
                    else:
                        await cursor.execute(statement.sql, params)
                    # SQLAlchemy's adapter reads every result at once; so does the replay.
                    rows = await cursor.fetchall() if cursor.description is not None else []
                    if statement.returned:
                        self._learn(statement, rows, values)
                    self._compare(index, statement, cursor.rowcount)
                    index += 1
                if transaction.autocommit:
                    await conn.set_autocommit(False)
                elif transaction.committed:
                    await conn.commit()
                else:
                    await conn.rollback()
        return values.count

    def _compare(self, index: int, statement: Statement, rowcount: int) -> None:
        if _is_read(statement.sql):
            self.most_rows[index] = max(self.most_rows[index], rowcount)
        elif rowcount != statement.rowcount and len(self.rowcount_mismatches) < 10:
            self.rowcount_mismatches.append(
                f"{rowcount} rows, recorded {statement.rowcount}: {statement.sql[:100]}")

    @staticmethod
    def _params(statement: Statement, dynamic: set[str], values: _Values) -> Any:
        if not dynamic:
            return statement.params
        if statement.many:
            return [{k: values(v) if k in dynamic else v for k, v in row.items()}
                    for row in statement.params]
        return {k: values(v) if k in dynamic else v for k, v in statement.params.items()}

    def _learn(self, statement: Statement, rows: list[Any], values: _Values) -> None:
        assert len(rows) == len(statement.returned), f"RETURNING gave {len(rows)} rows, " \
            f"captured {len(statement.returned)}: {statement.sql[:80]}"
        for captured, replayed in zip(statement.returned, rows, strict=True):
            for i, column in enumerate(statement.columns):
                if _is_id(column):
                    values.ints[captured[i]] = replayed[i]
        if SEQUENCE_TABLE in statement.sql:
            values.strings[_number(statement, statement.returned[0][0])] = \
                _number(statement, rows[0][0])


def _number(statement: Statement, value: int) -> str:
    return format_number(statement.params["prefix"], statement.params["year"], value)


def _datetimes(values: Any) -> Iterator[datetime]:
    for value in values:
        if isinstance(value, datetime):
            yield value
        elif isinstance(value, dict):
            yield from _datetimes(value.values())
        elif isinstance(value, list | tuple):
            yield from _datetimes(value)
