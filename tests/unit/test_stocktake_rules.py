from __future__ import annotations

from decimal import Decimal

import pytest

from server.auth import Role
from server.errors import InvalidState
from server.stocktake.rules import (
    CountRequest,
    StocktakeAction,
    StocktakeStatus,
    adjustments,
    count_problems,
    needs_approval,
    net_movements,
    next_status,
    sees_expected,
    total_value,
    variance_lines,
)

S, A = StocktakeStatus, StocktakeAction
BIN_A, BIN_B, P1, P2 = 1, 2, 10, 20


def test_expected_is_frozen_plus_net_movements_since_the_freeze() -> None:
    moved = net_movements([((BIN_A, P1, ""), Decimal(5)), ((BIN_A, P1, ""), Decimal(-2)),
                           ((BIN_B, P1, ""), Decimal(3)), ((BIN_B, P1, ""), Decimal(-3))])
    assert moved == {(BIN_A, P1, ""): Decimal(3)}
    [line] = variance_lines({(BIN_A, P1, ""): Decimal(10)}, moved,
                            {(BIN_A, P1, ""): Decimal(12)}, {P1: Decimal("2.5")})
    assert (line.frozen, line.moved, line.expected, line.counted) == (10, 3, 13, 12)
    assert (line.variance, line.value) == (Decimal(-1), Decimal("-2.5000"))


def test_uncounted_lines_are_left_alone_unless_zeroing_is_asked() -> None:
    frozen = {(BIN_A, P1, ""): Decimal(4), (BIN_A, P2, "L1"): Decimal(2)}
    counted = {(BIN_A, P1, ""): Decimal(4)}
    costs = {P1: Decimal(1), P2: Decimal(3)}
    lines = variance_lines(frozen, {}, counted, costs)
    assert [(line.key, line.variance) for line in lines] == [
        ((BIN_A, P1, ""), 0), ((BIN_A, P2, "L1"), None)]
    assert adjustments(lines) == [] and total_value(lines) == 0
    zeroed = variance_lines(frozen, {}, counted, costs, zero_uncounted=True)
    assert adjustments(zeroed) == [((BIN_A, P2, "L1"), Decimal(-2))]
    assert total_value(zeroed) == Decimal(-6)


def test_found_stock_is_a_line_and_a_product_never_valued_is_worth_nothing() -> None:
    [line] = variance_lines({}, {}, {(BIN_B, P2, ""): Decimal(7)}, {P2: None})
    assert (line.expected, line.variance, line.value) == (0, 7, 0)
    assert adjustments([line]) == [((BIN_B, P2, ""), Decimal(7))]


def test_a_line_neither_frozen_nor_counted_that_nets_to_nothing_is_no_line() -> None:
    assert variance_lines({}, net_movements([((BIN_A, P1, ""), Decimal(1)),
                                             ((BIN_A, P1, ""), Decimal(-1))]), {}, {}) == []


def test_approval_is_needed_over_the_threshold_for_gains_and_losses() -> None:
    assert needs_approval(Decimal("-1000.01"), Decimal(1000))
    assert needs_approval(Decimal("1000.01"), Decimal(1000))
    assert not needs_approval(Decimal(-1000), Decimal(1000))


@pytest.mark.parametrize(("action", "before", "after"), [
    (A.COUNT, S.OPEN, S.COUNTING), (A.COUNT, S.COUNTING, S.COUNTING),
    (A.RECOUNT, S.OPEN, S.OPEN), (A.RECOUNT, S.COUNTING, S.COUNTING),
    (A.APPROVE, S.PENDING_APPROVAL, S.POSTED), (A.REJECT, S.PENDING_APPROVAL, S.COUNTING),
    (A.CANCEL, S.OPEN, S.CANCELLED), (A.CANCEL, S.PENDING_APPROVAL, S.CANCELLED),
])
def test_state_machine_moves(action: StocktakeAction, before: StocktakeStatus,
                             after: StocktakeStatus) -> None:
    assert next_status(action, before, "ST-1") is after


def test_posting_waits_for_approval_when_needed() -> None:
    assert next_status(A.POST, S.COUNTING, "ST-1") is S.POSTED
    assert next_status(A.POST, S.COUNTING, "ST-1", needs_approval=True) is S.PENDING_APPROVAL


@pytest.mark.parametrize(("action", "status", "code"), [
    (A.COUNT, S.POSTED, "STOCKTAKE_CLOSED"), (A.COUNT, S.CANCELLED, "STOCKTAKE_CLOSED"),
    (A.COUNT, S.PENDING_APPROVAL, "INVALID_STATE"), (A.POST, S.OPEN, "INVALID_STATE"),
    (A.POST, S.POSTED, "STOCKTAKE_CLOSED"), (A.CANCEL, S.POSTED, "STOCKTAKE_CLOSED"),
    (A.APPROVE, S.COUNTING, "INVALID_STATE"),
])
def test_state_machine_refusals(action: StocktakeAction, status: StocktakeStatus,
                                code: str) -> None:
    with pytest.raises(InvalidState) as raised:
        next_status(action, status, "ST-1")
    assert raised.value.problems[0].code == code
    assert "ST-1" in str(raised.value)


def test_blind_counts_hide_expected_from_counters_until_counting_is_over() -> None:
    counter = frozenset({Role.WAREHOUSE})
    assert not sees_expected(True, S.COUNTING, counter)
    assert not sees_expected(True, S.OPEN, counter)
    assert sees_expected(True, S.PENDING_APPROVAL, counter)
    assert sees_expected(False, S.COUNTING, counter)
    assert sees_expected(True, S.COUNTING, frozenset({Role.FINANCE_DIRECTOR}))
    assert sees_expected(True, S.COUNTING, frozenset({Role.ADMIN}))


def _count(**changes: object) -> CountRequest:
    fields: dict[str, object] = {"stocktake_number": "ST-1", "location_code": "A",
                                 "quantity": Decimal(1), "device_id": "pda-1",
                                 "idempotency_key": "k", "sku": "P1"}
    fields.update(changes)
    return CountRequest(**fields)  # type: ignore[arg-type]


def test_count_problems() -> None:
    assert count_problems(_count()) == []
    assert count_problems(_count(quantity=Decimal(0))) == []
    codes = {(p.field, p.code) for p in count_problems(_count(
        quantity=Decimal(-1), device_id=" ", idempotency_key="", sku=None))}
    assert codes == {("quantity", "INVALID_INPUT"), ("deviceId", "INVALID_INPUT"),
                     ("idempotencyKey", "INVALID_INPUT"), ("sku", "INVALID_INPUT")}
    assert [p.field for p in count_problems(_count(barcode="123"))] == ["sku"]
    assert [p.field for p in count_problems(_count(quantity=Decimal("0.00001")))] == ["quantity"]
