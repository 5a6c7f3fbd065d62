"""The commit-order gap (DESIGN §5): ids are taken before commit, so on PostgreSQL an event with a
smaller id can become visible after a larger one. Neither the live reader nor a replay may skip it.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import make_url, select

from server.db import Database
from server.event_hub import EventHub, HubSettings
from server.event_log import EventFilter
from server.event_stream import follow
from server.events import Event, record_event
from tests.integration.test_event_hub import inbox, post, skus

STOCK = EventFilter(topic="stock")


async def test_interleaved_transactions_committing_out_of_id_order_deliver_both_once(
    db: Database, postgres_only: None
) -> None:
    hub = EventHub(db, HubSettings(safety_poll=60.0))
    await hub.start()
    try:
        await post(db, (1, "BEFORE"))
        async with inbox(follow(hub, db, STOCK, None)) as live:
            [before] = await live.take(1)
            async with db.transaction() as t1:
                await record_event(t1, topic="stock", kind="STOCK_CHANGED",
                                   payload={"sku": "T1"})
                async with db.transaction() as t2:
                    await record_event(t2, topic="stock", kind="STOCK_CHANGED",
                                       payload={"sku": "T2"})
                # T2 (the larger id) is committed and visible, T1 (the smaller id) is not yet. A
                # reader that moved past T2's id now would never see T1: ours holds T2 back.
                async with db.reader() as session:
                    visible = list(await session.scalars(
                        select(Event.payload["sku"].as_string()).order_by(Event.id)
                    ))
                assert visible == ["BEFORE", "T2"]
                assert await live.quiet(0.5)
                async with inbox(follow(hub, db, STOCK, before.position)) as replaying_meanwhile:
                    assert await replaying_meanwhile.quiet()
                    await t1.commit()
                    assert skus(await replaying_meanwhile.take(2)) == ["T1", "T2"]
                    assert await replaying_meanwhile.quiet()

            async with db.reader() as session:
                rows = await session.execute(select(Event.payload["sku"].as_string(), Event.id))
                ids = {sku: row_id for sku, row_id in rows}
            assert ids["T1"] < ids["T2"]

            assert skus(await live.take(2)) == ["T1", "T2"]
            assert await live.quiet()
            # A client reconnecting after both commits replays them from the table.
            async with inbox(follow(hub, db, STOCK, before.position)) as replaying_later:
                assert skus(await replaying_later.take(2)) == ["T1", "T2"]
                assert await replaying_later.quiet()
    finally:
        await hub.stop()


async def test_a_long_transaction_in_another_database_does_not_hold_events_back(
    db: Database, postgres_only: None
) -> None:
    """The snapshot's xmin is cluster-wide; the reader's horizon only waits for this database."""
    other_database = make_url(db.url).set(drivername="postgresql", database="postgres")
    hub = EventHub(db, HubSettings(safety_poll=60.0))
    await hub.start()
    try:
        async with await psycopg.AsyncConnection.connect(
            other_database.render_as_string(hide_password=False)
        ) as elsewhere:
            # Takes an xid and keeps its transaction open: the cluster's xmin stays below it.
            await elsewhere.execute("SELECT pg_current_xact_id()")
            await post(db, (1, "BEFORE"))
            async with inbox(follow(hub, db, STOCK, None)) as live:
                [before] = await live.take(1, within=5.0)
                await post(db, (1, "LIVE"))
                assert skus(await live.take(1, within=5.0)) == ["LIVE"]
            async with inbox(follow(hub, db, STOCK, before.position)) as replaying:
                assert skus(await replaying.take(1, within=5.0)) == ["LIVE"]
                assert await replaying.quiet()
            await elsewhere.rollback()
    finally:
        await hub.stop()
