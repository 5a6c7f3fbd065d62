"""The real app, lifespan and all, on an event loop in a thread of its own.

Hypothesis drives synchronous test functions; the pytest event loop is busy running the test,
so the app gets its own loop, and the test hands it coroutines and waits for their results.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from server.db import Database

T = TypeVar("T")
TIMEOUT_SECONDS = 60


class AppThread:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._serving: Any = None
        self.http: httpx.AsyncClient | None = None

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with self.app.router.lifespan_context(self.app):
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://caixiao.test") as http:
                self.http = http
                self._started.set()
                await self._stop.wait()

    def __enter__(self) -> AppThread:
        self.thread.start()
        self._serving = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        if not self._started.wait(TIMEOUT_SECONDS):
            self._serving.result(0)
            raise TimeoutError("the app did not start")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._serving.result(TIMEOUT_SECONDS)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT_SECONDS)
        self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT_SECONDS)

    def post(self, body: Any, token: str | None = None) -> httpx.Response:
        assert self.http is not None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.run(self.http.post("/graphql", json=body, headers=headers))

    @property
    def database(self) -> Database:
        database: Database = self.app.state.services["database"]
        return database
