"""The receiving session: local GS1/EAN resolution, warnings at once, undo, and the one
receiveGoods input a post sends (against a fake GraphQL server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pda_client import PdaClient, PdaError, ReceivingSession
from tests.unit.pda_fake_server import (
    GS,
    P1_CASE,
    P1_EAN,
    P2_EAN,
    P3_EAN,
    PALLET_SSCC,
    FakeServer,
    client_for,
)

GS1_LABEL = "]C1010690123456789217270131" + "10LOT42"


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server: FakeServer, tmp_path: Path) -> Iterator[PdaClient]:
    with client_for(server, tmp_path / "queue.sqlite3") as client:
        yield client


@pytest.fixture
def session(client: PdaClient) -> ReceivingSession:
    return client.start_receiving("PO-2026-000001")


def counted(session: ReceivingSession) -> dict[str, Decimal]:
    return {tally.line.sku: tally.counted for tally in session.lines()}


def test_start_receiving_caches_the_expected_lines(session: ReceivingSession) -> None:
    assert session.document.order_number == "PO-2026-000001"
    assert session.document.version == 3
    assert [(line.line_no, line.sku, line.max_receivable) for line in session.document.lines] == [
        (1, "P1", Decimal("105.00")), (2, "P2", Decimal("21.00"))]
    assert counted(session) == {"P1": Decimal(0), "P2": Decimal(0)}


def test_gs1_label_counts_one_unit_with_lot_and_expiry_without_asking_the_server(
    server: FakeServer, session: ReceivingSession
) -> None:
    result = session.scan(GS1_LABEL)

    assert result.line is not None and result.line.sku == "P1"
    assert (result.quantity, result.counted, result.warnings) == (Decimal(1), Decimal(1), ())
    assert result.counts[0].lot == "LOT42"
    assert session.lines()[0].lots == (("LOT42", Decimal(1)),)
    assert server.calls["resolveBarcode"] == 0


def test_case_barcode_counts_twelve_and_plain_ean_one(session: ReceivingSession) -> None:
    case = session.scan(P1_CASE)
    single = session.scan(P1_EAN)

    assert (case.quantity, case.counted) == (Decimal(12), Decimal(12))
    assert (single.quantity, single.counted) == (Decimal(1), Decimal(13))
    assert counted(session) == {"P1": Decimal(13), "P2": Decimal(0)}


def test_gtin_14_form_of_an_ean_matches_and_ai_37_multiplies_the_pack(
    session: ReceivingSession,
) -> None:
    assert session.scan("]C101" + "0" + P1_EAN).quantity == Decimal(1)
    assert session.scan("]C102" + "0" + P1_EAN + "3712").quantity == Decimal(12)
    assert counted(session)["P1"] == Decimal(13)


def test_pallet_sscc_adds_its_lines_shipped_quantity_and_lot(session: ReceivingSession) -> None:
    result = session.scan(f"(00){PALLET_SSCC}")

    assert result.sku == "P2"
    assert [(c.line.line_no, c.lot, c.added) for c in result.counts] == [
        (2, "ASNLOT", Decimal(20))]


def test_product_not_on_the_order_warns_at_once_and_counts_nothing(
    server: FakeServer, session: ReceivingSession
) -> None:
    result = session.scan(P3_EAN)

    assert result.warning_codes == ("NOT_ON_ORDER",)
    assert result.counts == () and result.sku == "P3"
    assert server.calls["resolveBarcode"] == 1
    assert counted(session) == {"P1": Decimal(0), "P2": Decimal(0)}


def test_a_bin_scanned_while_receiving_is_not_a_product(session: ReceivingSession) -> None:
    assert session.scan("WH1-A-01").warning_codes == ("NOT_A_PRODUCT",)


def test_unknown_code_offline_is_flagged_without_stalling(
    server: FakeServer, session: ReceivingSession
) -> None:
    server.offline = True
    result = session.scan(P3_EAN)

    assert result.warning_codes == ("UNKNOWN_BARCODE",)
    assert "cannot be asked now" in result.warnings[0].message
    # Known barcodes go on counting offline.
    assert session.scan(P1_CASE).counted == Decimal(12)


def test_unknown_and_malformed_codes_are_typed_warnings(session: ReceivingSession) -> None:
    assert session.scan("XYZ-NOTHING").warning_codes == ("UNKNOWN_BARCODE",)
    assert session.scan("6901234567893").warning_codes == ("MALFORMED_BARCODE",)


def test_a_gs1_read_with_a_dropped_separator_passes_the_ambiguity_on(
    session: ReceivingSession,
) -> None:
    result = session.scan("]C10106901234567892" + "10LOT4217270131")

    assert result.warning_codes == ("AMBIGUOUS_READ",)
    assert result.counted == Decimal(1)
    assert "GS separator" in result.warnings[0].message
    fixed = session.scan("]C10106901234567892" + "10LOT42" + GS + "17270131")
    assert fixed.warnings == ()
    assert fixed.counts[0].lot == "LOT42"


def test_over_receipt_warns_at_the_scan_that_passes_the_tolerance(
    session: ReceivingSession,
) -> None:
    session.set_quantity("P1", 96)

    within = session.scan(P1_EAN)
    beyond = session.scan(P1_CASE)

    assert within.warnings == ()
    assert beyond.warning_codes == ("OVER_RECEIPT",)
    assert beyond.counted == Decimal(109)
    assert session.lines()[0].over_receipt


def test_undo_takes_back_the_last_scan_or_quantity_that_counted(
    session: ReceivingSession,
) -> None:
    session.scan(P1_CASE)
    session.scan(P1_EAN)
    session.set_quantity("P2", 5)
    session.scan(P3_EAN)  # not on order: counted nothing, so undo passes it by

    assert session.undo() is not None
    assert counted(session) == {"P1": Decimal(13), "P2": Decimal(0)}
    undone = session.undo()
    assert undone is not None and undone.raw == P1_EAN
    assert counted(session) == {"P1": Decimal(12), "P2": Decimal(0)}
    session.undo()
    assert session.undo() is None
    assert counted(session)["P1"] == Decimal(0)


def test_set_quantity_replaces_one_lot_and_keeps_the_others(session: ReceivingSession) -> None:
    session.scan(GS1_LABEL)
    session.scan(P1_CASE)

    result = session.set_quantity(1, "30", lot="LOT42")

    assert (result.quantity, result.counted) == (Decimal(29), Decimal(42))
    assert session.set_quantity("P1", 2).quantity == Decimal(-10)
    assert dict(session.lines()[0].lots) == {"LOT42": Decimal(30), None: Decimal(2)}
    with pytest.raises(PdaError) as not_on_order:
        session.set_quantity("P3", 1)
    assert not_on_order.value.code == "NOT_ON_ORDER"
    with pytest.raises(PdaError) as negative:
        session.set_quantity("P1", "-1")
    assert negative.value.code == "INVALID_INPUT"


def test_receive_input_is_one_document_with_barcode_or_sku_lines(
    session: ReceivingSession,
) -> None:
    session.scan(GS1_LABEL)
    session.scan(P1_CASE)
    session.scan(P1_CASE)
    session.scan(P2_EAN)
    session.set_quantity("P2", 5)

    assert session.receive_input("key-1") == {
        "document": "PO-2026-000001", "warehouseCode": "WH1", "basedOnVersion": 3,
        "idempotencyKey": "key-1",
        "lines": [
            {"barcode": P1_CASE, "quantity": "24"},
            {"barcode": GS1_LABEL, "quantity": "1", "lot": "LOT42", "expiry": "2027-01-31"},
            {"sku": "P2", "quantity": "5"},
        ],
    }


def test_several_different_scans_of_one_lot_are_sent_by_sku(session: ReceivingSession) -> None:
    session.scan(P1_CASE)
    session.scan(P1_EAN)
    session.scan(f"(00){PALLET_SSCC}")

    lines = session.receive_input("key")["lines"]

    assert lines == [{"sku": "P1", "quantity": "13"},
                     {"sku": "P2", "quantity": "20", "lot": "ASNLOT"}]


def test_serials_from_gs1_labels_go_with_their_line(session: ReceivingSession) -> None:
    for serial in ("S1", "S2"):
        session.scan(f"{GS1_LABEL}{GS}21{serial}")

    again = session.scan(f"{GS1_LABEL}{GS}21S2")

    assert again.warning_codes == ("DUPLICATE_SERIAL",)
    session.undo()
    (line,) = session.receive_input("key")["lines"]
    assert (line["sku"], line["quantity"], line["serials"]) == ("P1", "2", ["S1", "S2"])
    assert line["expiry"] == date(2027, 1, 31).isoformat()
    session.set_quantity("P1", "1E+1", lot="LOT42")
    (typed,) = session.receive_input("key")["lines"]
    assert (typed["sku"], typed["quantity"], "serials" in typed) == ("P1", "10", False)


def test_post_sends_one_receipt_and_closes_the_session(
    server: FakeServer, client: PdaClient, session: ReceivingSession
) -> None:
    session.scan(P1_CASE)

    result = session.post()

    assert (result.status, result.receipt_number) == ("sent", "GR-2026-000001")
    assert session.status == "posted"
    assert client.pending_count() == 0
    assert server.mutations[0][1]["lines"] == [{"barcode": P1_CASE, "quantity": "12"}]
    with pytest.raises(PdaError) as closed:
        session.scan(P1_EAN)
    assert closed.value.code == "SESSION_CLOSED"


def test_refused_post_keeps_every_scan_and_shows_the_current_document(
    server: FakeServer, client: PdaClient, session: ReceivingSession
) -> None:
    server.document["lines"][0]["received"] = "100"
    server.document["lines"][0]["maxReceivable"] = "5"
    session.scan(P1_CASE)

    refused = session.post()

    assert refused.status == "conflict"
    (problem,) = refused.problems
    assert (problem.code, problem.field) == ("OVER_RECEIPT", "lines[0].quantity")
    assert problem.line == {"barcode": P1_CASE, "quantity": "12"}
    assert session.status == "open"
    assert session.document.lines[0].max_receivable == Decimal(5)
    assert session.lines()[0].over_receipt
    assert counted(session)["P1"] == Decimal(12)

    session.set_quantity("P1", 5)
    accepted = session.post()
    assert accepted.status == "sent"
    assert accepted.idempotency_key != refused.idempotency_key
    assert len(server.receipts) == 1


def test_nothing_counted_is_not_posted(client: PdaClient, session: ReceivingSession) -> None:
    with pytest.raises(PdaError) as raised:
        session.post()
    assert raised.value.code == "NOTHING_COUNTED"
    assert client.outbox(["pending", "sent", "conflict", "failed"]) == []


def test_scanning_the_same_document_again_resumes_the_open_session(
    client: PdaClient, session: ReceivingSession
) -> None:
    session.scan(P1_CASE)

    again = client.start_receiving("PO-2026-000001")

    assert again.id == session.id
    assert counted(again)["P1"] == Decimal(12)


def test_an_unknown_document_is_not_found(client: PdaClient) -> None:
    with pytest.raises(PdaError) as raised:
        client.start_receiving("PO-2026-999999")
    assert raised.value.code == "NOT_FOUND"
