"""Pure picking rules: walking order, what a release leaves out, confirmation checks, short-pick
split and the order state after a shipment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.sales.models import PickLineStatus, SalesOrderState
from server.sales.pick_rules import (
    HeldStock,
    LineProgress,
    PickedStock,
    PickRequest,
    PickScan,
    PickTarget,
    all_decided,
    backorder_after_short,
    line_status,
    one_warehouse_problem,
    over_pick_problem,
    pick_request_problems,
    release_problems,
    scan_problems,
    shipment_lines,
    shipment_problems,
    state_after_shipment,
    to_pick,
)

D = Decimal


def held(line_id: int, bin_code: str, sku: str, lot: str, quantity: str,
         order: str = "SO-1", line_no: int = 1) -> HeldStock:
    return HeldStock(order_line_id=line_id, product_id=len(sku), location_id=ord(
        bin_code[-1]), lot=lot, quantity=D(quantity), bin_code=bin_code, sku=sku,
        order_number=order, order_line_no=line_no)


def request(**changes: object) -> PickRequest:
    values: dict[str, object] = {"pick_list_number": "PK-2026-000001", "line_no": 1,
                                 "bin_barcode": "WH1-A-01", "quantity": D(2),
                                 "idempotency_key": "k", "sku": "P1"}
    values.update(changes)
    return PickRequest(**values)  # type: ignore[arg-type]


def codes(problems: list) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in problems]


def test_release_walks_bin_by_bin_then_sku_and_lot_then_order() -> None:
    stock = [held(1, "WH1-A-02", "P1", "", "3", "SO-2"),
             held(2, "WH1-A-01", "P2", "L2", "1"),
             held(3, "WH1-A-01", "P1", "L9", "4", "SO-3"),
             held(4, "WH1-A-01", "P1", "L1", "5", "SO-9"),
             held(5, "WH1-A-01", "P1", "L1", "6", "SO-1", 2)]
    picked = to_pick(stock, {})
    assert [(s.order_line_id, q) for s, q in picked] == [
        (5, D(6)), (4, D(5)), (3, D(4)), (2, D(1)), (1, D(3))]


def test_release_leaves_out_what_open_pick_lists_still_have_to_pick() -> None:
    first, second = held(1, "WH1-A-01", "P1", "", "5"), held(2, "WH1-A-02", "P1", "", "4")
    picked = to_pick([first, second], {first.key: D(2), second.key: D(4)})
    assert [(s.order_line_id, q) for s, q in picked] == [(1, D(3))]


def test_release_needs_orders_and_a_key() -> None:
    assert codes(release_problems([], " ")) == [
        ("INVALID_INPUT", "idempotencyKey"), ("INVALID_INPUT", "salesOrderNumbers")]
    assert release_problems(["SO-1"], "k") == []


def test_one_pick_list_serves_one_warehouse() -> None:
    assert one_warehouse_problem({"SO-1": "WH1", "SO-2": "WH1"}) is None
    problem = one_warehouse_problem({"SO-1": "WH1", "SO-2": "WH2"})
    assert problem is not None and problem.code == "INVALID_INPUT"
    assert "WH1, WH2" in problem.message


def test_a_plain_pick_is_valid() -> None:
    assert pick_request_problems(request()) == []
    assert pick_request_problems(request(quantity=D(0), short_quantity=D(2), sku=None,
                                         short_reason="not there")) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"quantity": D(-1)}, [("INVALID_INPUT", "quantity")]),
    ({"quantity": D(0)}, [("INVALID_INPUT", "quantity")]),
    ({"short_quantity": D(1)}, [("INVALID_INPUT", "shortReason")]),
    ({"short_quantity": D(-1), "short_reason": "x"}, [("INVALID_INPUT", "shortQuantity")]),
    ({"sku": None}, [("INVALID_INPUT", "productBarcode")]),
    ({"bin_barcode": " "}, [("INVALID_INPUT", "binBarcode")]),
    ({"quantity": D("0.00001")}, [("INVALID_INPUT", "quantity")]),
    ({"idempotency_key": ""}, [("INVALID_INPUT", "idempotencyKey")]),
    ({"lot": "L" * 65}, [("INVALID_INPUT", "lot")]),
    ({"short_quantity": D(1), "short_reason": "x" * 401}, [("INVALID_INPUT", "shortReason")]),
])
def test_bad_confirmations_are_refused_before_any_lookup(
    changes: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert codes(pick_request_problems(request(**changes))) == expected


TARGET = PickTarget(location_id=7, bin_code="WH1-A-01", product_id=3, sku="P1", lot="L1")


def test_the_right_bin_product_and_lot_pass() -> None:
    scan = PickScan("WH1-A-01", 7, 3, "6901234567892", "L1")
    assert scan_problems(TARGET, scan, picking=True) == []


def test_wrong_bin_product_and_lot_are_each_named() -> None:
    scan = PickScan("WH1-A-02", 8, 4, "6901234567908", "L2")
    assert codes(scan_problems(TARGET, scan, picking=True)) == [
        ("WRONG_BIN", "binBarcode"), ("WRONG_PRODUCT", "productBarcode"), ("WRONG_LOT", "lot")]
    [bin_problem, _, lot_problem] = scan_problems(TARGET, scan, picking=True)
    assert "go to WH1-A-01" in bin_problem.message
    assert "lot L2" in lot_problem.message and "lot L1" in lot_problem.message


def test_a_missing_lot_is_wrong_when_picking_a_lot_but_not_when_reporting_short() -> None:
    scan = PickScan("WH1-A-01", 7, 3, "P1", None)
    assert codes(scan_problems(TARGET, scan, picking=True)) == [("WRONG_LOT", "lot")]
    assert scan_problems(TARGET, PickScan("WH1-A-01", 7, None, None, None), picking=False) == []


def test_a_line_without_lot_takes_any_lot_scanned() -> None:
    target = PickTarget(7, "WH1-A-01", 3, "P1", "")
    assert scan_problems(target, PickScan("WH1-A-01", 7, 3, "P1", "L5"), picking=True) == []


def test_over_pick() -> None:
    assert over_pick_problem(D(5), D(3), D(2)) is None
    problem = over_pick_problem(D(5), D(4), D(2))
    assert problem is not None and problem.code == "OVER_PICK"
    assert "still to pick" in problem.message and "5" in problem.message


@pytest.mark.parametrize(("picked", "short", "status"), [
    ("0", "0", PickLineStatus.OPEN), ("3", "0", PickLineStatus.OPEN),
    ("5", "0", PickLineStatus.PICKED), ("3", "2", PickLineStatus.PICKED),
    ("0", "5", PickLineStatus.SHORT),
])
def test_line_status(picked: str, short: str, status: PickLineStatus) -> None:
    assert line_status(D(5), D(picked), D(short)) is status


def test_short_pick_backorders_what_other_bins_cannot_give() -> None:
    assert backorder_after_short(D(4), D(4)) == 0
    assert backorder_after_short(D(4), D(1)) == 3
    assert backorder_after_short(D(4), D(0)) == 4


def test_all_decided() -> None:
    assert all_decided(["picked", "short"])
    assert not all_decided(["picked", "open"])


def test_an_order_is_shipped_when_nothing_is_left_to_ship() -> None:
    done = LineProgress(D(0), D(0), D(0))
    assert state_after_shipment([done, done]) is SalesOrderState.SHIPPED
    for waiting in (LineProgress(D(1), D(0), D(0)), LineProgress(D(0), D(1), D(0)),
                    LineProgress(D(0), D(0), D(1))):
        assert state_after_shipment([done, waiting]) is SalesOrderState.PARTIALLY_SHIPPED


def test_shipment_lines_merge_per_order_line_bin_and_lot() -> None:
    picked = [PickedStock(1, 9, 5, "L1", D(2)), PickedStock(2, 9, 5, "", D(1)),
              PickedStock(1, 9, 5, "L1", D(3)), PickedStock(1, 9, 5, "L2", D(1))]
    assert shipment_lines(picked) == [PickedStock(1, 9, 5, "L1", D(5)),
                                      PickedStock(2, 9, 5, "", D(1)),
                                      PickedStock(1, 9, 5, "L2", D(1))]


def test_a_shipment_needs_carrier_and_tracking_number() -> None:
    assert shipment_problems("SF", "SF123", "k") == []
    assert codes(shipment_problems(" ", "x" * 101, "k")) == [
        ("INVALID_INPUT", "carrier"), ("INVALID_INPUT", "trackingNumber")]
