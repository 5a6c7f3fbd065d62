"""Two server processes on one PostgreSQL: a change committed through one reaches a subscriber of
the other within a second (NOTIFY wakes every process's reader)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from server.auth import Principal
from server.db import Database
from tests.e2e.test_subscriptions import Shop, Subscription, docs, open_shop

CAIXIAO = Path(sys.executable).with_name("caixiao")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(database_url: str, log: Path) -> Iterator[str]:
    """``caixiao serve`` in a subprocess; always killed, whatever happens in the test."""
    port = free_port()
    env = {**os.environ, "CAIXIAO_DATABASE_URL": database_url}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(CAIXIAO), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def until_healthy(address: str, log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"http://{address}/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    output = await asyncio.to_thread(log.read_text)
    raise AssertionError(f"server at {address} never became healthy:\n{output}")


@pytest.fixture
async def two_servers(db: Database, postgres_only: None,
                      tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(server_process(db.url, tmp_path / "a.log"))
        b = stack.enter_context(server_process(db.url, tmp_path / "b.log"))
        await until_healthy(a, tmp_path / "a.log")
        await until_healthy(b, tmp_path / "b.log")
        yield a, b


@pytest.fixture
async def shop(db: Database, admin: Principal) -> Shop:
    return await open_shop(db, admin)


ADJUST = """mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
  movement { documentNumber } userErrors { code message } } }"""


async def adjust_through(address: str, token: str, sku: str, quantity: int) -> str:
    """Post an adjustment to the given server process over HTTP; its document number."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"http://{address}/graphql", headers={"Authorization": f"Bearer {token}"},
            json={"query": ADJUST, "variables": {"input": {
                "warehouseCode": "WH1", "sku": sku, "locationCode": "WH1-A",
                "quantity": str(quantity), "reason": "cycle count", "unitCost": "2.5",
                "idempotencyKey": uuid.uuid4().hex}}},
        )
    payload = response.json()["data"]["adjustStock"]
    assert payload["userErrors"] == [], payload
    number: str = payload["movement"]["documentNumber"]
    return number


async def test_subscriber_on_one_process_gets_a_change_committed_through_another_within_1s(
    two_servers: tuple[str, str], shop: Shop
) -> None:
    process_a, process_b = two_servers
    subscription = Subscription(f"ws://{process_a}/graphql", shop.token,
                                {"warehouseCode": "WH1"})
    try:
        # Process A has registered the subscription once a change reaches it.
        for _ in range(50):
            await shop.adjust("WH1", "SKU-B", 1)
            with contextlib.suppress(TimeoutError):
                await subscription.take(1, within=0.3)
                break
        else:
            raise AssertionError("the subscription on process A never received anything")
        while not subscription.received.empty():
            subscription.received.get_nowait()

        # Timed from before the request: an upper bound on commit-to-delivery.
        committed_at = time.perf_counter()
        number = await adjust_through(process_b, shop.token, "SKU-A", 3)
        [change] = await subscription.take(1, within=1.0)
        latency = time.perf_counter() - committed_at
        assert docs([change]) == [number]
        assert latency < 1.0
    finally:
        await subscription.close()
