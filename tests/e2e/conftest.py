"""The real ASGI app (lifespan and all) driven over HTTP through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server import auth
from server.app import create_app
from server.auth import Principal
from server.config import Settings
from server.db import Database


@dataclass
class Api:
    """A GraphQL client for tests: ``await api(query, variables, token=...)`` → response JSON."""

    http: httpx.AsyncClient
    app: Starlette

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *,
                       token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @property
    def database(self) -> Database:
        database: Database = self.app.state.services["database"]
        return database


@pytest.fixture
async def api(db: Database) -> AsyncIterator[Api]:
    app = create_app(Settings(database_url=db.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://caixiao.test") as http:
            yield Api(http, app)


async def token_for(db: Database, principal: Principal) -> str:
    issued = await auth.create_device_token(db, principal.username, "test")
    return issued.token


@pytest.fixture
async def admin_token(db: Database, admin: Principal) -> str:
    return await token_for(db, admin)

