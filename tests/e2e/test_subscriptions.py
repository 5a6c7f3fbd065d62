"""``stockChanged`` through the real app: uvicorn on 127.0.0.1, a WebSocket client that is not
strawberry's own (gql) speaking graphql-transport-ws, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette

from server.app import create_app
from server.auth import Principal, Role
from server.catalog.drafts import SupplierDraft
from server.catalog.suppliers import create_supplier
from server.config import Settings
from server.db import Database
from server.event_hub import EventHub
from server.inventory.service import adjust_stock
from tests.conftest import UserFactory
from tests.e2e.conftest import token_for
from tests.inbox import Inbox
from tests.stock_setup import StockWorld, adjustment, build_stock_world

STOCK_CHANGED = """
subscription Stock($warehouseCode: String!, $skus: [String!], $after: String) {
  stockChanged(warehouseCode: $warehouseCode, skus: $skus, after: $after) {
    cursor sku productId warehouseCode
    deltas { bucket quantity }
    levels { onOrder inTransit pendingQc available reserved picked rejected backordered onHand }
    averageCost positionVersion documentType documentNumber actor postedAt
  }
}
"""


@dataclass
class LiveServer:
    app: Starlette
    port: int

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def hub(self) -> EventHub:
        hub: EventHub = self.app.state.services["events"]
        return hub

    async def until_subscribers(self, count: int) -> None:
        """Wait until the server has registered ``count`` live subscriptions."""
        for _ in range(200):
            if self.hub.subscriber_count >= count:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"{self.hub.subscriber_count} subscribers, expected {count}")


@contextlib.asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[int]:
    """Run ``app`` under uvicorn in this event loop on a free port of 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, ws="websockets-sansio", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.025)
        assert server.started, "uvicorn did not start"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def live_server(db: Database) -> AsyncIterator[LiveServer]:
    app = create_app(Settings(database_url=db.url))
    async with serve(app) as port:
        yield LiveServer(app, port)


@dataclass
class Shop:
    """Two warehouses (WH1 with bin WH1-A, WH2 with WH2-A), products SKU-A and SKU-B, a
    warehouse keeper who posts and subscribes, an admin."""

    db: Database
    admin: Principal
    world: StockWorld
    token: str

    async def adjust(self, warehouse: str, sku: str, quantity: int) -> str:
        """Post a stock adjustment through the inventory use case; its document number."""
        request = adjustment(sku, f"{warehouse}-A", quantity, warehouse=warehouse,
                             unit_cost="2.5")
        movement = await adjust_stock(self.db, self.world.keeper, request)
        return movement.document_number


async def open_shop(db: Database, admin: Principal) -> Shop:
    world = await build_stock_world(db, skus=("SKU-A", "SKU-B"))
    return Shop(db, admin, world, await token_for(db, world.keeper))


@pytest.fixture
async def shop(db: Database, admin: Principal) -> Shop:
    return await open_shop(db, admin)


def client(url: str, token: str | None) -> Client:
    init = {"Authorization": f"Bearer {token}"} if token else {}
    transport = WebsocketsTransport(
        url=url, init_payload=init,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    return Client(transport=transport)


class Subscription(Inbox[dict[str, Any]]):
    """A GraphQL subscription over WebSocket, collected in a task of its own."""

    def __init__(self, url: str, token: str | None, variables: dict[str, Any],
                 document: str = STOCK_CHANGED, field: str = "stockChanged") -> None:
        super().__init__(self._results(url, token, variables, document, field))

    @staticmethod
    async def _results(url: str, token: str | None, variables: dict[str, Any], document: str,
                       field: str) -> AsyncIterator[dict[str, Any]]:
        async with client(url, token) as session:
            request = GraphQLRequest(document, variable_values=variables)
            async for result in session.subscribe(request):
                yield result[field]


@contextlib.asynccontextmanager
async def subscribed(server: LiveServer, token: str | None, *, document: str = STOCK_CHANGED,
                     field: str = "stockChanged", **variables: Any) -> AsyncIterator[Subscription]:
    before = server.hub.subscriber_count
    subscription = Subscription(server.url, token, variables, document, field)
    try:
        await server.until_subscribers(before + 1)
        yield subscription
    finally:
        await subscription.close()


def docs(changes: list[dict[str, Any]]) -> list[str]:
    return [change["documentNumber"] for change in changes]


async def test_committed_change_is_pushed_with_levels_cause_and_cursor(
    live_server: LiveServer, shop: Shop
) -> None:
    async with subscribed(live_server, shop.token, warehouseCode="WH1") as stream:
        posted_before = datetime.now(UTC)
        number = await shop.adjust("WH1", "SKU-A", 5)
        [change] = await stream.take(1)
    assert change["cursor"]
    assert posted_before <= datetime.fromisoformat(change["postedAt"]) <= datetime.now(UTC)
    assert {k: v for k, v in change.items() if k not in ("cursor", "postedAt")} == {
        "sku": "SKU-A", "productId": str(shop.world.products["SKU-A"]), "warehouseCode": "WH1",
        "deltas": [{"bucket": "AVAILABLE", "quantity": "5.0000"}],
        "levels": {"onOrder": "0.0000", "inTransit": "0.0000", "pendingQc": "0.0000",
                   "available": "5.0000", "reserved": "0.0000", "picked": "0.0000",
                   "rejected": "0.0000", "backordered": "0.0000", "onHand": "5.0000"},
        "averageCost": "2.5000", "positionVersion": 1, "documentType": "ADJ",
        "documentNumber": number, "actor": "keeper",
    }


async def test_each_change_arrives_with_its_own_levels_on_one_connection(
    live_server: LiveServer, shop: Shop
) -> None:
    async with subscribed(live_server, shop.token, warehouseCode="WH1") as stream:
        await shop.adjust("WH1", "SKU-A", 5)
        await shop.adjust("WH1", "SKU-A", 5)
        first, second = await stream.take(2)
    assert (first["levels"]["available"], first["positionVersion"]) == ("5.0000", 1)
    assert (second["levels"]["available"], second["positionVersion"]) == ("10.0000", 2)


async def test_only_the_chosen_warehouse_and_skus_are_pushed(
    live_server: LiveServer, shop: Shop
) -> None:
    async with subscribed(live_server, shop.token, warehouseCode="WH1",
                          skus=["SKU-A"]) as only_a:
        await shop.adjust("WH2", "SKU-A", 1)
        await shop.adjust("WH1", "SKU-B", 1)
        wanted = await shop.adjust("WH1", "SKU-A", 1)
        [change] = await only_a.take(1)
        assert (change["warehouseCode"], change["sku"]) == ("WH1", "SKU-A")
        assert change["documentNumber"] == wanted
        assert await only_a.quiet()


async def test_reconnecting_with_after_replays_missed_changes_exactly_once(
    live_server: LiveServer, shop: Shop
) -> None:
    async with subscribed(live_server, shop.token, warehouseCode="WH1") as first_connection:
        await shop.adjust("WH1", "SKU-A", 1)
        [seen] = await first_connection.take(1)
    # Disconnected: these two are only in the outbox.
    posted = [await shop.adjust("WH1", "SKU-A", 1), await shop.adjust("WH1", "SKU-B", 1)]
    async with subscribed(live_server, shop.token, warehouseCode="WH1",
                          after=seen["cursor"]) as resumed:
        missed = await resumed.take(2)
        posted.append(await shop.adjust("WH1", "SKU-A", 1))
        live = await resumed.take(1)
        assert docs(missed + live) == posted
        assert await resumed.quiet()
    # Resuming from the last cursor of the second connection finds nothing new.
    async with subscribed(live_server, shop.token, warehouseCode="WH1",
                          after=live[0]["cursor"]) as again:
        assert await again.quiet()


@pytest.mark.parametrize(
    ("who", "variables", "code"),
    [
        ("anonymous", {"warehouseCode": "WH1"}, "UNAUTHENTICATED"),
        ("supplier", {"warehouseCode": "WH1"}, "FORBIDDEN"),
        ("admin", {"warehouseCode": "NOPE"}, "NOT_FOUND"),
        ("admin", {"warehouseCode": "WH1", "after": "not-a-cursor"}, "INVALID_INPUT"),
        ("admin", {"warehouseCode": "WH1", "skus": []}, "INVALID_INPUT"),
    ],
)
async def test_refused_subscriptions_answer_a_coded_error(
    live_server: LiveServer, shop: Shop, make_user: UserFactory, who: str,
    variables: dict[str, Any], code: str,
) -> None:
    token: str | None = None
    if who == "admin":
        token = shop.token
    elif who == "supplier":
        supplier = await create_supplier(shop.db, shop.admin, SupplierDraft("SUP1", "Acme"))
        user = await make_user(Role.SUPPLIER, supplier_id=supplier.id)
        token = await token_for(shop.db, user)
    with pytest.raises(TransportQueryError) as refused:
        async with client(live_server.url, token) as session:
            request = GraphQLRequest(STOCK_CHANGED, variable_values=variables)
            async for _ in session.subscribe(request):
                pytest.fail("a refused subscription pushed a change")
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == code
    assert live_server.hub.subscriber_count == 0


async def test_subscribers_with_other_selections_or_filters_get_their_own_answer(
    live_server: LiveServer, shop: Shop
) -> None:
    # One event is executed once per distinct (query, variables) and shared: a subscriber with
    # another selection must still get exactly its own shape.
    narrow = "subscription { stockChanged(warehouseCode: \"WH1\") { sku positionVersion } }"
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def follow_narrow() -> None:
        async with client(live_server.url, shop.token) as session:
            async for result in session.subscribe(GraphQLRequest(narrow)):
                received.put_nowait(result["stockChanged"])

    async with subscribed(live_server, shop.token, warehouseCode="WH1") as full, \
            subscribed(live_server, shop.token, warehouseCode="WH1") as same:
        task = asyncio.create_task(follow_narrow())
        try:
            await live_server.until_subscribers(3)
            await shop.adjust("WH1", "SKU-A", 2)
            [first], [second] = await full.take(1), await same.take(1)
            small = await asyncio.wait_for(received.get(), 5)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert first == second
    assert first["levels"]["available"] == "2.0000"
    assert small == {"sku": "SKU-A", "positionVersion": 1}
