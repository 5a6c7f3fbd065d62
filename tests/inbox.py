"""Collect what a stream yields in a task of its own, so waiting with a timeout never cancels
(and so ends) the stream itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, stream: AsyncIterator[T]) -> None:
        self.received: asyncio.Queue[T | BaseException] = asyncio.Queue()
        self.task = asyncio.create_task(self._drain(stream))

    async def _drain(self, stream: AsyncIterator[T]) -> None:
        try:
            async for item in stream:
                self.received.put_nowait(item)
        except Exception as error:
            self.received.put_nowait(error)

    async def take(self, count: int, within: float = 15.0) -> list[T]:
        """The next ``count`` items; an error the stream raised is raised here. The bound is
        generous: with tests in two processes, delivery waits for the other process's running
        write transactions on the same PostgreSQL server (events are read below their xmin)."""

        async def collect() -> list[T]:
            items = []
            for _ in range(count):
                item = await self.received.get()
                if isinstance(item, BaseException):
                    raise item
                items.append(item)
            return items

        return await asyncio.wait_for(collect(), within)

    async def quiet(self, wait: float = 0.4) -> bool:
        """True when nothing more arrives within ``wait`` seconds."""
        await asyncio.sleep(wait)
        return self.received.empty()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
