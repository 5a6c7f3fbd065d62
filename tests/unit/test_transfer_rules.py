"""Transfer rules without a database: request checks, spreading a count over the travelling lots,
the state after a receipt, and the ledger check that a transfer's value is conserved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.inventory.models import StockLedger
from server.transfers.models import TransferState
from server.transfers.rules import (
    OverReceipt,
    TransferDraft,
    TransferLineDraft,
    TravellingLot,
    draft_problems,
    spread_over_lots,
    state_after_receipt,
    travelling_costs,
)
from tests.ledger_invariants import check_transfers

D = Decimal
LOTS = [TravellingLot(1, "A", D(5), D(2)), TravellingLot(2, "B", D(4), D(0))]


def fields(draft: TransferDraft) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in draft_problems(draft)]


def test_a_good_request_has_no_problems() -> None:
    assert fields(TransferDraft("WH1", "WH2", [TransferLineDraft("P1", D(3))], "k")) == []


def test_bad_requests_name_their_fields() -> None:
    assert fields(TransferDraft("WH1", "WH1", [TransferLineDraft("P1", D(1))], "k")) == [
        ("INVALID_INPUT", "toWarehouseCode")]
    assert fields(TransferDraft("WH1", "WH2", [], "")) == [
        ("INVALID_INPUT", "idempotencyKey"), ("INVALID_INPUT", "lines")]
    assert fields(TransferDraft("WH1", "WH2", [
        TransferLineDraft("P1", D(1)), TransferLineDraft("P1", D("-2")),
        TransferLineDraft("P2", D("0.00001"))], "k")) == [
        ("INVALID_INPUT", "lines[1].sku"), ("INVALID_INPUT", "lines[1].quantity"),
        ("INVALID_INPUT", "lines[2].quantity")]


def test_a_count_fills_the_lots_in_order_or_only_the_lot_scanned() -> None:
    assert [(lot.lot, part) for lot, part in spread_over_lots(D(5), None, LOTS)] == [
        ("A", D(3)), ("B", D(2))]
    assert [(lot.lot, part) for lot, part in spread_over_lots(D(4), "B", LOTS)] == [
        ("B", D(4))]


def test_counting_more_than_is_on_the_road_says_how_much_is() -> None:
    with pytest.raises(OverReceipt, match=r"5 counted but only 4 of lot B is still in transit "
                                          r"\(4 shipped, 0 received\)"):
        spread_over_lots(D(5), "B", LOTS)
    with pytest.raises(OverReceipt, match="8 counted but only 7 of this line"):
        spread_over_lots(D(8), None, LOTS)
    with pytest.raises(OverReceipt, match="only 0 of lot C"):
        spread_over_lots(D(1), "C", LOTS)


def test_state_after_receipt() -> None:
    assert state_after_receipt(D(9), D(4)) is TransferState.PARTIALLY_RECEIVED
    assert state_after_receipt(D(9), D(9)) is TransferState.RECEIVED


def row(from_bucket: str | None, to_bucket: str | None, quantity: str, unit_cost: str,
        value: str | None) -> StockLedger:
    return StockLedger(document_type="TR", document_number="TR-1", product_id=1,
                       from_bucket=from_bucket, to_bucket=to_bucket, quantity=D(quantity),
                       unit_cost=D(unit_cost), value=D(value) if value is not None else None)


def test_a_transfer_conserves_its_value_up_to_the_average_rounding() -> None:
    # 3 units worth 10 leave at the average 3.3333 (the last units take the 10 that is left).
    shipped = [row("picked", None, "3", "3.3333", "10"), row(None, "in_transit", "3", "3.3333",
                                                                 None)]
    check_transfers(shipped)
    check_transfers([*shipped, row("in_transit", "available", "2", "3.3333", "6.6666")])
    check_transfers([*shipped, row("in_transit", "available", "3", "3.3333", "9.9999")])


def test_a_fraction_of_a_unit_conserves_its_value_up_to_the_rounding_of_its_rows() -> None:
    # 0.332 × 76.315 = 25.33658: the row's value is rounded by more than the per-unit share.
    shipped = [row("picked", None, "0.332", "76.315", "25.3366"),
               row(None, "in_transit", "0.332", "76.315", None)]
    check_transfers(shipped)
    check_transfers([*shipped, row("in_transit", "available", "0.332", "76.315", "25.3366")])


def test_value_lost_on_the_road_breaks_the_check() -> None:
    shipped = [row("picked", None, "3", "3.3333", "10"), row(None, "in_transit", "3", "3.3333",
                                                                 None)]
    with pytest.raises(AssertionError):
        check_transfers([*shipped, row("in_transit", "available", "3", "3", "9")])
    with pytest.raises(AssertionError):
        check_transfers(shipped[:1])


def test_goods_travel_at_the_value_they_left_with() -> None:
    # the average 66.8966 drifted from 1204.1374 / 18: emptying the shelves took what was left
    costs = travelling_costs([((1, "PO"), D(6), D("401.3782")), ((1, ""), D(12), D("802.7592")),
                              ((2, ""), D(5), D(56))])
    assert costs == {(1, "PO"): D("66.8964"), (1, ""): D("66.8966"), (2, ""): D("11.2")}
