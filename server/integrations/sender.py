"""One HTTP request for one delivery: our signed envelope, or a group robot's message.

Bounded in time as a whole (httpx's timeout is per read, which a trickling answer defeats) and
in what it reads of the answer."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from server.db import utcnow
from server.integrations.messages import chat_accepted, chat_message, dingtalk_url
from server.integrations.models import EndpointKind
from server.integrations.rules import excerpt, signature_headers

# httpx logs every request's URL at INFO; robot URLs carry their access token or key.
logging.getLogger("httpx").setLevel(logging.WARNING)
# Bytes of a receiver's answer read: enough for the log excerpt and a robot's errcode.
ANSWER_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Claim:
    """What a worker needs of a leased endpoint, detached from the session."""

    endpoint_id: int
    kind: EndpointKind
    url: str
    secret: str
    event_types: list[str]


@dataclass(frozen=True, slots=True)
class Outgoing:
    delivery_id: int
    event_id: int
    event_type: str
    attempt: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    response: str | None = None
    error: str | None = None


def body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Sender:
    def __init__(self, timeout: float, clock: Callable[[], float] = time.time) -> None:
        self.timeout = timeout
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                         headers={"User-Agent": "Caixiao-Webhooks/1"})

    async def close(self) -> None:
        await self._client.aclose()

    def request(self, claim: Claim, outgoing: Outgoing) -> tuple[str, bytes, dict[str, str]]:
        """URL, body and headers: signed with the timestamp of this attempt."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if claim.kind is EndpointKind.WEBHOOK:
            body = body_bytes(outgoing.body)
            headers.update({
                "X-Caixiao-Event-Id": str(outgoing.event_id),
                "X-Caixiao-Event-Type": outgoing.event_type,
                "X-Caixiao-Delivery-Id": str(outgoing.delivery_id),
                "X-Caixiao-Attempt": str(outgoing.attempt),
                **signature_headers(claim.secret, int(self._clock()), body),
            })
            return claim.url, body, headers
        body = body_bytes(chat_message(claim.kind, outgoing.body))
        url = claim.url
        if claim.kind is EndpointKind.DINGTALK:
            url = dingtalk_url(claim.url, claim.secret, int(self._clock() * 1000))
        return url, body, headers

    async def send(self, claim: Claim, outgoing: Outgoing) -> Outcome:
        url, body, headers = self.request(claim, outgoing)
        started_at = utcnow()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                status_code, answer = await self._post(url, body, headers)
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as error:
            elapsed = int((time.monotonic() - started) * 1000)
            message = excerpt(f"{type(error).__name__}: {error}", 480)
            return Outcome(False, started_at, elapsed, error=message)
        elapsed = int((time.monotonic() - started) * 1000)
        text = excerpt(answer.decode(errors="replace"))
        if claim.kind is EndpointKind.WEBHOOK:
            ok = 200 <= status_code < 300
        else:
            try:
                parsed = json.loads(answer)
            except ValueError:
                parsed = None
            ok = chat_accepted(status_code, parsed)
        return Outcome(ok, started_at, elapsed, status_code, text,
                       None if ok else f"refused with HTTP {status_code}")

    async def _post(self, url: str, body: bytes,
                    headers: dict[str, str]) -> tuple[int, bytes]:
        """The status and the start of the answer: a receiver's huge answer is not read."""
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            answer = b""
            async for chunk in response.aiter_bytes():
                answer += chunk
                if len(answer) >= ANSWER_LIMIT:
                    break
            return response.status_code, answer[:ANSWER_LIMIT]
