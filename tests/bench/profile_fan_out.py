"""In-process cost of fanning one ``stockChanged`` event out to N WebSocket subscribers.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/profile_fan_out.py [--subscribers 1000] [--events 30] [--profile]

The real app (lifespan, middleware, strawberry) behind uvicorn's sans-I/O websockets protocol, as
``caixiao serve`` runs it, with each connection's transport kept in memory; the clients are
websockets' sans-I/O client protocol. The database is a scratch SQLite file. Each event is an
adjustment committed with the hub's wake-up switched off, read, then pushed straight into the
hub; the figure is the CPU time (and wall time) from that push until every subscriber's transport
has been written its frame. Every frame written is kept: ``--frames FILE`` writes their SHA-256
so two versions of the code can be checked to send the same bytes, each once.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.uri import parse_uri

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.event_log import read_batch  # noqa: E402
from server.inventory.service import adjust_stock  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.stock_setup import adjustment, build_stock_world  # noqa: E402

SUBSCRIPTION = (
    'subscription { stockChanged(warehouseCode: "BENCH") '
    "{ cursor sku documentNumber positionVersion levels { available onHand } } }"
)


class MemoryTransport:
    """Enough of asyncio.Transport for uvicorn's protocol; counts the writes it is given."""

    def __init__(self, sink: FrameSink) -> None:
        self.written: list[bytes] = []
        self._sink = sink

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self._sink.wrote()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(
            name, default)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class FrameSink:
    def __init__(self) -> None:
        self.writes = 0
        self.target = 0
        self.reached = asyncio.Event()

    def expect(self, count: int) -> None:
        self.target = self.writes + count
        self.reached.clear()

    def wrote(self) -> None:
        self.writes += 1
        if self.writes >= self.target:
            self.reached.set()


class Connection:
    def __init__(self, config: Config, state: ServerState, sink: FrameSink) -> None:
        self.server = WebSocketsSansIOProtocol(config, state, {})
        self.transport = MemoryTransport(sink)
        self.client = ClientProtocol(parse_uri("ws://127.0.0.1:8000/graphql"),
                                     subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        self.server.connection_made(self.transport)  # type: ignore[arg-type]
        self.client.send_request(self.client.connect())
        self._to_server()

    def _to_server(self) -> None:
        self.server.data_received(b"".join(self.client.data_to_send()))

    def send_text(self, text: str) -> None:
        self.client.send_text(text.encode())
        self._to_server()

    def received(self) -> list[str]:
        """Text frames the server wrote since the last call."""
        for chunk in self.transport.written:
            self.client.receive_data(chunk)
        self.transport.written.clear()
        return [event.data.decode() for event in self.client.events_received()
                if isinstance(event, Frame)]


async def until(condition: Any, limit_seconds: float = 120) -> None:
    deadline = time.monotonic() + limit_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def run(args: argparse.Namespace, url: str) -> str:
    db = Database(url)
    world = await build_stock_world(db, {"BENCH": ["BENCH-A"]}, skus=("BENCH-SKU",))
    token = (await auth.create_device_token(db, world.keeper.username, "bench")).token
    app = create_app(Settings(database_url=url))
    config = Config(app=app, ws="websockets-sansio", ws_per_message_deflate=False,
                    lifespan="off", ws_ping_interval=None, log_level="warning")
    config.load()
    state = ServerState()
    sink = FrameSink()
    async with app.router.lifespan_context(app):
        hub = app.state.services["events"]
        connections = [Connection(config, state, sink) for _ in range(args.subscribers)]
        await until(lambda: all(c.server.handshake_complete for c in connections))
        for c in connections:
            c.received()
            c.send_text(json.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {token}"}}))
        await until(lambda: all(c.transport.written for c in connections))
        for index, c in enumerate(connections):
            assert '"connection_ack"' in c.received()[0]
            c.send_text(json.dumps({"id": f"s{index}", "type": "subscribe",
                                    "payload": {"query": SUBSCRIPTION}}))
        await until(lambda: hub.subscriber_count == args.subscribers)
        await asyncio.sleep(0.2)
        hub._loop = None  # no wake-ups: each event is pushed by hand below
        cpu: list[float] = []
        wall: list[float] = []
        digest = hashlib.sha256()
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.events):
            await adjust_stock(db, world.keeper,
                               adjustment("BENCH-SKU", "BENCH-A", 1, warehouse="BENCH",
                                          unit_cost="1.00"))
            async with db.engine.connect() as connection:
                batch = await read_batch(connection, hub.mark, 500)
            assert len(batch.events) == 1
            sink.expect(args.subscribers)
            if profiler is not None:
                profiler.enable()
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            hub._fan_out(batch)
            await sink.reached.wait()
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
            if profiler is not None:
                profiler.disable()
            await asyncio.sleep(0.05)
            for c in connections:
                frames = c.received()
                assert len(frames) == 1, frames
                digest.update(frames[0].encode())
        hub._loop = asyncio.get_running_loop()
    await db.dispose()
    warm = cpu[3:] or cpu
    print(f"{args.subscribers} subscribers, {len(warm)} events after 3 warm-up: "
          f"CPU per event median {statistics.median(warm) * 1000:.1f} ms "
          f"(min {min(warm) * 1000:.1f}, max {max(warm) * 1000:.1f}), "
          f"wall median {statistics.median(wall[3:] or wall) * 1000:.1f} ms, "
          f"per subscriber {statistics.median(warm) / args.subscribers * 1e6:.1f} µs CPU")
    print(f"frames sha256 {digest.hexdigest()}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the fan-outs")
    parser.add_argument("--frames", help="write the SHA-256 of every frame sent to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/fan_out.db"
        upgrade(url)
        frames = asyncio.run(run(args, url))
    if args.frames:
        Path(args.frames).write_text(frames + "\n")


if __name__ == "__main__":
    main()
