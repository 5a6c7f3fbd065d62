"""The per-request context: who is asking, one read session, per-request DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from schema.loaders import Loaders
from server.auth import Principal, require_principal
from server.config import Settings
from server.db import AsyncSession, Database
from server.event_hub import EventHub
from server.ops.login_throttle import LoginThrottle


@dataclass
class Context:
    db: Database
    settings: Settings
    principal: Principal | None = None
    # The process's event reader, for subscriptions (None where no hub runs).
    events: EventHub | None = None
    # Filled by strawberry from a WebSocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    # The caller's address and the process's login throttle (None: logins are not throttled).
    client: str | None = None
    login_throttle: LoginThrottle | None = None
    _session: AsyncSession | None = field(default=None, repr=False)

    def user(self) -> Principal:
        """The authenticated principal; anonymous callers get UNAUTHENTICATED."""
        return require_principal(self.principal)

    @property
    def session(self) -> AsyncSession:
        """A read session opened on first use and closed when the operation ends."""
        if self._session is None:
            self._session = self.db.read_session()
        return self._session

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.session)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.__dict__.pop("loaders", None)


Info: TypeAlias = StrawberryInfo[Context, None]


class CloseRequestSession(SchemaExtension):
    """Returns the request's read connection to the pool as soon as the operation is done."""

    async def on_operation(self):  # type: ignore[no-untyped-def]
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await context.close()
