"""Running in production: /metrics, request ids in JSON logs, CORS, body and list limits, login
throttling, and introspection and GraphiQL switched off."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.auth import Principal
from server.config import Settings
from server.db import Database
from server.ops.logs import JsonFormatter
from tests.e2e.conftest import token_for

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
ME = "query WhoAmI { me { username } }"


@pytest.fixture
def client(db: Database) -> Client:
    @asynccontextmanager
    async def open_client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(dataclasses.replace(Settings(database_url=db.url), **settings))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://caixiao.test") as http:
                yield http

    return open_client


async def test_metrics_count_each_operation(client: Client, admin: Principal,
                                            db: Database) -> None:
    token = await token_for(db, admin)
    async with client() as http:
        await http.post("/graphql", json={"query": ME},
                        headers={"Authorization": f"Bearer {token}"})
        metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    body = metrics.text
    assert ('caixiao_graphql_requests_total{operation_name="WhoAmI",operation_type="query",'
            'outcome="ok"}') in body
    assert 'caixiao_graphql_request_duration_seconds_count{operation_name="WhoAmI"' in body
    assert "caixiao_subscriptions_open 0.0" in body
    assert "caixiao_events_lagging " in body


async def test_request_id_round_trips_and_is_in_every_json_line(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with client(log_format="json") as http:
        given = await http.post("/graphql", json={"query": ME},
                                headers={"X-Request-Id": "pda-7-000123"})
        made = await http.get("/health")
    assert given.headers["x-request-id"] == "pda-7-000123"
    assert len(made.headers["x-request-id"]) == 32
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records
             if r.name == "caixiao.request"]
    assert [(line["request_id"], line["path"], line["status"]) for line in lines] == [
        ("pda-7-000123", "/graphql", 200), (made.headers["x-request-id"], "/health", 200)]


async def test_cors_preflight_allows_only_the_configured_origin(client: Client) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    async with client(cors_origins=("https://sales.example.com",)) as http:
        allowed = await http.options("/graphql", headers={
            **preflight, "Origin": "https://sales.example.com"})
        other = await http.options("/graphql", headers={
            **preflight, "Origin": "https://evil.example.com"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://sales.example.com"
    assert "access-control-allow-origin" not in other.headers
    async with client() as http:
        closed = await http.options("/graphql", headers={
            **preflight, "Origin": "https://sales.example.com"})
    assert "access-control-allow-origin" not in closed.headers


async def test_oversized_bodies_get_413(client: Client) -> None:
    big = b'{"query": "' + b" " * (10 * 1024 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    async with client() as http:
        declared = await http.post("/graphql", content=big,
                                   headers={"Content-Type": "application/json"})
        chunked = await http.post("/graphql", content=chunks(),
                                  headers={"Content-Type": "application/json"})
        small = await http.post("/graphql", json={"query": "{ __typename }"})
    assert declared.status_code == 413
    assert chunked.status_code == 413
    assert small.status_code == 200


async def test_list_inputs_are_capped(client: Client, admin: Principal, db: Database) -> None:
    token = await token_for(db, admin)
    line = {"poNumber": "PO-1", "lineNo": 1, "quantity": "1", "unitPrice": "1"}
    query = ("mutation ($input: RecordSupplierInvoiceInput!) { recordSupplierInvoice("
             "input: $input) { userErrors { code } } }")
    variables = {"input": {"supplierCode": "S", "invoiceNumber": "I-1",
                           "invoiceDate": "2026-01-05", "lines": [line] * 3}}
    async with client(max_list_input=2) as http:
        answer = (await http.post("/graphql", json={"query": query, "variables": variables},
                                  headers={"Authorization": f"Bearer {token}"})).json()
    error = answer["errors"][0]
    assert error["extensions"] == {"code": "TOO_MANY_ITEMS", "field": "input.lines"}
    assert "more than 2 items" in error["message"]


LOGIN = ("mutation ($input: LoginInput!) { login(input: $input) { token retryAfterSeconds "
         "userErrors { code } } }")


async def test_login_is_refused_after_repeated_failures(client: Client,
                                                        admin: Principal) -> None:
    def attempt(password: str) -> dict[str, Any]:
        return {"query": LOGIN,
                "variables": {"input": {"username": "admin", "password": password}}}

    async with client(login_max_failures=3) as http:
        for _ in range(3):
            wrong = (await http.post("/graphql", json=attempt("nope"))).json()
            assert wrong["data"]["login"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]
        refused = (await http.post("/graphql", json=attempt("correct-horse-9"))).json()
    assert refused["data"]["login"]["token"] is None
    assert refused["data"]["login"]["userErrors"] == [{"code": "RATE_LIMITED"}]
    assert 0 < refused["data"]["login"]["retryAfterSeconds"] <= 60


async def test_introspection_and_graphiql_can_be_switched_off(client: Client) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    html = {"Accept": "text/html"}
    async with client() as http:
        assert (await http.post("/graphql", json=introspect)).json()["data"] is not None
        assert "graphiql" in (await http.get("/graphql", headers=html)).text.lower()
    async with client(introspection=False, graphiql=False) as http:
        refused = (await http.post("/graphql", json=introspect)).json()
        ide = await http.get("/graphql", headers=html)
        typename = (await http.post("/graphql", json={"query": "{ __typename }"})).json()
    assert refused["data"] is None
    assert "introspection" in refused["errors"][0]["message"].lower()
    assert ide.status_code == 404
    assert typename["data"] == {"__typename": "Query"}


async def test_unnamed_operations_are_labelled_by_their_root_fields(client: Client) -> None:
    async with client() as http:
        await http.post("/graphql", json={"query": "{ __typename }"})
        body = (await http.get("/metrics")).text
    assert 'operation_name="__typename",operation_type="query"' in body
