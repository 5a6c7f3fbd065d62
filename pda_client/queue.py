"""The handheld's offline queue: one local SQLite file that outlives the process.

Receiving and picking sessions (the document as the server described it), every scan or typed
quantity (written before it counts) and every mutation to send (with its idempotency key, made
once per intended action) are stored here first, so a network cut, a killed process or a reboot
loses nothing and a later ``sync`` sends each action exactly once. A file written by an older
client is brought up to date when opened (``MIGRATIONS``, counted in ``PRAGMA user_version``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pda_client.config import HOME_ENV
from pda_client.queue_schema import MIGRATIONS, SCHEMA

QUEUE_ENV = "CAIXIAO_PDA_QUEUE"
QUEUE_FILE = "queue.sqlite3"

# Session states: scanning, a post waiting to be delivered, received by the server.
OPEN, SUBMITTED, POSTED = "open", "submitted", "posted"
# Post states: not yet answered, accepted, refused with userErrors, refused for another reason.
PENDING, SENT, CONFLICT, FAILED = "pending", "sent", "conflict", "failed"

def default_queue_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$CAIXIAO_PDA_QUEUE``, else ``queue.sqlite3`` in ``$CAIXIAO_PDA_HOME``, else in the
    user's data dir (``$XDG_DATA_HOME`` or ``~/.local/share``) under ``caixiao-pda``."""
    env = os.environ if environ is None else environ
    if env.get(QUEUE_ENV):
        return Path(env[QUEUE_ENV])
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]) / QUEUE_FILE
    data = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "caixiao-pda" / QUEUE_FILE


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    scanned: str
    document: dict[str, Any]
    status: str
    created_at: str


@dataclass(frozen=True, slots=True)
class CountRow:
    """What one scan (kind ``scan``: adds) or typed quantity (kind ``set``: replaces) did to
    one document line and lot."""

    line_no: int
    lot: str | None
    expiry: date | None
    serial: str | None
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ScanRow:
    id: int
    kind: str
    raw: str | None
    sku: str | None
    warnings: tuple[str, ...]
    scanned_at: str
    counts: tuple[CountRow, ...]


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    operation: str
    document: str
    variables: dict[str, Any]
    idempotency_key: str
    session_id: int | None
    subject: str | None
    status: str
    attempts: int
    last_error: str | None
    result: dict[str, Any] | None
    created_at: str


def now_text() -> str:
    """When a row is written: UTC, ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class OfflineQueue:
    """The queue file of one handheld; every write is its own committed transaction."""

    def __init__(self, path: Path, server: str) -> None:
        self.path = path
        self.server = server
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode = WAL")
        # A scan acknowledged to the user must survive a power cut.
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        # Under the write lock, so two processes opening an old file migrate it once.
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed write transaction (rolled back when the block raises)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Receiving sessions

    def open_session(self, scanned: str, document: dict[str, Any]) -> SessionRow:
        now = now_text()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO receiving_session (server, scanned, document, status, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (self.server, scanned, json.dumps(document), OPEN, now, now),
            )
        return self.session(row_id(cursor))

    def session(self, session_id: int) -> SessionRow:
        row = self._db.execute(
            "SELECT * FROM receiving_session WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise KeyError(session_id)
        return _session(row)

    def open_sessions(self, scanned: str | None = None) -> list[SessionRow]:
        """Sessions still being scanned, oldest first (of one scanned document if given)."""
        rows = self._db.execute(
            "SELECT * FROM receiving_session WHERE server = ? AND status = ?"
            " AND (? IS NULL OR scanned = ?) ORDER BY id",
            (self.server, OPEN, scanned, scanned),
        ).fetchall()
        return [_session(row) for row in rows]

    def update_document(self, session_id: int, document: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE receiving_session SET document = ?, updated_at = ? WHERE id = ?",
                (json.dumps(document), now_text(), session_id),
            )

    # Scans

    def record_scan(
        self,
        session_id: int,
        *,
        kind: str,
        raw: str | None,
        sku: str | None,
        warnings: Sequence[str],
        counts: Sequence[CountRow],
    ) -> ScanRow:
        now = now_text()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO scan (session_id, kind, raw, sku, warnings, scanned_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, kind, raw, sku, json.dumps(list(warnings)), now),
            )
            scan_id = row_id(cursor)
            db.executemany(
                "INSERT INTO scan_count (scan_id, line_no, lot, expiry, serial, quantity)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(scan_id, count.line_no, count.lot,
                  count.expiry.isoformat() if count.expiry else None, count.serial,
                  str(count.quantity)) for count in counts],
            )
        return ScanRow(id=scan_id, kind=kind, raw=raw, sku=sku, warnings=tuple(warnings),
                       scanned_at=now, counts=tuple(counts))

    def scans(self, session_id: int) -> list[ScanRow]:
        """The session's scans that were not undone, in the order they were made."""
        rows = self._db.execute(
            "SELECT * FROM scan WHERE session_id = ? AND undone = 0 ORDER BY id", (session_id,)
        ).fetchall()
        counts: dict[int, list[CountRow]] = {}
        for count in self._db.execute(
            "SELECT scan_count.* FROM scan_count JOIN scan ON scan.id = scan_count.scan_id"
            " WHERE scan.session_id = ? AND scan.undone = 0 ORDER BY scan_count.rowid",
            (session_id,),
        ):
            counts.setdefault(count["scan_id"], []).append(CountRow(
                line_no=count["line_no"], lot=count["lot"],
                expiry=date.fromisoformat(count["expiry"]) if count["expiry"] else None,
                serial=count["serial"], quantity=Decimal(count["quantity"]),
            ))
        return [ScanRow(id=row["id"], kind=row["kind"], raw=row["raw"], sku=row["sku"],
                        warnings=tuple(json.loads(row["warnings"])),
                        scanned_at=row["scanned_at"], counts=tuple(counts.get(row["id"], ())))
                for row in rows]

    def undo_scan(self, scan_id: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE scan SET undone = 1 WHERE id = ?", (scan_id,))

    # Posts (mutations waiting for, or past, delivery)

    def add_post(
        self,
        *,
        operation: str,
        document: str,
        variables: dict[str, Any],
        idempotency_key: str,
        session_id: int | None = None,
        subject: str | None = None,
    ) -> PostRow:
        """Store the action as pending; its session (if any) stops taking scans meanwhile."""
        with self.transaction() as db:
            post_id = self.insert_post(db, operation=operation, document=document,
                                       variables=variables, idempotency_key=idempotency_key,
                                       session_id=session_id, subject=subject)
        return self.post(post_id)

    def insert_post(
        self,
        db: sqlite3.Connection,
        *,
        operation: str,
        document: str,
        variables: dict[str, Any],
        idempotency_key: str,
        session_id: int | None = None,
        subject: str | None = None,
    ) -> int:
        """``add_post`` inside the caller's transaction; the new post's id."""
        now = now_text()
        cursor = db.execute(
            "INSERT INTO post (server, operation, document, variables, idempotency_key,"
            " session_id, subject, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.server, operation, document, json.dumps(variables), idempotency_key,
             session_id, subject, PENDING, now, now),
        )
        if session_id is not None:
            db.execute(
                "UPDATE receiving_session SET status = ?, updated_at = ? WHERE id = ?",
                (SUBMITTED, now, session_id),
            )
        return row_id(cursor)

    def post(self, post_id: int) -> PostRow:
        row = self._db.execute("SELECT * FROM post WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            raise KeyError(post_id)
        return _post(row)

    def posts(
        self, statuses: Sequence[str] = (PENDING,), subject: str | None = None
    ) -> list[PostRow]:
        """This server's posts in any of ``statuses`` (about ``subject`` if given), in the
        order they were made."""
        marks = ", ".join("?" for _ in statuses)
        rows = self._db.execute(
            f"SELECT * FROM post WHERE server = ? AND status IN ({marks})"
            " AND (? IS NULL OR subject = ?) ORDER BY id",
            (self.server, *statuses, subject, subject),
        ).fetchall()
        return [_post(row) for row in rows]

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of one read, for the session stores built on this file (pda_client.pick_queue)."""
        return self._db.execute(sql, parameters).fetchall()

    def pending_count(self) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM post WHERE server = ? AND status = ?", (self.server, PENDING)
        ).fetchone()
        return int(row[0])

    def finish_attempt(
        self,
        post_id: int,
        *,
        status: str,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        session_status: str | None = None,
        session_document: dict[str, Any] | None = None,
        pick_list: dict[str, Any] | None = None,
    ) -> PostRow:
        """Record how one delivery attempt ended, and what it means for the post's session
        (``pick_list``: the pick list it answered with, kept by the picking session of the
        post's subject unless that holds a newer version already)."""
        now = now_text()
        with self.transaction() as db:
            db.execute(
                "UPDATE post SET status = ?, attempts = attempts + 1, last_error = ?,"
                " result = coalesce(?, result), updated_at = ? WHERE id = ?",
                (status, error, json.dumps(result) if result is not None else None, now,
                 post_id),
            )
            session_id = db.execute(
                "SELECT session_id FROM post WHERE id = ?", (post_id,)
            ).fetchone()[0]
            if session_id is not None and session_status is not None:
                db.execute(
                    "UPDATE receiving_session SET status = ?, updated_at = ? WHERE id = ?",
                    (session_status, now, session_id),
                )
            if session_id is not None and session_document is not None:
                db.execute(
                    "UPDATE receiving_session SET document = ? WHERE id = ?",
                    (json.dumps(session_document), session_id),
                )
            if pick_list is not None:
                store_pick_list(db, self.server, pick_list)
        return self.post(post_id)


def store_pick_list(db: sqlite3.Connection, server: str, pick_list: dict[str, Any]) -> None:
    """Keep the server's pick list in its picking session, unless that has a newer one: answers
    replayed late must not take the session back."""
    version = int(pick_list["version"])
    db.execute(
        "UPDATE picking_session SET document = ?, version = ?, updated_at = ? WHERE server = ?"
        " AND pick_list = ? AND version <= ?",
        (json.dumps(pick_list), version, now_text(), server, pick_list["number"], version),
    )


def row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the cursor just inserted."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _session(row: sqlite3.Row) -> SessionRow:
    return SessionRow(id=row["id"], scanned=row["scanned"], document=json.loads(row["document"]),
                      status=row["status"], created_at=row["created_at"])


def _post(row: sqlite3.Row) -> PostRow:
    return PostRow(
        id=row["id"], operation=row["operation"], document=row["document"],
        variables=json.loads(row["variables"]), idempotency_key=row["idempotency_key"],
        session_id=row["session_id"], subject=row["subject"], status=row["status"],
        attempts=row["attempts"], last_error=row["last_error"],
        result=json.loads(row["result"]) if row["result"] is not None else None,
        created_at=row["created_at"],
    )
