"""The ASGI application: /graphql (HTTP, GraphiQL, graphql-transport-ws), /health, /metrics, the
documents' PDFs (/documents/{kind}/{number}.pdf), the finance reports as files
(/reports/{name}.csv|.xlsx) and the import templates (/imports/templates/{kind}.xlsx|.csv). Its
lifespan also runs the webhook worker (CAIXIAO_WEBHOOK_WORKER)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException
from starlette import status
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema import build_schema
from schema.context import Context
from schema.event_delivery import EncodedTextWebSocket, SharedResultTransportWS
from server import auth
from server.config import Settings
from server.db import Database, json_bytes
from server.documents.http import document_response
from server.event_hub import EventHub
from server.finance.http import report_response
from server.imports.http import template_response
from server.integrations.worker import WebhookWorker, WorkerSettings
from server.ops.body_limit import BodySizeLimit
from server.ops.heap import settle_heap
from server.ops.login_throttle import LoginThrottle
from server.ops.logs import RequestIdMiddleware, configure_logging
from server.ops.metrics import refresh_event_gauges, render

BEARER = "bearer "


def bearer_token(value: object) -> str | None:
    if isinstance(value, str) and value.lower().startswith(BEARER):
        return value[len(BEARER):].strip() or None
    return None


def answer_json(data: object) -> bytes:
    """A GraphQL answer as compact UTF-8 JSON, as strawberry writes it, by the JSON columns'
    writer (orjson: a report of 70,000 rows ~5x faster than json); what orjson refuses (a lone
    surrogate, an integer over 64 bits) goes json's way."""
    try:
        return json_bytes(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


class CaixiaoGraphQL(GraphQL[Context, None]):
    """Authenticates each HTTP request by its header and each WebSocket at connection_init."""

    websocket_adapter_class = EncodedTextWebSocket
    graphql_transport_ws_handler_class = SharedResultTransportWS

    def __init__(self, settings: Settings, database: Database, events: EventHub,
                 login_throttle: LoginThrottle) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # importData takes a file (GraphQL multipart request spec); BodySizeLimit still
            # bounds the whole request before strawberry reads it.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.database = database
        self.events = events
        self.login_throttle = login_throttle

    def encode_json(self, data: object) -> str:
        return answer_json(data).decode()

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        """Strawberry's answer, with its body as the bytes orjson writes: a 27 MB report is not
        decoded to text only to be encoded back (WebSocket messages stay text)."""
        response = Response(answer_json(response_data), status_code=sub_response.status_code
                            or status.HTTP_200_OK, media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response

    def parse_json(self, data: str | bytes) -> Any:
        """Strawberry reads a JSON body that is a string, number or null as if it were an
        object and fails with a 500; such a body is the client's mistake: 400."""
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    async def _principal(self, token: str | None) -> auth.Principal | None:
        if token is None:
            return None
        async with self.database.autocommit_reader() as connection:
            return await auth.authenticate(connection, token)

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = Context(db=self.database, settings=self.settings, events=self.events,
                          login_throttle=self.login_throttle,
                          client=request.client.host if request.client else None)
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


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: the request id covers everything, CORS answers preflights before the
    body limit, which refuses oversized bodies before the routes read them."""
    stack = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        stack.append(Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id"], max_age=600,
        ))
    stack.append(Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes))
    return stack


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the database engine is created in the lifespan, not at import."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_format)
    state: dict[str, Any] = {}

    async def health(_request: Request) -> Response:
        ok = await state["database"].ping()
        return JSONResponse({"status": "ok" if ok else "database unreachable"},
                            status_code=200 if ok else 503)

    async def document(request: Request) -> Response:
        return await document_response(request, state["database"],
                                       bearer_token(request.headers.get("authorization")))

    async def metrics(_request: Request) -> Response:
        await refresh_event_gauges(state["database"], state["events"])
        body, content_type = render()
        return Response(body, media_type=content_type)

    async def report(request: Request) -> Response:
        return await report_response(request, state["database"],
                                     bearer_token(request.headers.get("authorization")))

    async def import_template(request: Request) -> Response:
        return await template_response(request, state["database"],
                                       bearer_token(request.headers.get("authorization")))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        database = Database(settings.database_url, echo=settings.sql_echo)
        events = EventHub(database)
        state["database"] = database
        state["events"] = events
        throttle = LoginThrottle(settings.login_max_failures,
                                 settings.login_failure_window_seconds)
        state["graphql"] = CaixiaoGraphQL(settings, database, events, throttle)
        webhooks = (WebhookWorker(database, WorkerSettings.from_settings(settings))
                    if settings.webhook_worker else None)
        state["webhooks"] = webhooks
        heap = None
        try:
            await events.start()
            if webhooks is not None:
                await webhooks.start()
            heap = settle_heap()
            yield
        finally:
            if heap is not None:
                heap.release()
            if webhooks is not None:
                await webhooks.stop()
            await events.stop()
            await database.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", _LifespanBuilt(state, "graphql"), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", _LifespanBuilt(state, "graphql")),
            Route("/health", health),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/documents/{kind}/{number}.pdf", document, methods=["GET"]),
            Route("/reports/{name}.{format}", report, methods=["GET"]),
            Route("/imports/templates/{kind}.{format}", import_template, methods=["GET"]),
        ],
        lifespan=lifespan,
        middleware=_middleware(settings),
    )
    app.state.services = state
    return app
