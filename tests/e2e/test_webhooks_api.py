"""Webhooks through the HTTP API: admins register and manage endpoints; the app's own worker
delivers; the delivery log is readable; other roles are refused and bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth import Role
from server.db import Database
from server.integrations.models import WebhookEndpoint
from server.inventory.service import adjust_stock
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for
from tests.stock_setup import adjustment, build_stock_world
from tests.webhook_receiver import Receiver, eventually, running_receiver

REGISTER = """
mutation ($input: RegisterWebhookInput!) {
  registerWebhook(input: $input) {
    webhook { id kind url description eventTypes enabled consecutiveFailures }
    secret
    userErrors { code field message }
  }
}"""
UPDATE = """
mutation ($input: UpdateWebhookInput!) {
  updateWebhook(input: $input) { webhook { url eventTypes description } userErrors { code field } }
}"""
ENABLE = """
mutation ($input: EnableWebhookInput!) {
  enableWebhook(input: $input) { webhook { enabled consecutiveFailures } userErrors { code } }
}"""
DELETE = """
mutation ($input: DeleteWebhookInput!) {
  deleteWebhook(input: $input) { deletedId userErrors { code field } }
}"""
WEBHOOKS = "query { webhooks { id url enabled eventTypes } }"
DELIVERIES = """
query ($endpoint: ID!, $first: Int!, $after: String) {
  webhookDeliveries(endpoint: $endpoint, first: $first, after: $after) {
    nodes { eventId eventType status attempts lastStatusCode lastResponse nextAttemptAt body
            attemptLog { number ok statusCode worker } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def _register(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    body = await api(REGISTER, {"input": fields}, token=token)
    result: dict[str, Any] = body["data"]["registerWebhook"]
    return result


async def _endpoint_count(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


async def test_register_deliver_and_read_the_log(api: Api, admin_token: str) -> None:
    world = await build_stock_world(api.database)
    with running_receiver() as receiver:
        registered = await _register(api, admin_token, url=receiver.url(),
                                     eventTypes=["stock.STOCK_CHANGED"], description="ERP")
        assert registered["userErrors"] == []
        webhook = registered["webhook"]
        assert (webhook["kind"], webhook["enabled"], webhook["eventTypes"]) == (
            "WEBHOOK", True, ["stock.STOCK_CHANGED"])
        secret = registered["secret"]
        assert secret.startswith("whsec_")
        for quantity in (3, 4):
            await adjust_stock(api.database, world.keeper,
                               adjustment("SKU-1", "WH1-A", quantity, unit_cost="1"))
        # The app's own worker (in its lifespan) delivers.
        await eventually(lambda: len(receiver.accepted) == 2, message="both events received")
        assert receiver.signatures_valid(secret)
        assert [r.json["payload"]["sku"] for r in receiver.accepted] == ["SKU-1", "SKU-1"]

    async def newest_page() -> Any:
        first_page = await api(DELIVERIES, {"endpoint": webhook["id"], "first": 1},
                               token=admin_token)
        page = first_page["data"]["webhookDeliveries"]
        return page if page["nodes"][0]["status"] != "PENDING" else None

    # The worker records an attempt once the receiver has answered it: a moment after the
    # receiver counted the request.
    page = await eventually(newest_page, message="the second delivery recorded")
    [newest] = page["nodes"]
    assert (newest["eventType"], newest["status"], newest["attempts"],
            newest["lastStatusCode"]) == ("stock.STOCK_CHANGED", "DELIVERED", 1, 200)
    assert newest["attemptLog"][0]["ok"] is True
    assert newest["body"]["id"] == receiver.accepted[1].json["id"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api(DELIVERIES, {"endpoint": webhook["id"], "first": 5,
                                  "after": page["pageInfo"]["endCursor"]}, token=admin_token)
    assert [n["eventId"] for n in rest["data"]["webhookDeliveries"]["nodes"]] == [
        receiver.accepted[0].json["id"]]
    listed = await api(WEBHOOKS, token=admin_token)
    assert [w["id"] for w in listed["data"]["webhooks"]] == [webhook["id"]]


async def test_update_enable_and_delete(api: Api, admin_token: str) -> None:
    registered = await _register(api, admin_token, url="https://erp.example.com/in",
                                 eventTypes=["approval.*"])
    endpoint_id = registered["webhook"]["id"]
    updated = await api(UPDATE, {"input": {"id": endpoint_id, "url": "https://erp.example.com/v2",
                                           "eventTypes": ["sales_alert.*", "approval.*"]}},
                        token=admin_token)
    assert updated["data"]["updateWebhook"] == {"webhook": {
        "url": "https://erp.example.com/v2", "eventTypes": ["approval.*", "sales_alert.*"],
        "description": ""}, "userErrors": []}
    enabled = await api(ENABLE, {"input": {"id": endpoint_id}}, token=admin_token)
    assert enabled["data"]["enableWebhook"]["webhook"] == {"enabled": True,
                                                           "consecutiveFailures": 0}
    deleted = await api(DELETE, {"input": {"id": endpoint_id}}, token=admin_token)
    assert deleted["data"]["deleteWebhook"] == {"deletedId": endpoint_id, "userErrors": []}
    again = await api(DELETE, {"input": {"id": endpoint_id}}, token=admin_token)
    assert again["data"]["deleteWebhook"]["userErrors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert (await api(WEBHOOKS, token=admin_token))["data"]["webhooks"] == []


async def test_chat_robots_are_registered_with_their_own_secret(
    api: Api, admin_token: str
) -> None:
    ding = await _register(api, admin_token, kind="DINGTALK",
                           url="https://oapi.dingtalk.com/robot/send?access_token=T",
                           eventTypes=["sales_alert.SHORTAGE"], robotSecret="SECabc")
    assert ding["userErrors"] == [] and ding["secret"] is None
    assert ding["webhook"]["kind"] == "DINGTALK"
    wecom = await _register(api, admin_token, kind="WECOM", robotSecret="x",
                            url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
                            eventTypes=["approval.*"])
    assert wecom["userErrors"][0]["field"] == "robotSecret"
    stock = await _register(api, admin_token, kind="WECOM", eventTypes=["stock.*"],
                            url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
    assert stock["userErrors"][0]["field"] == "eventTypes"


async def test_bad_input_is_refused_and_changes_nothing(api: Api, admin_token: str) -> None:
    bad = await _register(api, admin_token, url="ftp://nowhere", eventTypes=["stock.*"])
    assert bad["webhook"] is None
    assert bad["userErrors"][0]["code"] == "INVALID_INPUT"
    assert bad["userErrors"][0]["field"] == "url"
    nothing = await _register(api, admin_token, url="https://x.example.com",
                              eventTypes=["nowhere.X", "stock.lower"])
    assert [e["field"] for e in nothing["userErrors"]] == ["eventTypes", "eventTypes"]
    not_an_id = await api(ENABLE, {"input": {"id": "abc"}}, token=admin_token)
    assert not_an_id["data"]["enableWebhook"]["userErrors"] == [{"code": "INVALID_INPUT"}]
    assert await _endpoint_count(api.database) == 0


@pytest.mark.parametrize("role", [Role.PURCHASER, Role.WAREHOUSE, Role.SALES])
async def test_only_admins_manage_or_read_webhooks(
    api: Api, make_user: UserFactory, role: Role
) -> None:
    token = await token_for(api.database, await make_user(role))
    refused = await _register(api, token, url="https://x.example.com", eventTypes=["stock.*"])
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    listed = await api(WEBHOOKS, token=token)
    assert listed["data"] is None
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    deliveries = await api(DELIVERIES, {"endpoint": "1", "first": 5}, token=token)
    assert deliveries["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _endpoint_count(api.database) == 0
    anonymous = await _register(api, "", url="https://x.example.com", eventTypes=["stock.*"])
    assert anonymous["userErrors"][0]["code"] == "UNAUTHENTICATED"


def _failures_scraped(text: str) -> float:
    prefix = 'caixiao_webhook_delivery_failures_total{kind="WEBHOOK"} '
    [line] = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


async def test_metrics_count_the_failed_attempts(api: Api, admin_token: str) -> None:
    world = await build_stock_world(api.database)
    before = _failures_scraped((await api.http.get("/metrics")).text)
    with running_receiver(Receiver(fail_first=1)) as receiver:
        await _register(api, admin_token, url=receiver.url(), eventTypes=["stock.*"])
        await adjust_stock(api.database, world.keeper, adjustment("SKU-1", "WH1-A", 1,
                                                                  unit_cost="1"))
        await eventually(lambda: len(receiver.refused) == 1, message="the refused attempt")

        async def counted() -> bool:
            scraped = _failures_scraped((await api.http.get("/metrics")).text)
            return scraped == before + 1

        await eventually(counted, message="the failure on /metrics")
