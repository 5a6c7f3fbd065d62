"""Pure purchase return rules: request checks, what a PO line can give back, taking quantities
from sources and pairing two takings into return lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.errors import InvalidState
from server.inventory.models import Bucket
from server.purchasing.return_rules import (
    LineClaims,
    ReturnDraft,
    ReturnLineDraft,
    draft_problems,
    pair_up,
    returnable,
    take,
)
from server.purchasing.return_states import ReturnAction, ReturnState, check_allowed

D = Decimal


def test_a_clean_request_has_no_problems() -> None:
    request = ReturnDraft("S1", "WH1", [ReturnLineDraft("P1", D(2), Bucket.REJECTED, "broken")])
    assert draft_problems(request) == []


def test_every_problem_of_a_request_is_reported_with_its_field() -> None:
    request = ReturnDraft("S 1", "WH1", [
        ReturnLineDraft("P1", D(0), Bucket.RESERVED, " "),
        ReturnLineDraft("P1", D("1.00001"), Bucket.AVAILABLE, "x" * 501, lot="L" * 65),
    ])
    fields = sorted(problem.field or "" for problem in draft_problems(request))
    assert fields == ["lines[0].fromBucket", "lines[0].quantity", "lines[0].reason",
                      "lines[1].lot", "lines[1].quantity", "lines[1].reason", "supplierCode"]


def test_a_request_needs_lines() -> None:
    [problem] = draft_problems(ReturnDraft("S1", "WH1", []))
    assert (problem.code, problem.field) == ("INVALID_INPUT", "lines")


def test_available_goods_are_limited_by_what_was_accepted_and_not_held() -> None:
    claims = LineClaims(held_available=D(2), shipped_available=D(3))
    # shipped accepted goods already left the accepted count; only held ones are taken off
    assert returnable(Bucket.AVAILABLE, D(5), D(7), claims) == D(3)


def test_rejected_goods_count_accepted_goods_shipped_back_as_rejected() -> None:
    claims = LineClaims(held_rejected=D(1), shipped_rejected=D(2), shipped_available=D(3))
    assert returnable(Bucket.REJECTED, D(5), D(7), claims) == D(1)
    assert returnable(Bucket.REJECTED, D(5), D(2), claims) == D(0)


def test_take_runs_through_the_sources_in_order_and_reports_shortfall() -> None:
    assert take(D(5), [("a", D(2)), ("b", D(0)), ("c", D(4))]) == [("a", D(2)), ("c", D(3))]
    assert take(D(9), [("a", D(2)), ("c", D(4))]) == [("a", D(2)), ("c", D(4))]


def test_pair_up_splits_two_takings_into_common_pieces() -> None:
    pieces = pair_up([("A", D(5)), ("B", D(3))], [("X", D(6)), ("Y", D(2))])
    assert pieces == [("A", "X", D(5)), ("B", "X", D(1)), ("B", "Y", D(2))]


def test_pair_up_refuses_takings_of_different_totals() -> None:
    with pytest.raises(ValueError):
        pair_up([("A", D(5))], [("X", D(4))])


def test_only_approved_returns_ship_and_shipped_ones_cannot_be_cancelled() -> None:
    check_allowed(ReturnAction.SHIP, ReturnState.APPROVED, "PR-1")
    for state in (ReturnState.PENDING_APPROVAL, ReturnState.SHIPPED, ReturnState.CANCELLED):
        with pytest.raises(InvalidState):
            check_allowed(ReturnAction.SHIP, state, "PR-1")
    with pytest.raises(InvalidState) as raised:
        check_allowed(ReturnAction.CANCEL, ReturnState.SHIPPED, "PR-1")
    assert "allowed from: approved, pending_approval" in str(raised.value)
