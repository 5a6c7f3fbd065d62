"""Counting sessions in the handheld's queue file: the stocktake as the server last described
it, and every step of the count (bin, item scans, typed quantities), written before it counts.
Sending a bin's counts stores one post per item and settles the bin's steps with them in the
same transaction, so a crash can neither lose a count nor send it twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pda_client.queue import OfflineQueue, PostRow, now_text, row_id

# Step kinds: a bin scanned, an item scanned (adds one), a quantity typed (replaces).
BIN, ITEM, SET = "bin", "item", "set"


@dataclass(frozen=True, slots=True)
class CountSessionRow:
    id: int
    stocktake: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CountStepRow:
    id: int
    kind: str
    bin: str
    item: str | None
    by_sku: bool
    lot: str | None
    quantity: Decimal | None


@dataclass(frozen=True, slots=True)
class ItemPost:
    """One item's count to send: its steps, and the recordCount to send for them."""

    steps: Sequence[CountStepRow]
    document: str
    variables: dict[str, Any]
    idempotency_key: str


class CountStore:
    """The counting tables of one queue file (see pda_client.queue_schema)."""

    def __init__(self, queue: OfflineQueue) -> None:
        self.queue = queue

    def open_session(self, stocktake: dict[str, Any]) -> CountSessionRow:
        """The session of this stocktake, made on first use, holding the server's answer."""
        now = now_text()
        with self.queue.transaction() as db:
            db.execute(
                "INSERT INTO count_session (server, stocktake, document, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (server, stocktake) DO UPDATE"
                " SET document = excluded.document, updated_at = excluded.updated_at",
                (self.queue.server, stocktake["number"], json.dumps(stocktake), now, now))
        found = self.session_of(stocktake["number"])
        assert found is not None
        return found

    def session_of(self, stocktake: str) -> CountSessionRow | None:
        rows = self.queue.query(
            "SELECT * FROM count_session WHERE server = ? AND stocktake = ?",
            (self.queue.server, stocktake))
        return _session(rows[0]) if rows else None

    def sessions(self) -> list[CountSessionRow]:
        rows = self.queue.query("SELECT * FROM count_session WHERE server = ? ORDER BY id",
                                (self.queue.server,))
        return [_session(row) for row in rows]

    def record_step(self, session_id: int, kind: str, bin_code: str, *,
                    item: str | None = None, by_sku: bool = False, lot: str | None = None,
                    quantity: Decimal | None = None) -> CountStepRow:
        with self.queue.transaction() as db:
            cursor = db.execute(
                "INSERT INTO count_step (session_id, kind, bin, item, by_sku, lot, quantity,"
                " made_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, kind, bin_code, item, int(by_sku), lot,
                 None if quantity is None else str(quantity), now_text()))
        return CountStepRow(id=row_id(cursor), kind=kind, bin=bin_code, item=item,
                            by_sku=by_sku, lot=lot, quantity=quantity)

    def live_steps(self, session_id: int) -> list[CountStepRow]:
        """Steps not undone and not sent yet, in the order taken."""
        rows = self.queue.query(
            "SELECT * FROM count_step WHERE session_id = ? AND undone = 0 AND post_id IS NULL"
            " ORDER BY id", (session_id,))
        return [_step(row) for row in rows]

    def undo_step(self, step_id: int) -> None:
        with self.queue.transaction() as db:
            db.execute("UPDATE count_step SET undone = 1 WHERE id = ?", (step_id,))

    def add_counts(self, bin_step: CountStepRow, items: Sequence[ItemPost],
                   subject: str) -> list[PostRow]:
        """Store each item's recordCount as pending and settle the bin's steps with them, in
        one transaction."""
        with self.queue.transaction() as db:
            post_ids = []
            for item in items:
                post_id = self.queue.insert_post(
                    db, operation="recordCount", document=item.document,
                    variables=item.variables, idempotency_key=item.idempotency_key,
                    subject=subject)
                post_ids.append(post_id)
                db.executemany("UPDATE count_step SET post_id = ? WHERE id = ?",
                               [(post_id, step.id) for step in item.steps])
            db.execute("UPDATE count_step SET post_id = ? WHERE id = ?",
                       (post_ids[0], bin_step.id))
        return [self.queue.post(post_id) for post_id in post_ids]


def _session(row: sqlite3.Row) -> CountSessionRow:
    return CountSessionRow(id=row["id"], stocktake=row["stocktake"],
                           document=json.loads(row["document"]))


def _step(row: sqlite3.Row) -> CountStepRow:
    return CountStepRow(id=row["id"], kind=row["kind"], bin=row["bin"], item=row["item"],
                        by_sku=bool(row["by_sku"]), lot=row["lot"],
                        quantity=Decimal(row["quantity"]) if row["quantity"] is not None
                        else None)
