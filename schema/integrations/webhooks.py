"""Webhook endpoints and their delivery log, for admins."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import UserError, attempt
from schema.pagination import Connection, connection
from server.errors import InvalidInput
from server.integrations import models, service
from server.integrations.models import DeliveryStatus, EndpointKind

WebhookKind = strawberry.enum(EndpointKind, name="WebhookKind")
WebhookDeliveryStatus = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")


def _endpoint_id(raw: strawberry.ID, field: str = "id") -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"not a webhook id: {raw!r}", field=field) from None


@strawberry.type(description="An endpoint that is sent the events it names, in order.")
class Webhook:
    id: strawberry.ID
    kind: WebhookKind
    url: str
    description: str
    event_types: list[str] = strawberry.field(
        description="topic.KIND, topic.* or * (WEBHOOK only), e.g. sales_alert.SHORTAGE.")
    enabled: bool = strawberry.field(
        description="False once CAIXIAO_WEBHOOK_MAX_FAILURES sends failed in a row.")
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: models.WebhookEndpoint) -> Webhook:
        return cls(id=strawberry.ID(str(row.id)), kind=EndpointKind(row.kind), url=row.url,
                   description=row.description, event_types=list(row.event_types),
                   enabled=row.enabled, consecutive_failures=row.consecutive_failures,
                   disabled_at=row.disabled_at, disabled_reason=row.disabled_reason,
                   created_at=row.created_at, updated_at=row.updated_at)


@strawberry.type(description="One HTTP request made for a delivery.")
class WebhookAttempt:
    number: int
    worker: str
    started_at: datetime
    duration_ms: int
    ok: bool
    status_code: int | None
    response_excerpt: str | None
    error: str | None

    @classmethod
    def of(cls, row: models.WebhookAttempt) -> WebhookAttempt:
        return cls(number=row.number, worker=row.worker, started_at=row.started_at,
                   duration_ms=row.duration_ms, ok=row.ok, status_code=row.status_code,
                   response_excerpt=row.response_excerpt, error=row.error)


@strawberry.type(description="One event sent (or being sent) to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: int
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_response: str | None = strawberry.field(description="The start of the last answer.")
    last_error: str | None
    next_attempt_at: datetime | None = strawberry.field(
        description="When a failed delivery is tried again; null when none is planned.")
    created_at: datetime
    finished_at: datetime | None
    body: JSON = strawberry.field(description="The JSON envelope the endpoint is sent.")

    @strawberry.field(description="Every attempt, oldest first.")
    async def attempt_log(self, info: Info) -> list[WebhookAttempt]:
        rows = await service.delivery_attempts(info.context.session, int(self.id))
        return [WebhookAttempt.of(row) for row in rows]

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(str(row.id)), event_id=row.event_id,
                   event_type=row.event_type, status=DeliveryStatus(row.status),
                   attempts=row.attempts, last_status_code=row.last_status_code,
                   last_response=row.last_response, last_error=row.last_error,
                   next_attempt_at=row.next_attempt_at, created_at=row.created_at,
                   finished_at=row.finished_at, body=row.body)


@strawberry.input
class RegisterWebhookInput:
    url: str
    event_types: list[str]
    description: str = ""
    kind: WebhookKind = EndpointKind.WEBHOOK
    robot_secret: str | None = strawberry.field(
        default=None, description="DINGTALK only: the robot's signing secret (SEC...).")


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None


@strawberry.input
class EnableWebhookInput:
    id: strawberry.ID
    skip_pending: bool = strawberry.field(
        default=False, description="Give up the delivery it stopped at instead of retrying it.")


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.type
class RegisterWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="WEBHOOK: the signing key, shown only now. Receivers check "
                    "X-Caixiao-Signature: v1=HMAC-SHA256(secret, timestamp + '.' + body).")
    user_errors: list[UserError]


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None
    user_errors: list[UserError]


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Every webhook and chat robot endpoint (admins only).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        rows = await service.webhooks(info.context.session, info.context.user())
        return [Webhook.of(row) for row in rows]

    @strawberry.field(description="An endpoint's deliveries, newest first (admins only).")
    async def webhook_deliveries(self, info: Info, endpoint: strawberry.ID, first: int = 50,
                                 after: str | None = None) -> Connection[WebhookDelivery]:
        page = await service.deliveries_page(
            info.context.session, info.context.user(), _endpoint_id(endpoint, "endpoint"),
            first=first, after=after, max_page_size=info.context.settings.max_page_size)
        return connection(page, WebhookDelivery.of)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register an endpoint for the event types it names; it "
                                     "hears events from now on (admins only).")
    async def register_webhook(self, info: Info,
                               input: RegisterWebhookInput) -> RegisterWebhookPayload:
        draft = service.EndpointDraft(
            url=input.url, event_types=list(input.event_types), description=input.description,
            kind=EndpointKind(input.kind), robot_secret=input.robot_secret)
        registered, errors = await attempt(lambda: service.register_webhook(
            info.context.db, info.context.user(), draft))
        if registered is None:
            return RegisterWebhookPayload(webhook=None, secret=None, user_errors=errors)
        return RegisterWebhookPayload(webhook=Webhook.of(registered.endpoint),
                                      secret=registered.secret or None, user_errors=[])

    @strawberry.mutation(description="Change an endpoint's URL, event types or description.")
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> WebhookPayload:
        changed, errors = await attempt(lambda: service.update_webhook(
            info.context.db, info.context.user(), service.EndpointChange(
                _endpoint_id(input.id), url=input.url,
                event_types=None if input.event_types is None else list(input.event_types),
                description=input.description)))
        return WebhookPayload(webhook=changed and Webhook.of(changed), user_errors=errors)

    @strawberry.mutation(description="Turn an endpoint back on after it was disabled.")
    async def enable_webhook(self, info: Info, input: EnableWebhookInput) -> WebhookPayload:
        enabled, errors = await attempt(lambda: service.enable_webhook(
            info.context.db, info.context.user(), _endpoint_id(input.id), input.skip_pending))
        return WebhookPayload(webhook=enabled and Webhook.of(enabled), user_errors=errors)

    @strawberry.mutation(description="Remove an endpoint and its delivery log.")
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        deleted, errors = await attempt(lambda: service.delete_webhook(
            info.context.db, info.context.user(), _endpoint_id(input.id)))
        return DeleteWebhookPayload(
            deleted_id=None if deleted is None else strawberry.ID(str(deleted)),
            user_errors=errors)
