"""The counting session against a fake GraphQL server: bin first, item scans and typed counts,
one recordCount per item sent exactly once through the offline queue (cut answers, offline,
restarts), and what is refused locally."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from pda_client import PdaClient, PdaError
from pda_client.count import CountingSession, start_counting
from tests.unit.pda_fake_counting import STOCKTAKE_NUMBER, CountingFakeServer, stocktake
from tests.unit.pda_fake_server import (
    CONNECT_ERROR,
    P1_CASE,
    P1_EAN,
    P2_EAN,
    TIMEOUT_AFTER_COMMIT,
    client_for,
)

LOT_LABEL = "]C1010690123456789210L7"  # GTIN of P1 with lot L7


@pytest.fixture
def server() -> CountingFakeServer:
    return CountingFakeServer()


@pytest.fixture
def queue_file(tmp_path: Path) -> Path:
    return tmp_path / "queue.sqlite3"


@pytest.fixture
def client(server: CountingFakeServer, queue_file: Path) -> Iterator[PdaClient]:
    with client_for(server, queue_file) as client:
        yield client


@pytest.fixture
def session(client: PdaClient) -> CountingSession:
    return start_counting(client, STOCKTAKE_NUMBER, "pda-1")


def test_bin_then_items_and_done_sends_one_count_per_item(
    session: CountingSession, server: CountingFakeServer
) -> None:
    assert session.scan("WH1-A-01").kind == "bin"
    for code in (P1_EAN, P1_EAN, P1_CASE, P2_EAN, LOT_LABEL):
        assert not session.scan(code).refused
    typed = session.set_quantity("3")
    assert typed.item is not None and typed.item.quantity == 3 and typed.item.lot == "L7"
    by_sku = session.set_quantity("5", sku="P3", lot="L1")
    assert by_sku.item is not None and by_sku.item.by_sku
    assert [(i.item, i.lot, i.quantity) for i in session.items()] == [
        (P1_EAN, None, 2), (P1_CASE, None, 1), (P2_EAN, None, 1), (LOT_LABEL, "L7", 3),
        ("P3", "L1", 5)]
    results = session.done()
    assert [r.status for r in results] == ["sent"] * 5
    sent = [data for name, data in server.mutations if name == "recordCount"]
    assert [(d.get("barcode") or d.get("sku"), d["quantity"], d.get("lot")) for d in sent] == [
        (P1_EAN, "2", None), (P1_CASE, "1", None), (P2_EAN, "1", None), (LOT_LABEL, "3", "L7"),
        ("P3", "5", "L1")]
    assert {d["deviceId"] for d in sent} == {"pda-1"}
    assert {d["locationCode"] for d in sent} == {"WH1-A-01"}
    assert server.units("WH1-A-01", "P1") == 2 + 12 + 3
    assert session.current_bin() is None and session.items() == []
    assert session.status == "COUNTING", "the stocktake is asked for again after sending"


def test_wrong_bins_are_refused_locally(session: CountingSession,
                                        server: CountingFakeServer) -> None:
    first = session.scan(P1_EAN)
    assert first.refused and first.warning_codes == ("WRONG_BIN",)
    assert session.scan("WH1-B-09").warning_codes == ("WRONG_BIN",)
    session.scan("WH1-A-01")
    session.scan(P1_EAN)
    assert session.scan("WH1-A-02").warning_codes == ("BIN_NOT_DONE",)
    session.undo()
    assert session.scan("WH1-A-02").kind == "bin", "an empty bin may be left for another"
    assert session.current_bin() == "WH1-A-02"
    with pytest.raises(PdaError) as raised:
        session.done()
    assert raised.value.code == "NOTHING_COUNTED"
    assert server.mutations == []


def test_counting_the_bin_again_sends_new_totals(
    session: CountingSession, server: CountingFakeServer
) -> None:
    session.scan("WH1-A-01")
    session.scan(P1_EAN)
    session.done()
    session.scan("WH1-A-01")
    session.set_quantity("4", sku="P1")
    session.scan(P1_EAN)
    session.scan(P1_EAN)
    session.done()
    assert server.units("WH1-A-01", "P1") == 2 + 4, "the device's later count of an item replaces"


def test_offline_counts_wait_and_sync_sends_each_once_even_after_a_restart(
    server: CountingFakeServer, queue_file: Path
) -> None:
    with client_for(server, queue_file) as client:
        session = start_counting(client, STOCKTAKE_NUMBER, "pda-1")
        session.scan("WH1-A-01")
        session.scan(P1_EAN)
        server.offline = True
        [result] = session.done()
        assert result.status == "pending" and result.unanswered
        session.scan("WH1-A-02")
        session.scan(P2_EAN)
    with client_for(server, queue_file) as client:
        restarted = start_counting(client, STOCKTAKE_NUMBER, "pda-1")
        assert restarted.current_bin() == "WH1-A-02", "the offline copy and steps are kept"
        assert [(i.item, i.quantity) for i in restarted.items()] == [(P2_EAN, 1)]
        server.offline = False
        [synced] = client.sync()
        assert synced.status == "sent"
        assert client.sync() == []
    assert server.units("WH1-A-01", "P1") == 1
    assert len([m for m in server.mutations if m[0] == "recordCount"]) == 1


def test_a_lost_answer_is_sent_again_under_the_same_key(
    session: CountingSession, server: CountingFakeServer
) -> None:
    session.scan("WH1-A-01")
    session.scan(P1_CASE)
    server.faults = [TIMEOUT_AFTER_COMMIT, CONNECT_ERROR]
    [result] = session.done()
    assert result.status == "sent"
    assert len(set(server.keys_seen)) == 1 and len(server.keys_seen) == 3
    assert server.units("WH1-A-01", "P1") == 12


def test_a_refused_item_is_reported_and_the_others_are_sent(
    session: CountingSession, server: CountingFakeServer
) -> None:
    session.scan("WH1-A-01")
    session.scan("0000000000000")
    session.scan(P1_EAN)
    refused, sent = session.done()
    assert refused.status == "conflict"
    assert [(p.code, p.field) for p in refused.problems] == [("UNKNOWN_BARCODE", "barcode")]
    assert sent.status == "sent" and server.units("WH1-A-01", "P1") == 1


def test_a_closed_stocktake_takes_no_counts_and_negative_quantities_are_refused(
    client: PdaClient, server: CountingFakeServer
) -> None:
    session = start_counting(client, STOCKTAKE_NUMBER, "pda-1")
    session.scan("WH1-A-01")
    with pytest.raises(PdaError) as raised:
        session.set_quantity("-1", sku="P1")
    assert raised.value.code == "INVALID_INPUT"
    server.stocktakes[STOCKTAKE_NUMBER] = stocktake(status="POSTED")
    closed = start_counting(client, STOCKTAKE_NUMBER, "pda-1")
    with pytest.raises(PdaError) as raised:
        closed.scan(P1_EAN)
    assert raised.value.code == "STOCKTAKE_CLOSED"
    with pytest.raises(PdaError) as raised:
        start_counting(client, "ST-2026-999999", "pda-1")
    assert raised.value.code == "NOT_FOUND"
    with pytest.raises(PdaError):
        start_counting(client, STOCKTAKE_NUMBER, " ")
    assert Decimal(0) == server.units("WH1-A-01", "P1")
