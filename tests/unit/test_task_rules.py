"""Pure warehouse task rules: bin suggestion, inspection decisions, spreading a putaway over
tasks, and which bins stock may be put away from and into."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.catalog.models import LocationType
from server.receiving.models import InspectionResult
from server.receiving.task_rules import (
    Bin,
    BinStock,
    Decision,
    EmptyBin,
    PutawayRequest,
    advance,
    decision_problems,
    over_inspection_problem,
    putaway_problems,
    putaway_source_problem,
    putaway_target_problem,
    suggest_bins,
)

PASS, FAIL, CONCESSION = InspectionResult.PASS, InspectionResult.FAIL, InspectionResult.CONCESSION
D = Decimal


def test_the_bin_holding_most_of_the_product_wins_ties_by_code() -> None:
    holding = {1: [BinStock(10, "A-03", D(5)), BinStock(11, "A-01", D(9)),
                   BinStock(12, "A-02", D(9))]}
    assert suggest_bins([1], holding, [EmptyBin(20, "B-01")]) == {1: 11}


def test_without_stock_the_first_empty_bin_by_code() -> None:
    empty = [EmptyBin(21, "B-02"), EmptyBin(20, "B-01")]
    assert suggest_bins([1], {1: [BinStock(10, "A-01", D(0))]}, empty) == {1: 20}


def test_nothing_to_suggest_without_stock_or_empty_bins() -> None:
    assert suggest_bins([1], {}, []) == {1: None}


def test_products_arriving_together_get_different_empty_bins() -> None:
    empty = [EmptyBin(20, "B-01"), EmptyBin(21, "B-02")]
    assert suggest_bins([1, 2, 1], {}, empty) == {1: 20, 2: 21}


def test_an_empty_bin_already_promised_goes_to_its_product_and_not_to_others() -> None:
    empty = [EmptyBin(20, "B-01", frozenset({7})), EmptyBin(21, "B-02")]
    assert suggest_bins([7], {}, empty) == {7: 20}
    assert suggest_bins([8], {}, empty) == {8: 21}


def test_when_every_empty_bin_is_promised_the_first_is_shared() -> None:
    empty = [EmptyBin(21, "B-02", frozenset({7})), EmptyBin(20, "B-01", frozenset({6}))]
    assert suggest_bins([8], {}, empty) == {8: 20}


@pytest.mark.parametrize(("result", "accepted", "rejected"), [
    (PASS, 5, 0), (FAIL, 0, 5), (CONCESSION, 4, 1), (CONCESSION, 5, 0),
])
def test_consistent_decisions_pass(result: InspectionResult, accepted: int, rejected: int) -> None:
    assert decision_problems(Decision(result, D(accepted), D(rejected))) == []


@pytest.mark.parametrize(("result", "accepted", "rejected", "field"), [
    (PASS, 4, 1, "rejectedQuantity"),
    (FAIL, 1, 4, "acceptedQuantity"),
    (CONCESSION, 0, 2, "acceptedQuantity"),
    (FAIL, 0, 0, "acceptedQuantity"),
    (PASS, -1, 0, "acceptedQuantity"),
    (FAIL, 0, -2, "rejectedQuantity"),
])
def test_contradicting_or_empty_decisions_are_invalid(
    result: InspectionResult, accepted: int, rejected: int, field: str
) -> None:
    problems = decision_problems(Decision(result, D(accepted), D(rejected)))
    assert [(p.code, p.field) for p in problems] == [("INVALID_INPUT", field)]


def test_too_many_decimal_places_are_invalid() -> None:
    [problem] = decision_problems(Decision(PASS, D("1.00001"), D(0)))
    assert (problem.code, problem.field) == ("INVALID_INPUT", "acceptedQuantity")


def test_deciding_more_than_remains_is_over_inspection_naming_what_remains() -> None:
    assert over_inspection_problem(Decision(CONCESSION, D(2), D(1)), D(3)) is None
    problem = over_inspection_problem(Decision(CONCESSION, D(2), D(2)), D("3.0000"))
    assert problem is not None
    assert problem.code == "OVER_INSPECTION"
    assert problem.message.startswith("only 3 remain")


def test_a_putaway_fills_tasks_oldest_first_and_the_rest_counts_on_none() -> None:
    assert advance([D(5), D(5), D(5)], D(7)) == [D(5), D(2), D(0)]
    assert advance([D(2)], D(6)) == [D(2)]
    assert advance([], D(3)) == []


def request(**change: object) -> PutawayRequest:
    values: dict[str, object] = {
        "sku": "P1", "from_location_code": "RCV", "to_location_barcode": "A-01",
        "quantity": D(1), "idempotency_key": "k", **change}
    return PutawayRequest(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"quantity": D(0)}, "INVALID_INPUT", "quantity"),
    ({"quantity": D("0.00001")}, "INVALID_INPUT", "quantity"),
    ({"idempotency_key": " "}, "INVALID_INPUT", "idempotencyKey"),
    ({"lot": "x" * 65}, "INVALID_INPUT", "lot"),
    ({"to_location_barcode": "RCV"}, "INVALID_LOCATION", "toLocationBarcode"),
])
def test_putaway_request_problems(change: dict[str, object], code: str, field: str) -> None:
    assert (code, field) in [(p.code, p.field) for p in putaway_problems(request(**change))]


def test_a_good_putaway_request_has_no_problems() -> None:
    assert putaway_problems(request(lot="L1")) == []


@pytest.mark.parametrize(("target", "fine"), [
    (Bin("A-01", LocationType.STORAGE, True, 1), True),
    (Bin("STG", LocationType.STAGING, True, 1), True),
    (Bin("RCV", LocationType.RECEIVING, True, 1), False),
    (Bin("QC", LocationType.QC, True, 1), False),
    (Bin("REJ", LocationType.REJECTED, True, 1), False),
    (Bin("A-09", LocationType.STORAGE, False, 1), False),
    (Bin("W2-A", LocationType.STORAGE, True, 2), False),
])
def test_only_active_storage_or_staging_bins_of_the_warehouse_take_stock(
    target: Bin, fine: bool
) -> None:
    problem = putaway_target_problem(target, 1, "WH1")
    assert (problem is None) == fine
    if problem is not None:
        assert (problem.code, problem.field) == ("INVALID_LOCATION", "toLocationBarcode")


def test_stock_is_not_put_away_from_a_rejected_bin_or_another_warehouse() -> None:
    assert putaway_source_problem(Bin("RCV", LocationType.RECEIVING, True, 1), 1, "WH1") is None
    for source in (Bin("REJ", LocationType.REJECTED, True, 1),
                   Bin("W2-RCV", LocationType.RECEIVING, True, 2)):
        problem = putaway_source_problem(source, 1, "WH1")
        assert problem is not None
        assert (problem.code, problem.field) == ("INVALID_LOCATION", "fromLocationCode")
