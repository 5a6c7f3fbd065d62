"""Login and the caller's own identity."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from schema.context import Info
from schema.errors import UserError, user_errors
from server import auth
from server.errors import DomainError
from server.ops.login_throttle import guarded_login, login_keys

Role = strawberry.enum(auth.Role, name="Role")


@strawberry.type(description="The user behind the current token.")
class Me:
    username: str
    roles: list[Role]
    supplier_id: strawberry.ID | None

    @classmethod
    def of(cls, principal: auth.Principal) -> Me:
        supplier = strawberry.ID(str(principal.supplier_id)) if principal.supplier_id else None
        return cls(username=principal.username, roles=sorted(principal.roles),
                   supplier_id=supplier)


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(description="Send as Authorization: Bearer <token>.")
    expires_at: datetime | None
    me: Me | None
    user_errors: list[UserError]
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="With RATE_LIMITED: seconds until logins are accepted again.")


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who the bearer token belongs to.")
    def me(self, info: Info) -> Me:
        return Me.of(info.context.user())


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Exchange a username and password for a session token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ttl = timedelta(hours=info.context.settings.token_ttl_hours)
        keys = login_keys(input.username, info.context.client)
        try:
            issued = await guarded_login(
                info.context.login_throttle, keys,
                lambda: auth.login(info.context.db, input.username, input.password, ttl),
            )
        except DomainError as error:
            return LoginPayload(token=None, expires_at=None, me=None,
                                user_errors=user_errors(error),
                                retry_after_seconds=getattr(error, "retry_after", None))
        return LoginPayload(token=issued.token, expires_at=issued.expires_at,
                            me=Me.of(issued.principal), user_errors=[])
