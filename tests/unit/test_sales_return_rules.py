"""The pure sales-return rules: request shapes, spreading a quantity over lines, the cost goods
left with, decisions and the return's state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.errors import Problem
from server.sales.return_models import SalesReturnState
from server.sales.return_rules import (
    LineProgress,
    ReturnedLine,
    ReturnLineDraft,
    ReturnReceiptRequest,
    Room,
    SalesReturnDraft,
    decision_problems,
    draft_problems,
    left_with_cost,
    over_return_problem,
    receipt_problems,
    spread,
    state_of,
)

D = Decimal


def fields(problems: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in problems]


def test_a_well_formed_return_has_no_problems() -> None:
    draft = SalesReturnDraft("SO-2026-000001", [ReturnLineDraft("P1", D(2))], "broken", "k1")
    assert draft_problems(draft) == []


def test_a_return_needs_an_order_a_reason_lines_and_positive_quantities() -> None:
    draft = SalesReturnDraft(" ", [ReturnLineDraft("P1", D(0)), ReturnLineDraft("P1", D(1)),
                                   ReturnLineDraft("", D("1.00001"))], "", "")
    assert fields(draft_problems(draft)) == [
        ("INVALID_INPUT", "idempotencyKey"), ("INVALID_INPUT", "salesOrderNumber"),
        ("INVALID_INPUT", "reason"), ("INVALID_INPUT", "lines[0].quantity"),
        ("INVALID_INPUT", "lines[1].sku"), ("INVALID_INPUT", "lines[2].sku"),
        ("INVALID_INPUT", "lines[2].quantity")]
    assert fields(draft_problems(SalesReturnDraft("SO-1", [], "x" * 2001, "k"))) == [
        ("INVALID_INPUT", "reason"), ("INVALID_INPUT", "lines")]


def test_a_receipt_needs_a_scan_a_warehouse_and_a_product_per_line() -> None:
    request = ReturnReceiptRequest("", " ", "k", [
        ReturnedLine(D(1)), ReturnedLine(D(1), barcode="x", sku="P1"),
        ReturnedLine(D(-1), sku="P1", lot="L" * 65)])
    assert fields(receipt_problems(request)) == [
        ("INVALID_INPUT", "document"), ("INVALID_INPUT", "warehouseCode"),
        ("INVALID_INPUT", "lines[0]"), ("INVALID_INPUT", "lines[1]"),
        ("INVALID_INPUT", "lines[2].quantity"), ("INVALID_INPUT", "lines[2].lot")]
    assert fields(receipt_problems(ReturnReceiptRequest("RMA-1", "WH1", "k", []))) == [
        ("INVALID_INPUT", "lines")]


def test_spread_fills_lines_in_order_up_to_their_room() -> None:
    lines = [Room(1, D(2)), Room(2, D(0)), Room(3, D(5))]
    assert spread(D(4), lines) == [(1, D(2)), (3, D(2))]
    assert spread(D(7), lines) == [(1, D(2)), (3, D(5))]
    assert spread(D(8), lines) is None
    assert spread(D(1), [Room(1, D(-1))]) is None


def test_the_over_return_message_gives_the_numbers() -> None:
    problem = over_return_problem("P1", "SO-1", D(6), D(4), D(3), "lines[0].quantity")
    assert (problem.code, problem.message) == (
        "OVER_RETURN", "P1: shipped 6 on SO-1, 4 returned already, at most 2 more can be "
        "returned; got 3")


def test_goods_leave_at_the_quantity_weighted_cost_of_their_shipments() -> None:
    assert left_with_cost([(D(2), D(100))]) == D("100.0000")
    assert left_with_cost([(D(1), D(100)), (D(2), D(130))]) == D("120.0000")
    assert left_with_cost([(D(3), D(1)), (D(0), D(5))]) == D("1.0000")
    assert left_with_cost([(D(3), D(1)), (D(3), D(2)), (D(3), D("2.0001"))]) == D("1.6667")
    with pytest.raises(ValueError):
        left_with_cost([])


def test_a_decision_is_within_what_waits_for_inspection() -> None:
    assert decision_problems(D(1), D(1), D(2)) == []
    assert fields(decision_problems(D(2), D(1), D(2))) == [("OVER_INSPECTION",
                                                             "restockQuantity")]
    assert fields(decision_problems(D(0), D(0), D(2))) == [("INVALID_INPUT", "restockQuantity")]
    assert fields(decision_problems(D(-1), D(2), D(2))) == [("INVALID_INPUT",
                                                              "restockQuantity")]
    assert fields(decision_problems(D(1), D(-2), D(2))) == [("INVALID_INPUT", "scrapQuantity")]
    assert fields(decision_problems(D("0.00001"), D("NaN"), D(2))) == [
        ("INVALID_INPUT", "restockQuantity"), ("INVALID_INPUT", "scrapQuantity")]


@pytest.mark.parametrize(("lines", "state"), [
    ([LineProgress(D(2), D(0), D(0))], SalesReturnState.OPEN),
    ([LineProgress(D(2), D(1), D(1))], SalesReturnState.PARTIALLY_RECEIVED),
    ([LineProgress(D(2), D(2), D(0)), LineProgress(D(1), D(0), D(0))],
     SalesReturnState.PARTIALLY_RECEIVED),
    ([LineProgress(D(2), D(2), D(1))], SalesReturnState.RECEIVED),
    ([LineProgress(D(2), D(2), D(2)), LineProgress(D(1), D(1), D(1))],
     SalesReturnState.CLOSED),
])
def test_a_return_is_open_partly_or_wholly_received_then_closed(
    lines: list[LineProgress], state: SalesReturnState
) -> None:
    assert state_of(lines) is state
