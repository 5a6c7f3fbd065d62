"""QC and putaway from the handheld: the task list, and both mutations queued under a key."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from pda_client import PdaClient, PdaError
from tests.unit.pda_fake_server import TIMEOUT_AFTER_COMMIT, FakeServer, client_for


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer, tmp_path: Path) -> Iterator[PdaClient]:
    with client_for(server, tmp_path / "queue.sqlite3") as client:
        yield client


def test_tasks_follow_every_page_and_filter_by_kind(
    server: FakeServer, client: PdaClient
) -> None:
    both = client.tasks("WH1")
    qc = client.tasks("WH1", ["qc"])

    assert [(t.id, t.kind, t.sku, t.remaining_quantity) for t in both] == [
        ("7", "QC", "P2", Decimal(20)), ("8", "PUTAWAY", "P1", Decimal(24))]
    assert both[1].suggested_location == "WH1-A-01" and both[1].location == "WH1-RCV"
    assert [t.id for t in qc] == ["7"]
    assert server.calls["warehouseTasks"] == 3  # two pages, then one
    with pytest.raises(PdaError) as raised:
        client.tasks("WH1", ["PICK"])
    assert raised.value.code == "INVALID_INPUT"


def test_record_inspection_sends_the_decision_under_its_own_key(
    server: FakeServer, client: PdaClient
) -> None:
    result = client.record_inspection("7", accepted="15", rejected=5, result="concession",
                                      notes="scratched boxes", reject_location_code="WH1-REJ")

    assert result.status == "sent"
    assert result.payload is not None and result.payload["task"]["doneQuantity"] == "20"
    (name, sent), = server.mutations
    assert (name, sent) == ("recordInspection", {
        "taskId": "7", "acceptedQuantity": "15", "rejectedQuantity": "5",
        "result": "CONCESSION", "notes": "scratched boxes", "rejectLocationCode": "WH1-REJ",
        "idempotencyKey": result.idempotency_key})


def test_an_inspection_over_the_task_is_a_conflict(client: PdaClient) -> None:
    result = client.record_inspection("7", accepted=30)

    assert result.status == "conflict"
    assert [(p.code, p.field) for p in result.problems] == [
        ("OVER_INSPECTION", "acceptedQuantity")]
    assert client.pending_count() == 0


def test_bad_inspection_input_is_refused_before_anything_is_queued(
    server: FakeServer, client: PdaClient
) -> None:
    for accepted, result in (("ten", "PASS"), (1, "MAYBE"), (-1, "PASS")):
        with pytest.raises(PdaError) as raised:
            client.record_inspection("7", accepted=accepted, result=result)
        assert raised.value.code == "INVALID_INPUT"
    assert client.outbox(["pending", "sent", "conflict", "failed"]) == []
    assert server.mutations == []


def test_putaway_cut_after_commit_is_retried_under_one_key(
    server: FakeServer, client: PdaClient
) -> None:
    server.faults = [TIMEOUT_AFTER_COMMIT]
    result = client.putaway("P1", "WH1-RCV", "WH1-A-01", "24", lot="L1", warehouse_code="WH1")

    assert result.status == "sent"
    assert result.payload is not None
    assert result.payload["movement"]["documentNumber"] == "PA-2026-000001"
    assert server.keys_seen == [result.idempotency_key] * 2
    assert server.mutations[0][1] == {
        "sku": "P1", "fromLocationCode": "WH1-RCV", "toLocationBarcode": "WH1-A-01",
        "quantity": "24", "lot": "L1", "warehouseCode": "WH1",
        "idempotencyKey": result.idempotency_key}


def test_putaway_to_a_bin_that_is_not_storage_is_refused(client: PdaClient) -> None:
    result = client.putaway("P1", "WH1-RCV", "WH2-X", 1)

    assert result.status == "conflict"
    assert [p.code for p in result.problems] == ["INVALID_LOCATION"]
    with pytest.raises(PdaError):
        client.putaway("P1", "WH1-RCV", "WH1-A-01", 0)
