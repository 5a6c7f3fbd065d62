from __future__ import annotations

from decimal import Decimal

import pytest

from server.inventory.models import Bucket
from server.inventory.valuation import (
    CostState,
    Flow,
    Valuation,
    ValuedMove,
    flow_of,
    issue,
    receive,
    round4,
    value_moves,
)

D = Decimal


def test_receipts_average_by_quantity() -> None:
    # 10 at 2.00 then 30 at 3.00: (20 + 90) / 40 = 2.75
    state, first = receive(CostState(), D(10), D("2.00"))
    state, second = receive(state, D(30), D("3.00"))
    assert (first, second) == (Valuation(D("2.00"), D("20.0000")), Valuation(D("3.00"), D(90)))
    assert state == CostState(D(40), D(110), D("2.7500"))


def test_issue_goes_out_at_the_average_and_keeps_it() -> None:
    state = CostState(D(40), D(110), D("2.7500"))
    state, valuation = issue(state, D(12))
    assert valuation == Valuation(D("2.7500"), D("33.0000"))  # 12 × 2.75
    assert state == CostState(D(28), D(77), D("2.7500"))


def test_thirds_round_half_up_and_the_last_unit_takes_what_is_left() -> None:
    # 3 units for 1.00: average 0.3333; two issues of one unit at 0.3333 leave 0.3334
    state, _ = receive(CostState(), D(3), D("0.3333333"))
    assert state == CostState(D(3), D("1.0000"), D("0.3333"))
    state, one = issue(state, D(1))
    state, two = issue(state, D(1))
    assert (one.value, two.value, state.value) == (D("0.3333"), D("0.3333"), D("0.3334"))
    state, last = issue(state, D(1))
    assert last == Valuation(D("0.3333"), D("0.3334"))
    assert (state.quantity, state.value) == (0, 0)


def test_rounding_half_up_at_four_places() -> None:
    assert round4(D("1.00005")) == D("1.0001")
    assert round4(D("1.00004999")) == D("1.0000")
    # 7 × 0.14285 = 0.99995 → 1.0000; average over 7 → 0.142857… → 0.1429
    state, valuation = receive(CostState(), D(7), D("0.14285"))
    assert valuation.value == D("1.0000")
    assert state.average_cost == D("0.1429")


def test_issuing_part_never_takes_more_than_the_value_left() -> None:
    # an average rounded up can price a partial issue above the value left: it is capped
    state = CostState(D(3), D("1.9999"), D("0.6667"))
    state, valuation = issue(state, D("2.9999"))
    assert valuation.value == D("1.9999")  # not round4(2.9999 × 0.6667) = 2.0000
    assert state == CostState(D("0.0001"), D("0.0000"), D("0.6667"))


def test_receipt_after_empty_shelf_starts_from_its_own_cost() -> None:
    state = CostState(D(0), D(0), D("5.0000"))
    state, _ = receive(state, D(4), D("1.50"))
    assert state == CostState(D(4), D("6.0000"), D("1.5000"))


def test_issuing_more_than_is_valued_is_a_bug_not_a_shortage_message() -> None:
    with pytest.raises(ValueError, match="only 2 is valued"):
        issue(CostState(D(2), D(2), D(1)), D(3))
    with pytest.raises(ValueError):
        receive(CostState(), D(0), D(1))


@pytest.mark.parametrize(("source", "target", "flow"), [
    (None, Bucket.AVAILABLE, Flow.INBOUND),
    (Bucket.IN_TRANSIT, Bucket.PENDING_QC, Flow.INBOUND),
    (Bucket.PICKED, None, Flow.OUTBOUND),
    (Bucket.REJECTED, Bucket.IN_TRANSIT, Flow.OUTBOUND),
    (Bucket.PENDING_QC, Bucket.AVAILABLE, Flow.NEUTRAL),
    (Bucket.AVAILABLE, Bucket.AVAILABLE, Flow.NEUTRAL),
    (None, Bucket.ON_ORDER, Flow.NEUTRAL),
    (Bucket.ON_ORDER, Bucket.IN_TRANSIT, Flow.NEUTRAL),
    (Bucket.BACKORDERED, None, Flow.NEUTRAL),
])
def test_only_crossing_the_physical_edge_moves_value(
    source: Bucket | None, target: Bucket | None, flow: Flow
) -> None:
    assert flow_of(source, target) is flow


def test_a_posting_values_inbound_moves_before_outbound_ones() -> None:
    # Out 5 listed before in 10 at 4.00 on an empty shelf: valued as in first, then out at 4.00
    moves = [
        ValuedMove(Flow.OUTBOUND, D(5)),
        ValuedMove(Flow.NEUTRAL, D(2), D("9.99")),
        ValuedMove(Flow.INBOUND, D(10), D("4.00")),
    ]
    state, valuations = value_moves(CostState(), moves)
    assert valuations == [
        Valuation(D("4.0000"), D("20.0000")),
        Valuation(D("9.99"), None),
        Valuation(D("4.00"), D("40.0000")),
    ]
    assert state == CostState(D(5), D(20), D("4.0000"))
