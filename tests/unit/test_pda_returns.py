"""The handheld's sales return inputs: scans tallied per code, and the mutation inputs built
from them, refused before anything is queued when they make no sense."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pda_client import PdaError
from pda_client.returns import inspection_input, receipt_input, tally

D = Decimal


def test_each_scan_counts_one_and_a_star_counts_many() -> None:
    assert tally(["6901234567892", "X1*3", " 6901234567892 ", "X1*0.5"]) == [
        ("6901234567892", D(2)), ("X1", D("3.5"))]


@pytest.mark.parametrize("scan", ["*2", "X1*two", "X1*-1"])
def test_a_count_must_name_a_code_and_a_quantity(scan: str) -> None:
    with pytest.raises(PdaError) as raised:
        tally([scan])
    assert raised.value.code == "INVALID_INPUT"


def test_the_receipt_input_sends_barcodes_with_their_counts() -> None:
    assert receipt_input(" RMA-2026-000001 ", "WH1", [("X1", D(2))], "key") == {
        "document": "RMA-2026-000001", "warehouseCode": "WH1", "idempotencyKey": "key",
        "lines": [{"barcode": "X1", "quantity": "2"}]}
    with pytest.raises(PdaError):
        receipt_input("RMA-2026-000001", "WH1", [], "key")


def test_the_inspection_input_carries_both_sides_and_the_bin_when_given() -> None:
    assert inspection_input("7", 2, "1", "cracked", "WH1-REJ", "key") == {
        "taskId": 7, "restockQuantity": "2", "scrapQuantity": "1", "notes": "cracked",
        "idempotencyKey": "key", "rejectLocationCode": "WH1-REJ"}
    assert "rejectLocationCode" not in inspection_input("7", 1, 0, "", None, "key")
    with pytest.raises(PdaError):
        inspection_input("7", "-1", 0, "", None, "key")
