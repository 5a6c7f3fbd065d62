"""Admins register, change, re-enable and remove webhook endpoints and read their deliveries.

Each use case is one transaction. A new endpoint starts at the outbox's current mark: it hears
the events committed from now on, not the history.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import String, literal_column, select, update

from server.auth import Principal, Role
from server.db import AsyncSession, Database, utcnow
from server.errors import InvalidInput, NotFound
from server.event_log import Position, current_mark
from server.integrations.models import (
    DeliveryStatus,
    EndpointKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from server.integrations.rules import Snapshot, check_event_types, check_url
from server.pagination import Page, paginate

SECRET_PREFIX = "whsec_"
_SNAPSHOT = literal_column("pg_current_snapshot()::text", String)
MAX_DESCRIPTION = 500


@dataclass(frozen=True, slots=True)
class EndpointDraft:
    url: str
    event_types: list[str]
    description: str = ""
    kind: EndpointKind = EndpointKind.WEBHOOK
    # Only for a DINGTALK robot with signing on: the secret DingTalk shows (SEC...).
    robot_secret: str | None = None


@dataclass(frozen=True, slots=True)
class EndpointChange:
    endpoint_id: int
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Registered:
    endpoint: WebhookEndpoint
    # Shown once: the key receivers verify signatures with (empty for chat robots).
    secret: str


def _description(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(f"the description is longer than {MAX_DESCRIPTION} characters",
                           field="description")
    return cleaned


def _secret_for(draft: EndpointDraft) -> str:
    if draft.kind is EndpointKind.WEBHOOK:
        if draft.robot_secret:
            raise InvalidInput("a webhook's secret is generated; robotSecret is for DINGTALK",
                               field="robotSecret")
        return SECRET_PREFIX + secrets.token_urlsafe(32)
    if draft.kind is EndpointKind.WECOM and draft.robot_secret:
        raise InvalidInput("a WeCom robot has no signing secret: its key is in the URL",
                           field="robotSecret")
    return (draft.robot_secret or "").strip()


async def register_webhook(db: Database, principal: Principal,
                           draft: EndpointDraft) -> Registered:
    principal.require(Role.ADMIN)
    url = check_url(draft.url)
    event_types = check_event_types(draft.kind, draft.event_types)
    description = _description(draft.description)
    secret = _secret_for(draft)
    async with db.transaction() as session:
        snapshot: str | None = None
        if db.is_sqlite:
            mark = await current_mark(await session.connection())
        else:
            # The cursor starts at the snapshot's xmin; the snapshot itself tells which of
            # the later transactions had already committed.
            snapshot = await session.scalar(select(_SNAPSHOT))
            mark = Position(Snapshot.parse(snapshot).xmin, 0)
        endpoint = WebhookEndpoint(
            kind=draft.kind.value, url=url, description=description, event_types=event_types,
            secret=secret, enabled=True, consecutive_failures=0,
            cursor_txid=mark.txid, cursor_id=mark.id, start_snapshot=snapshot,
        )
        session.add(endpoint)
        await session.flush()
    return Registered(endpoint, secret if draft.kind is EndpointKind.WEBHOOK else "")


async def _endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise NotFound(f"no webhook {endpoint_id}", field="id")
    return endpoint


async def update_webhook(db: Database, principal: Principal,
                         change: EndpointChange) -> WebhookEndpoint:
    principal.require(Role.ADMIN)
    async with db.transaction() as session:
        endpoint = await _endpoint(session, change.endpoint_id)
        if change.url is not None:
            endpoint.url = check_url(change.url)
        if change.event_types is not None:
            endpoint.event_types = check_event_types(EndpointKind(endpoint.kind),
                                                     change.event_types)
        if change.description is not None:
            endpoint.description = _description(change.description)
        endpoint.updated_at = utcnow()
    return endpoint


async def enable_webhook(db: Database, principal: Principal, endpoint_id: int,
                         skip_pending: bool = False) -> WebhookEndpoint:
    """Turn an endpoint back on, its failure count at zero. The delivery it stopped at is tried
    again first, unless ``skip_pending`` gives it up (an event the receiver can never take)."""
    principal.require(Role.ADMIN)
    async with db.transaction() as session:
        endpoint = await _endpoint(session, endpoint_id)
        endpoint.enabled = True
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.next_check_at = None
        endpoint.updated_at = utcnow()
        pending = (WebhookDelivery.endpoint_id == endpoint.id,
                   WebhookDelivery.status == DeliveryStatus.PENDING.value)
        if skip_pending:
            await session.execute(update(WebhookDelivery).where(*pending).values(
                status=DeliveryStatus.GIVEN_UP.value, finished_at=utcnow(),
                next_attempt_at=None))
        else:
            await session.execute(update(WebhookDelivery).where(*pending).values(
                next_attempt_at=None))
    return endpoint


async def delete_webhook(db: Database, principal: Principal, endpoint_id: int) -> int:
    """Remove the endpoint with its delivery log; a send in flight is discarded."""
    principal.require(Role.ADMIN)
    async with db.transaction() as session:
        endpoint = await _endpoint(session, endpoint_id)
        await session.delete(endpoint)
    return endpoint_id


async def webhooks(session: AsyncSession, principal: Principal) -> list[WebhookEndpoint]:
    principal.require(Role.ADMIN)
    return list(await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


async def deliveries_page(session: AsyncSession, principal: Principal, endpoint_id: int, *,
                          first: int, after: str | None,
                          max_page_size: int) -> Page[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    principal.require(Role.ADMIN)
    if await session.get(WebhookEndpoint, endpoint_id) is None:
        raise NotFound(f"no webhook {endpoint_id}", field="endpoint")
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return await paginate(session, stmt, WebhookDelivery.id, first=first, after=after,
                          max_page_size=max_page_size, newest_first=True)


async def delivery_attempts(session: AsyncSession, delivery_id: int) -> list[WebhookAttempt]:
    """Every attempt at one delivery, oldest first."""
    return list(await session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)))
