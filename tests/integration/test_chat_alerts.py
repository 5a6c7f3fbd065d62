"""Sales alerts and approval tasks reach DingTalk and WeCom group robots (a local stand-in) in
their documented message formats; DingTalk's URL is signed; an errcode answer is a failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.events import Event
from server.integrations.models import DeliveryStatus, EndpointKind
from server.integrations.service import EndpointDraft, register_webhook
from server.sales.models import ShortagePolicy
from tests.sales_setup import order_for, purchase, sales_world
from tests.webhook_receiver import Received, Receiver, eventually, running_receiver
from tests.webhook_setup import (
    attempts,
    deliveries,
    events_after,
    failures_counted,
    newest_event_id,
    working,
)
from tests.world import World

ROBOT_SECRET = "SECtest-robot-secret"


@pytest.fixture
async def world(db: Database) -> World:
    return await sales_world(db)


def _signed_correctly(received: Received) -> bool:
    query = parse_qs(urlsplit(received.path).query)
    timestamp = query["timestamp"][0]
    digest = hmac.new(ROBOT_SECRET.encode(), f"{timestamp}\n{ROBOT_SECRET}".encode(),
                      hashlib.sha256).digest()
    return query["sign"] == [base64.b64encode(digest).decode()] and query["access_token"] == ["T"]


async def test_alerts_go_to_dingtalk_and_approval_tasks_to_wecom(
    db: Database, world: World
) -> None:
    before = await newest_event_id(db)
    counted = failures_counted(EndpointKind.DINGTALK.value)
    with (running_receiver(Receiver(robot=True, fail_first=1)) as dingtalk,
          running_receiver(Receiver(robot=True)) as wecom_robot):
        ding = await register_webhook(db, world.admin, EndpointDraft(
            dingtalk.url("/robot/send?access_token=T"), ["sales_alert.SHORTAGE"],
            kind=EndpointKind.DINGTALK, robot_secret=ROBOT_SECRET))
        wecom = await register_webhook(db, world.admin, EndpointDraft(
            wecom_robot.url("/cgi-bin/webhook/send?key=K"), ["approval.APPROVAL_TASK_CREATED"],
            kind=EndpointKind.WECOM))
        assert ding.secret == "" and wecom.secret == ""
        order = await order_for(db, world, [("P1", 4)], policy=ShortagePolicy.BACKORDER)
        po = await purchase(db, world, "P1", 10)
        shortages = await events_after(db, before, ("sales_alert",))
        created = await _task_events_created(db, before)
        async with working(db):
            await eventually(lambda: _delivered(db, ding.endpoint.id, len(shortages)),
                             message="the shortage alerts delivered")
            await eventually(lambda: _delivered(db, wecom.endpoint.id, created),
                             message="the approval task delivered")
        to_ding = list(dingtalk.accepted)
        to_wecom = list(wecom_robot.accepted)
    assert len(shortages) == len(to_ding) >= 1
    assert all(_signed_correctly(each) for each in to_ding)
    message = to_ding[0].json
    assert message["msgtype"] == "markdown"
    assert "Shortage" in message["markdown"]["title"]
    assert order.view.order.number in message["markdown"]["text"]
    assert "P1" in message["markdown"]["text"]
    assert len(to_wecom) == created >= 1
    task_message = to_wecom[0].json
    assert task_message["msgtype"] == "markdown"
    assert po.number in task_message["markdown"]["content"]
    assert "Approval needed" in task_message["markdown"]["content"]
    # The robot's first answer was errcode 500 (HTTP 200): counted and retried.
    [first] = (await deliveries(db, ding.endpoint.id))[:1]
    assert [t.ok for t in await attempts(db, first.id)] == [False, True]
    assert failures_counted(EndpointKind.DINGTALK.value) - counted == 1


async def _task_events_created(db: Database, after_id: int) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Event).where(
            Event.id > after_id, Event.kind == "APPROVAL_TASK_CREATED")) or 0)


async def _delivered(db: Database, endpoint_id: int, count: int) -> bool:
    done = await deliveries(db, endpoint_id)
    return len(done) == count and all(d.status == DeliveryStatus.DELIVERED.value for d in done)
