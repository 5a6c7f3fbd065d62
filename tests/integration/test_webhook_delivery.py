"""Webhook delivery end to end on both backends: a real flow's events reach a local receiver
once each, in order, signed, through refusals, a killed worker and a disabled endpoint."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from server.db import Database
from server.events import record_event
from server.integrations.models import DeliveryStatus
from server.integrations.service import EndpointDraft, enable_webhook, register_webhook
from server.sales.models import ShortagePolicy
from tests.sales_setup import order_for, put_stock, sales_world
from tests.webhook_receiver import Receiver, eventually, running_receiver
from tests.webhook_setup import (
    attempts,
    deliveries,
    endpoint,
    events_after,
    failures_counted,
    newest_event_id,
    quick,
    working,
)
from tests.world import World

BACKORDER = ShortagePolicy.BACKORDER


@pytest.fixture
async def world(db: Database) -> World:
    return await sales_world(db)


async def _flow(db: Database, world: World) -> None:
    """Stock counted in, then an order for more than there is (reservation and shortage)."""
    await put_stock(db, world, "P1", "WH1-A-01", 5)
    await put_stock(db, world, "P2", "WH1-A-02", 3)
    await order_for(db, world, [("P1", 8), ("P2", 1)], policy=BACKORDER)


def _ids(receiver: Receiver, path: str = "/hook") -> list[int]:
    return [each.json["id"] for each in receiver.accepted_on(path)]


async def _all_settled(db: Database, endpoint_id: int, count: int) -> bool:
    done = await deliveries(db, endpoint_id)
    return len(done) == count and all(d.status == DeliveryStatus.DELIVERED.value for d in done)


async def test_a_receiver_failing_three_times_gets_every_event_once_in_order_signed(
    db: Database, world: World
) -> None:
    before = await newest_event_id(db)
    counted = failures_counted()
    with running_receiver(Receiver(fail_first=3)) as receiver:
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["*"], "the ERP"))
        await _flow(db, world)
        expected = await events_after(db, before)
        assert len(expected) >= 5
        async with working(db):
            await eventually(lambda: _all_settled(db, registered.endpoint.id, len(expected)),
                             message="every delivery settled")
            await asyncio.sleep(0.2)
        assert _ids(receiver) == expected
        assert registered.secret.startswith("whsec_")
        assert receiver.signatures_valid(registered.secret)
        assert [each.json["id"] for each in receiver.refused] == [expected[0]] * 3
        first = receiver.accepted[0]
        assert first.headers["X-Caixiao-Event-Id"] == str(expected[0])
        assert first.headers["X-Caixiao-Attempt"] == "4"
    logged = await deliveries(db, registered.endpoint.id)
    assert [d.attempts for d in logged] == [4] + [1] * (len(expected) - 1)
    assert [d.event_id for d in logged] == expected
    tries = await attempts(db, logged[0].id)
    assert [(t.number, t.ok, t.status_code) for t in tries] == [
        (1, False, 500), (2, False, 500), (3, False, 500), (4, True, 200)]
    assert logged[0].last_status_code == 200
    assert failures_counted() - counted == 3
    assert (await endpoint(db, registered.endpoint.id)).consecutive_failures == 0


async def test_a_worker_killed_mid_request_loses_nothing(db: Database, world: World) -> None:
    before = await newest_event_id(db)
    receiver = Receiver()
    receiver.hold.set()
    # A short lease: the new worker takes the endpoint over soon after the old one died.
    settings = quick(timeout=1.0, lease_margin=0.5)
    with running_receiver(receiver):
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["stock.*", "sales_order.*"]))
        await _flow(db, world)
        expected = await events_after(db, before, ("stock", "sales_order"))
        async with working(db, settings, name="doomed"):
            await eventually(receiver.holding.is_set, message="the first request held")
        receiver.release.set()
        async with working(db, settings, name="successor"):
            await eventually(lambda: _all_settled(db, registered.endpoint.id, len(expected)),
                             message="every delivery settled")
            await asyncio.sleep(0.2)
        assert _ids(receiver) == expected
        assert receiver.signatures_valid(registered.secret)
    logged = await deliveries(db, registered.endpoint.id)
    tries = await attempts(db, logged[0].id)
    # The killed attempt never got its outcome recorded; the successor sent it again.
    assert [(t.worker, t.ok) for t in tries] == [("successor", True)]


async def test_an_endpoint_is_disabled_after_n_failures_and_resumes_when_enabled(
    db: Database, world: World
) -> None:
    before = await newest_event_id(db)
    counted = failures_counted()
    with running_receiver(Receiver(fail_first=10**6)) as receiver:
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["stock.STOCK_CHANGED"]))
        endpoint_id = registered.endpoint.id
        await _flow(db, world)
        expected = await events_after(db, before, ("stock",))
        async with working(db, quick(max_failures=3)):
            disabled = await eventually(
                lambda: _disabled(db, endpoint_id), message="the endpoint disabled")
            assert disabled.consecutive_failures == 3
            assert "3 failures in a row" in (disabled.disabled_reason or "")
            receiver.fail_first = 0
            await asyncio.sleep(0.3)
            assert receiver.accepted == []
            [stuck] = await deliveries(db, endpoint_id)
            assert (stuck.attempts, stuck.status, stuck.next_attempt_at) == (
                3, DeliveryStatus.PENDING.value, None)
            enabled = await enable_webhook(db, world.admin, endpoint_id)
            assert enabled.enabled and enabled.consecutive_failures == 0
            await eventually(lambda: _all_settled(db, endpoint_id, len(expected)),
                             message="every delivery settled")
        assert _ids(receiver) == expected
    assert failures_counted() - counted == 3


async def _disabled(db: Database, endpoint_id: int) -> object:
    found = await endpoint(db, endpoint_id)
    return found if not found.enabled else None


async def test_enabling_with_skip_pending_gives_up_the_stuck_event(
    db: Database, world: World
) -> None:
    before = await newest_event_id(db)
    with running_receiver(Receiver(fail_first=10**6)) as receiver:
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["stock.*"]))
        endpoint_id = registered.endpoint.id
        await _flow(db, world)
        expected = await events_after(db, before, ("stock",))
        async with working(db, quick(max_failures=2)):
            await eventually(lambda: _disabled(db, endpoint_id), message="disabled")
            receiver.fail_first = 0
            await enable_webhook(db, world.admin, endpoint_id, skip_pending=True)
            await eventually(lambda: len(_ids(receiver)) == len(expected) - 1,
                             message="the rest delivered")
        assert _ids(receiver) == expected[1:]
    logged = await deliveries(db, endpoint_id)
    assert logged[0].status == DeliveryStatus.GIVEN_UP.value
    assert logged[0].event_id == expected[0]


async def test_two_workers_deliver_each_event_once_per_endpoint(
    db: Database, world: World, postgres_only: None
) -> None:
    before = await newest_event_id(db)
    with running_receiver() as receiver:
        paths = ("/a", "/b", "/c")
        endpoints = [await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(path), ["*"])) for path in paths]
        for _ in range(3):
            await _flow(db, world)
        expected = await events_after(db, before)
        async with working(db, name="one"), working(db, name="two"):
            for registered in endpoints:
                await eventually(lambda r=registered: _all_settled(  # type: ignore[misc]
                    db, r.endpoint.id, len(expected)), message="every delivery settled")
            await asyncio.sleep(0.3)
        for path in paths:
            assert _ids(receiver, path) == expected
    workers = set()
    for registered in endpoints:
        for delivery in await deliveries(db, registered.endpoint.id):
            tries = await attempts(db, delivery.id)
            assert len(tries) == 1
            workers.add(tries[0].worker)
    assert workers <= {"one", "two"}


async def test_events_before_registration_are_not_sent(db: Database, world: World) -> None:
    await put_stock(db, world, "P1", "WH1-A-01", 5)
    with running_receiver() as receiver:
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["stock.*"]))
        before = await newest_event_id(db)
        await put_stock(db, world, "P3", "WH1-A-01", 2)
        expected = await events_after(db, before, ("stock",))
        async with working(db):
            await eventually(lambda: _all_settled(db, registered.endpoint.id, len(expected)),
                             message="settled")
        assert _ids(receiver) == expected


async def test_an_event_committed_late_behind_a_newer_one_is_not_skipped(
    db: Database, world: World, postgres_only: None
) -> None:
    with running_receiver() as receiver:
        registered = await register_webhook(db, world.admin, EndpointDraft(
            receiver.url(), ["stock.STOCK_CHANGED"]))
        async with working(db):
            async with db.transaction() as t1:
                await record_event(t1, topic="stock", kind="STOCK_CHANGED",
                                   payload={"sku": "T1"})
                async with db.transaction() as t2:
                    await record_event(t2, topic="stock", kind="STOCK_CHANGED",
                                       payload={"sku": "T2"})
                # T2 is committed and visible; T1, older, is not yet: T2 must wait for it.
                await asyncio.sleep(0.5)
                assert receiver.accepted == []
                await t1.commit()
            await eventually(lambda: _all_settled(db, registered.endpoint.id, 2),
                             message="both delivered")
        assert [each.json["payload"]["sku"] for each in receiver.accepted] == ["T1", "T2"]


def _endpoint_looks(db: Database) -> list[str]:
    """Collects the worker's unlocked reads of due endpoints (its claims lock FOR UPDATE)."""
    looks: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "FROM webhook_endpoint" in statement and "FOR UPDATE" not in statement \
                and "next_check_at" in statement:
            looks.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    return looks


async def test_lanes_woken_by_one_commit_share_one_look(db: Database, world: World) -> None:
    looks = _endpoint_looks(db)
    async with working(db, quick(lanes=4, idle_poll=30)):
        await eventually(lambda: looks, message="the lanes' first look")
        await asyncio.sleep(0.5)  # every lane waits for a wake now (the idle poll is 30 s)
        looks.clear()
        async with db.transaction() as session:
            await record_event(session, topic="stock", kind="STOCK_CHANGED", payload={})
        await asyncio.sleep(0.5)
        assert len(looks) == 1


async def test_a_commit_during_a_look_gets_a_look_of_its_own(
    db: Database, world: World
) -> None:
    with running_receiver() as receiver:
        async with working(db, quick(lanes=3, idle_poll=30)) as worker:
            await asyncio.sleep(0.3)  # the lanes' first looks: nothing registered yet
            held = asyncio.Event()
            release = asyncio.Event()
            real_look = worker._anything_due

            async def slow_look() -> bool:
                found = await real_look()
                held.set()
                await release.wait()
                return found

            worker._anything_due = slow_look  # type: ignore[method-assign]
            worker.wake()
            await held.wait()  # a look has read: no endpoint is due
            registered = await register_webhook(db, world.admin, EndpointDraft(
                receiver.url(), ["stock.*"]))
            async with db.transaction() as session:
                await record_event(session, topic="stock", kind="STOCK_CHANGED",
                                   payload={"sku": "LATE"})
            worker._anything_due = real_look  # type: ignore[method-assign]
            release.set()
            # Well before the 30 s idle poll: the commit's wake was not answered by the look
            # that had already read.
            await eventually(lambda: _all_settled(db, registered.endpoint.id, 1), within=5,
                             message="delivered")
