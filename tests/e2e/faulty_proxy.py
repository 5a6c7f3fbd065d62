"""A TCP proxy for network-fault tests: it forwards everything to a server, except that while
``cut_answers`` > 0 a request containing ``marker`` reaches the server but its answer is thrown
away and the connection dropped — the server committed, the client never heard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class FaultyProxy:
    upstream_port: int
    marker: bytes
    cut_answers: int = 0
    cut: int = field(default=0, init=False)
    port: int = field(default=0, init=False)

    async def _pipe(self, source: asyncio.StreamReader, target: asyncio.StreamWriter,
                    marked: asyncio.Event | None = None) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if marked is not None and self.marker in data and self.cut_answers > 0:
                    marked.set()
                target.write(data)
                await target.drain()
        target.close()

    async def _answers(self, source: asyncio.StreamReader, target: asyncio.StreamWriter,
                       marked: asyncio.Event) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if marked.is_set():
                    self.cut_answers -= 1
                    self.cut += 1
                    break  # the server answered: drop it and the connection
                target.write(data)
                await target.drain()
        target.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        marked = asyncio.Event()
        await asyncio.gather(self._pipe(reader, up_writer, marked),
                             self._answers(up_reader, writer, marked))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FaultyProxy]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self
