"""What is sent: our JSON envelope for webhooks, and the group robots' documented messages.

DingTalk custom robot: POST ``{"msgtype": "markdown", "markdown": {"title", "text"}}`` to its
webhook URL; with signing enabled the URL also carries ``timestamp`` (milliseconds) and
``sign`` = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))). WeCom group robot:
POST ``{"msgtype": "markdown", "markdown": {"content"}}`` to its URL with the key. Both answer
HTTP 200 with ``{"errcode": 0, ...}`` on success and a non-zero errcode otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus

from server.event_log import StoredEvent
from server.integrations.models import EndpointKind
from server.integrations.rules import event_type

ALERT_TITLES = {
    "SHORTAGE": "缺货 Shortage",
    "BACKORDER_READY": "欠货可发 Backorder ready",
    "LOW_STOCK": "低库存 Low stock",
    "SHIPPED": "已发货 Shipped",
}
TASK_TITLES = {
    "APPROVAL_TASK_CREATED": "待审批 Approval needed",
    "APPROVAL_TASK_CLOSED": "审批关闭 Approval closed",
    "APPROVAL_REQUEST_DECIDED": "审批结果 Approval result",
}


def envelope(event: StoredEvent) -> dict[str, Any]:
    """The webhook body: the event with its id and outbox cursor, so a receiver can skip a
    repeat (delivery is at least once) and see the order."""
    return {
        "id": event.position.id,
        "cursor": event.cursor,
        "type": event_type(event.topic, event.kind),
        "topic": event.topic,
        "kind": event.kind,
        "occurredAt": event.created_at.isoformat(),
        "warehouseId": event.warehouse_id,
        "documentType": event.document_type,
        "documentNumber": event.document_number,
        "payload": event.payload,
    }


def _alert_lines(body: dict[str, Any]) -> tuple[str, list[str]]:
    payload = body["payload"]
    title = ALERT_TITLES.get(body["kind"], body["kind"])
    lines = [
        f"订单 Order: {payload.get('orderNumber') or body.get('documentNumber') or '-'}",
        f"SKU: {payload.get('sku', '-')} × {payload.get('quantity', '-')}",
        f"客户 Customer: {payload.get('customerCode') or '-'}"
        f" · 区域 Region: {payload.get('region') or '-'}",
    ]
    if payload.get("salesperson"):
        lines.append(f"销售 Salesperson: {payload['salesperson']}")
    if payload.get("message"):
        lines.append(str(payload["message"]))
    return title, lines


def _approval_lines(body: dict[str, Any]) -> tuple[str, list[str]]:
    payload = body["payload"]
    title = TASK_TITLES.get(body["kind"], body["kind"])
    document = f"{body.get('documentType') or ''} {body.get('documentNumber') or ''}".strip()
    lines = [f"单据 Document: {document or '-'}"]
    if payload.get("stepName"):
        lines.append(f"步骤 Step: {payload['stepName']}")
    if payload.get("approver"):
        lines.append(f"审批人 Approver: {payload['approver']}")
    if payload.get("status"):
        lines.append(f"状态 Status: {payload['status']}")
    return title, lines


def chat_text(body: dict[str, Any]) -> tuple[str, str]:
    """A title and a markdown text for a sales-alert or approval event's envelope."""
    if body["topic"] == "sales_alert":
        title, lines = _alert_lines(body)
    else:
        title, lines = _approval_lines(body)
    text = f"#### {title}\n\n" + "\n\n".join(f"- {line}" for line in lines)
    return title, text


def chat_message(kind: EndpointKind, body: dict[str, Any]) -> dict[str, Any]:
    title, text = chat_text(body)
    if kind is EndpointKind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if kind is EndpointKind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    raise ValueError(f"{kind.value} is not a chat robot")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` parameter, already URL-encoded."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL to POST to: as registered, plus the signature when a secret is set."""
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def chat_accepted(status_code: int, answer: Any) -> bool:
    """A robot took the message: HTTP 2xx and errcode 0 in its JSON answer."""
    return 200 <= status_code < 300 and isinstance(answer, dict) and answer.get("errcode") == 0
