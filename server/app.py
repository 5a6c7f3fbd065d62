"""The ASGI application: /graphql (HTTP, GraphiQL, graphql-transport-ws), /health, the
documents' PDFs (/documents/{kind}/{number}.pdf) and the finance reports as files
(/reports/{name}.csv|.xlsx)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema import build_schema
from schema.context import Context
from server import auth
from server.config import Settings
from server.db import Database
from server.documents.http import document_response
from server.event_hub import EventHub
from server.finance.http import report_response

BEARER = "bearer "


def bearer_token(value: object) -> str | None:
    if isinstance(value, str) and value.lower().startswith(BEARER):
        return value[len(BEARER):].strip() or None
    return None


class CaixiaoGraphQL(GraphQL[Context, None]):
    """Authenticates each HTTP request by its header and each WebSocket at connection_init."""

    def __init__(self, settings: Settings, database: Database, events: EventHub) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.database = database
        self.events = events

    async def _principal(self, token: str | None) -> auth.Principal | None:
        if token is None:
            return None
        async with self.database.reader() as session:
            return await auth.authenticate(session, token)

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = Context(db=self.database, settings=self.settings, events=self.events)
        if isinstance(request, Request):
            context.principal = await self._principal(
                bearer_token(request.headers.get("authorization"))
            )
        return context

    async def on_ws_connect(self, context: Context) -> None:
        params = context.connection_params or {}
        token = bearer_token(params.get("Authorization") or params.get("authorization"))
        if token is None and isinstance(params.get("token"), str):
            token = params["token"]
        context.principal = await self._principal(token)
        if token is not None and context.principal is None:
            raise ConnectionRejectionError({"message": "unknown or expired token"})


class _LifespanBuilt:
    """An ASGI endpoint standing in for an app that only exists once the lifespan has run."""

    def __init__(self, state: dict[str, Any], key: str) -> None:
        self.state = state
        self.key = key

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.state[self.key](scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the database engine is created in the lifespan, not at import."""
    settings = settings or Settings.from_env()
    state: dict[str, Any] = {}

    async def health(_request: Request) -> Response:
        ok = await state["database"].ping()
        return JSONResponse({"status": "ok" if ok else "database unreachable"},
                            status_code=200 if ok else 503)

    async def document(request: Request) -> Response:
        return await document_response(request, state["database"],
                                       bearer_token(request.headers.get("authorization")))

    async def report(request: Request) -> Response:
        return await report_response(request, state["database"],
                                     bearer_token(request.headers.get("authorization")))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        database = Database(settings.database_url, echo=settings.sql_echo)
        events = EventHub(database)
        state["database"] = database
        state["events"] = events
        state["graphql"] = CaixiaoGraphQL(settings, database, events)
        try:
            await events.start()
            yield
        finally:
            await events.stop()
            await database.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", _LifespanBuilt(state, "graphql"), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", _LifespanBuilt(state, "graphql")),
            Route("/health", health),
            Route("/documents/{kind}/{number}.pdf", document, methods=["GET"]),
            Route("/reports/{name}.{format}", report, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = state
    return app
