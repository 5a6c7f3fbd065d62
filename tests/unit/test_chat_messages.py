"""The webhook envelope and the DingTalk / WeCom robot messages made from events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

from server.event_log import Position, StoredEvent
from server.integrations.messages import (
    chat_accepted,
    chat_message,
    dingtalk_sign,
    dingtalk_url,
    envelope,
)
from server.integrations.models import EndpointKind

AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def _event(topic: str, kind: str, payload: dict[str, object], number: str = "SO-2026-000001",
           document_type: str = "SO") -> StoredEvent:
    return StoredEvent(position=Position(0, 42), topic=topic, kind=kind, warehouse_id=3,
                       document_type=document_type, document_number=number, payload=payload,
                       created_at=AT)


SHORTAGE = _event("sales_alert", "SHORTAGE", {
    "kind": "SHORTAGE", "orderNumber": "SO-2026-000001", "lineNo": 1, "sku": "SKU-1",
    "quantity": "3.0000", "salespersonId": 5, "salesperson": "li.na", "region": "East",
    "customerCode": "C-001", "message": "2 short of 5"})
TASK = _event("approval", "APPROVAL_TASK_CREATED", {
    "taskId": 1, "requestId": 2, "approverId": 3, "approver": "wang", "stepName": "Manager",
    "mode": "ANY", "status": "PENDING", "facts": {}}, number="PO-2026-000009", document_type="PO")


def test_the_envelope_carries_type_id_cursor_and_the_event() -> None:
    body = envelope(SHORTAGE)
    assert body["id"] == 42
    assert body["cursor"] == Position(0, 42).cursor()
    assert body["type"] == "sales_alert.SHORTAGE"
    assert body["occurredAt"] == "2026-12-03T09:30:00+00:00"
    assert (body["warehouseId"], body["documentNumber"]) == (3, "SO-2026-000001")
    assert body["payload"]["sku"] == "SKU-1"


def test_dingtalk_gets_markdown_with_title_and_text() -> None:
    message = chat_message(EndpointKind.DINGTALK, envelope(SHORTAGE))
    assert message["msgtype"] == "markdown"
    assert set(message["markdown"]) == {"title", "text"}
    assert "Shortage" in message["markdown"]["title"]
    text = message["markdown"]["text"]
    for fact in ("SO-2026-000001", "SKU-1 × 3.0000", "C-001", "East", "li.na", "2 short of 5"):
        assert fact in text


def test_wecom_gets_markdown_content() -> None:
    message = chat_message(EndpointKind.WECOM, envelope(TASK))
    assert message == {"msgtype": "markdown", "markdown": {"content": message["markdown"]
                                                             ["content"]}}
    content = message["markdown"]["content"]
    for fact in ("Approval needed", "PO PO-2026-000009", "Manager", "wang", "PENDING"):
        assert fact in content


def test_a_plain_webhook_is_no_chat_robot() -> None:
    with pytest.raises(ValueError):
        chat_message(EndpointKind.WEBHOOK, envelope(TASK))


def test_dingtalk_signed_url_follows_its_documented_scheme() -> None:
    secret, timestamp = "SECabc123", 1_780_000_000_123
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", secret, timestamp)
    query = parse_qs(urlsplit(url).query)
    assert query["access_token"] == ["T"]
    assert query["timestamp"] == [str(timestamp)]
    assert query["sign"] == [base64.b64encode(digest).decode()]
    encoded = dingtalk_sign(secret, timestamp)
    assert unquote_plus(encoded) == base64.b64encode(digest).decode()
    assert not set(encoded) & set("+/=")
    assert dingtalk_url("https://robot.example/send", "", timestamp) == "https://robot.example/send"
    assert "?timestamp=" in dingtalk_url("https://robot.example/send", secret, timestamp)


def test_a_robot_accepted_only_with_errcode_zero() -> None:
    assert chat_accepted(200, {"errcode": 0, "errmsg": "ok"})
    assert not chat_accepted(200, {"errcode": 310000, "errmsg": "sign not match"})
    assert not chat_accepted(200, None)
    assert not chat_accepted(502, {"errcode": 0})
