from __future__ import annotations

from sqlalchemy import select

from server.db import Database
from server.events import Event, record_event


async def test_recorded_event_is_visible_after_commit_with_txid_on_postgres(db: Database) -> None:
    async with db.transaction() as session:
        await record_event(session, topic="stock", kind="TEST", payload={"n": 1},
                           document_type="ADJ", document_number="ADJ-1")
    async with db.reader() as session:
        event = (await session.scalars(select(Event))).one()
    assert (event.topic, event.kind, event.payload) == ("stock", "TEST", {"n": 1})
    assert (event.txid is None) == db.is_sqlite
