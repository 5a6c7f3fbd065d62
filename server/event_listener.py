"""A dedicated PostgreSQL connection that LISTENs for the outbox's NOTIFY wake-ups.

Nothing else runs on it (autocommit, LISTEN only). When the connection drops — a database
restart, a network cut — it reconnects with growing back-off and wakes the reader, which catches
up from its mark, so nothing committed meanwhile is missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

APPLICATION_NAME = "caixiao-event-listener"


class PgListener:
    def __init__(self, conninfo: str, channel: str, on_wake: Callable[[], None], *,
                 retry_initial: float = 0.1, retry_max: float = 5.0) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.on_wake = on_wake
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.connections_made = 0
        self._connected = asyncio.Event()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def run(self) -> None:
        delay = self.retry_initial
        while True:
            made = self.connections_made
            try:
                await self._listen()
            except (psycopg.Error, OSError) as error:
                if self.connections_made > made:
                    delay = self.retry_initial
                log.warning("event listener lost its connection (%s); reconnecting in %.1fs",
                            error, delay)
            self._connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    async def _listen(self) -> None:
        connection = await psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True, application_name=APPLICATION_NAME,
            keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
        )
        async with connection:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.connections_made += 1
            self._connected.set()
            # Whatever was committed while we were not listening is read now.
            self.on_wake()
            async for _notify in connection.notifies():
                self.on_wake()
