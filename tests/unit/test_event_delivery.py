"""The spliced ``next`` message is the message strawberry would have encoded, byte for byte."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from schema.event_delivery import _shared_data, shared_next_message
from schema.event_execution import SharedData
from server.ops.heap import YOUNG_THRESHOLD, settle_heap


def strawberry_encode(data: object) -> str:
    # What strawberry's BaseView.encode_json does with every WebSocket message.
    return json.dumps(data, separators=(",", ":"))


DATA = {"stockChanged": {
    "cursor": "ZXY6MTIzLjQ1", "sku": "Tee-é✓ \u2028\"quoted\"\\slash", "documentNumber": None,
    "positionVersion": 7, "levels": {"available": "12.5000", "onHand": "-3"},
    "deltas": [{"bucket": "AVAILABLE", "quantity": "1"}], "emoji": "📦", "nul": "a\x00b",
}}


@pytest.mark.parametrize("operation_id", [
    "1", "", "é✓ 中文", 'quote " and \\ backslash', "line\nbreak\t\u2028", "📦" * 3,
    "x" * 500, 42, None,
])
def test_spliced_message_equals_the_whole_message_encoded(operation_id: Any) -> None:
    shared = SharedData(DATA)
    whole = strawberry_encode({"id": operation_id, "type": "next", "payload": {"data": DATA}})
    assert shared_next_message(strawberry_encode, operation_id, shared) == whole
    assert json.loads(whole)["id"] == operation_id


def test_payload_is_encoded_once_and_reused_for_every_subscriber() -> None:
    shared = SharedData(DATA)
    calls: list[object] = []

    def counting(data: object) -> str:
        calls.append(data)
        return strawberry_encode(data)

    first = shared_next_message(counting, "a", shared)
    second = shared_next_message(counting, "b", shared)
    assert len([c for c in calls if isinstance(c, dict)]) == 1
    assert first.replace('"id":"a"', '"id":"b"') == second


def test_bytes_encoder_gives_text() -> None:
    shared = SharedData(DATA)
    message = shared_next_message(lambda d: strawberry_encode(d).encode(), "1", shared)
    assert message == strawberry_encode({"id": "1", "type": "next", "payload": {"data": DATA}})


def test_only_a_bare_shared_next_is_spliced() -> None:
    shared = SharedData(DATA)
    assert _shared_data({"id": "1", "type": "next", "payload": {"data": shared}}) is shared
    assert _shared_data({"id": "1", "type": "next", "payload": {"data": dict(DATA)}}) is None
    assert _shared_data({"id": "1", "type": "next",
                         "payload": {"data": shared, "errors": [{"message": "x"}]}}) is None
    assert _shared_data({"id": "1", "type": "next",
                         "payload": {"data": shared, "extensions": {"a": 1}}}) is None
    assert _shared_data({"id": "1", "type": "complete"}) is None
    assert _shared_data({"type": "connection_ack"}) is None


def test_settle_heap_freezes_and_release_restores() -> None:
    before = gc.get_threshold()
    heap = settle_heap()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
