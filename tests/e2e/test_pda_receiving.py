"""The PDA client against a real uvicorn on 127.0.0.1: scan-receive from an ASN through QC and
putaway, a post whose answer is lost on the way back, and two devices racing for the last units.
The client is synchronous, so it runs in a worker thread while the server runs in this loop."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pda_client import PdaClient, PostResult
from server.catalog import products
from server.catalog.drafts import BarcodeDraft, ProductChanges
from server.db import Database
from server.purchasing import portal
from server.receiving.models import Receipt
from tests.e2e.conftest import token_for
from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.test_subscriptions import LiveServer, live_server, subscribed
from tests.receiving_setup import approved_order, receiving_world
from tests.world import PASSWORD, World

__all__ = ["live_server"]  # the fixture, imported for this module's tests

P1_EAN, P1_CASE = "6901234567892", "16901234567899"
P2_LABEL = "]C1010690123456790810QC-LOT-9\x1d17271130"  # GS1-128: GTIN of P2, lot, expiry
LEVELS = """query($skus: [String!]!) { stockLevels(warehouseCode: "WH1", skus: $skus) {
  sku inTransit pendingQc available rejected bins { locationCode lot quantity } } }"""


@pytest.fixture
async def world(db: Database) -> World:
    world = await receiving_world(db)
    await products.update_product(db, world.admin, "P1", ProductChanges(
        add_barcodes=(BarcodeDraft(P1_CASE, Decimal(12)),)))
    return world


def pda(server: LiveServer | FaultyProxy, queue: Path, **options: Any) -> PdaClient:
    return PdaClient(f"http://127.0.0.1:{server.port}/graphql", queue_path=queue,
                     sleep=lambda _: None, **options)


async def receipts_of(db: Database, order_id: int) -> int:
    async with db.reader() as session:
        return await session.scalar(
            select(func.count()).select_from(Receipt).where(Receipt.order_id == order_id)) or 0


def levels(client: PdaClient, *skus: str) -> dict[str, dict[str, Any]]:
    rows = client.execute(LEVELS, {"skus": list(skus)})["stockLevels"]
    return {row["sku"]: row for row in rows}


async def test_scan_receive_an_asn_then_inspect_and_put_away(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    order = await approved_order(db, world, {"P1": 25, "P2": 4})
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(25)),
                       portal.NoticeLine(2, Decimal(4), lot="QC-LOT-9")]))
    watcher = await token_for(db, world["sales"])

    def receive() -> tuple[PostResult, list[tuple[str, ...]]]:
        with pda(live_server, tmp_path / "queue.sqlite3") as client:
            client.login("warehouse", PASSWORD)
            session = client.start_receiving(notice.number)
            warnings = [session.scan(code).warning_codes
                        for code in [P2_LABEL] * 4 + [P1_CASE, P1_CASE, P1_EAN]]
            # One case too many: 37 of 25 ordered is beyond S1's 5 % tolerance.
            warnings.append(session.scan(P1_CASE).warning_codes)
            session.undo()
            return session.post(), warnings

    async with subscribed(live_server, watcher, warehouseCode="WH1") as stock:
        posted, warnings = await asyncio.to_thread(receive)
        receipt = posted.receipt_number
        changes: list[dict[str, Any]] = []
        while len(changes) < 2:  # the order's approval may still be on its way: skip it
            changes += [c for c in await stock.take(1) if c["documentNumber"] == receipt]
    assert posted.status == "sent", posted
    assert warnings[:-1] == [()] * 7 and "OVER_RECEIPT" in warnings[-1]
    assert {c["sku"] for c in changes} == {"P1", "P2"}
    by_sku = {c["sku"]: c["levels"] for c in changes}
    assert Decimal(by_sku["P1"]["available"]) == 25 and Decimal(by_sku["P2"]["pendingQc"]) == 4

    def inspect_and_put_away() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        with pda(live_server, tmp_path / "queue.sqlite3") as client:
            client.login("qc", PASSWORD)
            after_receipt = levels(client, "P1", "P2")
            [qc] = client.tasks("WH1", ["QC"])
            assert (qc.sku, qc.lot, qc.quantity) == ("P2", "QC-LOT-9", 4)
            assert client.record_inspection(qc.id, accepted=3, result="PASS").status == "sent"
            assert client.record_inspection(qc.id, rejected=1, result="FAIL",
                                            notes="crushed box").status == "sent"
            client.login("warehouse", PASSWORD)
            tasks = {task.sku: task for task in client.tasks("WH1", ["PUTAWAY"])}
            assert (tasks["P1"].quantity, tasks["P2"].quantity) == (25, 3)
            for task in tasks.values():
                target = task.suggested_location or "WH1-A-01"
                moved = client.putaway(task.sku, task.location, target, task.quantity,
                                       task.lot or None)
                assert moved.status == "sent", moved
            assert client.tasks("WH1", ["PUTAWAY", "QC"]) == []
            return after_receipt, levels(client, "P1", "P2")

    after_receipt, final = await asyncio.to_thread(inspect_and_put_away)
    p1, p2 = after_receipt["P1"], after_receipt["P2"]
    assert (Decimal(p1["available"]), Decimal(p1["inTransit"])) == (25, 0)
    assert (Decimal(p2["pendingQc"]), Decimal(p2["available"])) == (4, 0)
    p1, p2 = final["P1"], final["P2"]
    assert (Decimal(p2["available"]), Decimal(p2["rejected"]), Decimal(p2["pendingQc"])) == \
        (3, 1, 0)
    assert all(b["locationCode"] != "WH1-RCV" for b in p1["bins"]), p1["bins"]
    assert {(b["locationCode"], b["lot"]) for b in p2["bins"]} == {
        (next(b["locationCode"] for b in p2["bins"] if b["locationCode"] != "WH1-REJ"),
         "QC-LOT-9"), ("WH1-REJ", "QC-LOT-9")}
    assert sum(Decimal(b["quantity"]) for b in p1["bins"]) == 25


async def test_answer_lost_after_commit_five_times_then_synced_after_restart_posts_once(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    order = await approved_order(db, world, {"P1": 10})
    queue = tmp_path / "queue.sqlite3"
    # The first send and its 5 retries all reach the server; none of the answers come back.
    proxy = FaultyProxy(live_server.port, marker=b"receiveGoods", cut_answers=6)
    async with proxy.running():
        def count_and_post() -> PostResult:
            with pda(proxy, queue, retries=5) as client:
                client.login("warehouse", PASSWORD)
                session = client.start_receiving(order.number)
                session.set_quantity("P1", 10)
                return session.post()

        lost = await asyncio.to_thread(count_and_post)
        assert (lost.status, proxy.cut) == ("pending", 6), lost
        assert await receipts_of(db, order.id) == 1, "the server committed the first attempt"

        def restart_and_sync() -> tuple[int, list[PostResult]]:
            with pda(proxy, queue) as client:  # a new process over the same queue file
                client.login("warehouse", PASSWORD)
                pending = client.pending_count()
                return pending, client.sync()

        pending, synced = await asyncio.to_thread(restart_and_sync)
    assert pending == 1
    [result] = synced
    assert result.status == "sent" and result.receipt_number
    assert await receipts_of(db, order.id) == 1
    token = await token_for(db, world["warehouse"])
    async with httpx.AsyncClient() as http:
        response = await http.post(f"http://127.0.0.1:{live_server.port}/graphql", json={
            "query": LEVELS, "variables": {"skus": ["P1"]}},
            headers={"Authorization": f"Bearer {token}"})
        answer = response.json()
    assert Decimal(answer["data"]["stockLevels"][0]["available"]) == 10


async def test_two_devices_post_the_last_ten_units_at_once_one_is_told_over_receipt(
    live_server: LiveServer, db: Database, world: World, tmp_path: Path
) -> None:
    order = await approved_order(db, world, {"P1": 100})
    start = asyncio.Event()
    loop = asyncio.get_running_loop()

    def device(name: str, quantity: int) -> PostResult:
        with pda(live_server, tmp_path / f"{name}.sqlite3") as client:
            client.login("warehouse", PASSWORD)
            session = client.start_receiving(order.number)
            session.set_quantity("P1", quantity)
            if name != "first":
                asyncio.run_coroutine_threadsafe(start.wait(), loop).result()
            return session.post()

    assert (await asyncio.to_thread(device, "first", 90)).status == "sent"
    racing = [asyncio.to_thread(device, name, 10) for name in ("a", "b")]
    await asyncio.sleep(0.3)
    start.set()
    outcomes = sorted(await asyncio.gather(*racing), key=lambda result: result.status)
    assert [o.status for o in outcomes] == ["conflict", "sent"]
    [problem] = outcomes[0].problems
    assert problem.code == "OVER_RECEIPT" and "received 100" in problem.message
    assert await receipts_of(db, order.id) == 2
