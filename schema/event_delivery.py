"""graphql-transport-ws that serialises a shared event result once, not once per subscriber.

Strawberry JSON-encodes every ``next`` message whole. When a result's data is ``SharedData`` (one
event's result for every subscriber with the same query and variables), its payload is encoded
the first time it is sent and each subscriber's message is that text with its own id spliced in:
the same bytes the whole-message encoding gives, from one encoding per event instead of one per
subscriber.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from schema.context import Context
from schema.event_execution import SharedData

Encoder = Callable[[object], str | bytes]


def _text(encoded: str | bytes) -> str:
    return encoded.decode() if isinstance(encoded, bytes) else encoded


def shared_next_message(encode: Encoder, operation_id: object, data: SharedData) -> str:
    """``encode({"id": operation_id, "type": "next", "payload": {"data": data}})``, with the
    payload encoded only once per ``data``. ``encode`` must write objects compactly (no spaces
    after separators), as strawberry's does: the splice relies on it."""
    if data.encoded_payload is None:
        data.encoded_payload = _text(encode({"data": data}))
    return f'{{"id":{_text(encode(operation_id))},"type":"next","payload":{data.encoded_payload}}}'


class EncodedTextWebSocket(ASGIWebSocketAdapter):
    async def send_encoded(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SharedResultTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    async def send_message(self, message: Message) -> None:
        shared = _shared_data(message)
        if shared is not None and isinstance(self.websocket, EncodedTextWebSocket):
            await self.websocket.send_encoded(
                shared_next_message(self.view.encode_json, message["id"], shared)  # type: ignore[typeddict-item]
            )
            return
        await super().send_message(message)


def _shared_data(message: Any) -> SharedData | None:
    """The data of a ``next`` message that carries nothing else (no errors, no extensions)."""
    if message.get("type") != "next":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or len(payload) != 1:
        return None
    data = payload.get("data")
    return data if isinstance(data, SharedData) else None
