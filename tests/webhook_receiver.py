"""A webhook receiver on 127.0.0.1 for tests: an http.server in a thread that records what it
accepts, can refuse the first requests, and can hold a request until the test lets it go."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from server.integrations.rules import verify_signature


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``fail_first`` requests are answered 500; with ``hold`` set, the next request waits until
    ``release`` and is then answered 503 (it was never processed). Robots answer errcode JSON."""

    fail_first: int = 0
    robot: bool = False
    hold: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    accepted: list[Received] = field(default_factory=list)
    refused: list[Received] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def handle(self, received: Received) -> int:
        if self.hold.is_set():
            self.hold.clear()
            self.holding.set()
            self.release.wait(30)
            with self._lock:
                self.refused.append(received)
            return 503
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                self.refused.append(received)
                return 500
            self.accepted.append(received)
        return 200

    def accepted_on(self, path: str) -> list[Received]:
        with self._lock:
            return [each for each in self.accepted if each.path == path]

    def signatures_valid(self, secret: str, tolerance: int = 300) -> bool:
        with self._lock:
            return all(verify_signature(secret, each.headers, each.body, now=each.at,
                                        tolerance=tolerance) for each in self.accepted)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received = Received(self.path, dict(self.headers.items()), self.rfile.read(length),
                                time.time())
            status = receiver.handle(received)
            ok = status == 200
            answer = ({"errcode": 0 if ok else 500, "errmsg": "ok" if ok else "busy"}
                      if receiver.robot else {"ok": ok})
            payload = json.dumps(answer).encode()
            try:
                self.send_response(200 if receiver.robot else status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the worker went away mid-request, as the kill test intends

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_receiver(receiver: Receiver | None = None) -> Iterator[Receiver]:
    receiver = receiver or Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


async def eventually(check: Callable[[], Any], within: float = 20.0,
                     message: str = "condition") -> Any:
    """Await until ``check()`` (sync or async) returns something truthy; fails after
    ``within`` seconds with the last value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached in {within}s (last: {value!r})")
        await asyncio.sleep(0.05)
