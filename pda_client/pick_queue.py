"""Picking sessions in the handheld's queue file: the pick list as the server last described it,
and every step taken on its lines (bin, product and lot scans, typed quantities, shorts), written
before it counts. A confirmation is stored as a post that settles the line's steps in the same
transaction, so a crash can neither lose them nor count them twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pda_client import queue as q
from pda_client.queue import OfflineQueue, PostRow, now_text, row_id

# Step kinds: the bin scanned, a product scan (adds), a lot label, a typed quantity (replaces),
# a short (replaces the line's earlier short).
BIN, PRODUCT, LOT, SET, SHORT = "bin", "product", "lot", "set", "short"


@dataclass(frozen=True, slots=True)
class PickSessionRow:
    id: int
    pick_list: str
    document: dict[str, Any]
    created_at: str


@dataclass(frozen=True, slots=True)
class StepRow:
    id: int
    line_no: int
    kind: str
    raw: str | None
    quantity: Decimal | None
    lot: str | None
    reason: str | None
    made_at: str


class PickStore:
    """The picking tables of one queue file (see pda_client.queue_schema)."""

    def __init__(self, queue: OfflineQueue) -> None:
        self.queue = queue

    def open_session(self, pick_list: dict[str, Any]) -> PickSessionRow:
        """The session of this pick list, made on first use, holding the list given (the
        server's fresh answer)."""
        now = now_text()
        with self.queue.transaction() as db:
            db.execute(
                "INSERT INTO picking_session (server, pick_list, document, version, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server, pick_list) DO UPDATE"
                " SET document = excluded.document, version = excluded.version,"
                " updated_at = excluded.updated_at",
                (self.queue.server, pick_list["number"], json.dumps(pick_list),
                 int(pick_list["version"]), now, now),
            )
        found = self.session_of(pick_list["number"])
        assert found is not None
        return found

    def session_of(self, pick_list: str) -> PickSessionRow | None:
        rows = self.queue.query(
            "SELECT * FROM picking_session WHERE server = ? AND pick_list = ?",
            (self.queue.server, pick_list))
        return _session(rows[0]) if rows else None

    def session(self, session_id: int) -> PickSessionRow:
        rows = self.queue.query("SELECT * FROM picking_session WHERE id = ?", (session_id,))
        if not rows:
            raise KeyError(session_id)
        return _session(rows[0])

    def sessions(self) -> list[PickSessionRow]:
        rows = self.queue.query(
            "SELECT * FROM picking_session WHERE server = ? ORDER BY id", (self.queue.server,))
        return [_session(row) for row in rows]

    def record_step(
        self,
        session_id: int,
        line_no: int,
        kind: str,
        *,
        raw: str | None = None,
        quantity: Decimal | None = None,
        lot: str | None = None,
        reason: str | None = None,
    ) -> StepRow:
        now = now_text()
        with self.queue.transaction() as db:
            cursor = db.execute(
                "INSERT INTO pick_step (session_id, line_no, kind, raw, quantity, lot, reason,"
                " made_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, line_no, kind, raw, None if quantity is None else str(quantity),
                 lot, reason, now),
            )
        return StepRow(id=row_id(cursor), line_no=line_no, kind=kind, raw=raw,
                       quantity=quantity, lot=lot, reason=reason, made_at=now)

    def live_steps(self, session_id: int) -> list[StepRow]:
        """Steps that count now, in the order taken: not undone, and not settled by a
        confirmation that is waiting or was accepted (a refused one gives them back)."""
        rows = self.queue.query(
            "SELECT pick_step.* FROM pick_step LEFT JOIN post ON post.id = pick_step.post_id"
            " WHERE pick_step.session_id = ? AND pick_step.undone = 0"
            " AND (pick_step.post_id IS NULL OR post.status IN (?, ?)) ORDER BY pick_step.id",
            (session_id, q.CONFLICT, q.FAILED))
        return [_step(row) for row in rows]

    def undo_step(self, step_id: int) -> None:
        with self.queue.transaction() as db:
            db.execute("UPDATE pick_step SET undone = 1 WHERE id = ?", (step_id,))

    def add_confirmation(
        self,
        steps: Sequence[StepRow],
        *,
        operation: str,
        document: str,
        variables: dict[str, Any],
        idempotency_key: str,
        subject: str,
    ) -> PostRow:
        """Store the confirmation as pending and let it settle ``steps``, in one transaction."""
        with self.queue.transaction() as db:
            post_id = self.queue.insert_post(db, operation=operation, document=document,
                                             variables=variables,
                                             idempotency_key=idempotency_key, subject=subject)
            db.executemany("UPDATE pick_step SET post_id = ? WHERE id = ?",
                           [(post_id, step.id) for step in steps])
        return self.queue.post(post_id)


def _session(row: sqlite3.Row) -> PickSessionRow:
    return PickSessionRow(id=row["id"], pick_list=row["pick_list"],
                          document=json.loads(row["document"]), created_at=row["created_at"])


def _step(row: sqlite3.Row) -> StepRow:
    return StepRow(id=row["id"], line_no=row["line_no"], kind=row["kind"], raw=row["raw"],
                   quantity=Decimal(row["quantity"]) if row["quantity"] is not None else None,
                   lot=row["lot"], reason=row["reason"], made_at=row["made_at"])
