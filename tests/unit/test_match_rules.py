"""Three-way match of one invoice line, figures worked by hand."""

from __future__ import annotations

from decimal import Decimal

from server.finance.match_rules import (
    InvoiceLineDraft,
    LineMatch,
    Tolerances,
    all_matched,
    invoice_problems,
    match_line,
)
from server.finance.models import MatchResult

D = Decimal
EXACT = Tolerances()


def test_same_price_and_quantity_matches() -> None:
    assert match_line(D(10), D(100), D(100), D(10), EXACT) == LineMatch(
        MatchResult.MATCHED, D(0), D(0))


def test_price_variance_is_difference_times_quantity() -> None:
    # 10 × (104.50 − 100) = 45.00
    assert match_line(D(10), D("104.50"), D(100), D(10), EXACT) == LineMatch(
        MatchResult.PRICE_VARIANCE, D("45.00"), D(0))


def test_price_below_the_order_is_a_negative_variance() -> None:
    # 4 × (95 − 100) = −20
    assert match_line(D(4), D(95), D(100), D(10), EXACT) == LineMatch(
        MatchResult.PRICE_VARIANCE, D("-20.00"), D(0))


def test_invoiced_beyond_receipt_is_the_excess_at_the_invoice_price() -> None:
    # 8 accepted and not yet invoiced, 10 invoiced at 250: 2 × 250 = 500
    assert match_line(D(10), D(250), D(250), D(8), EXACT) == LineMatch(
        MatchResult.QUANTITY_VARIANCE, D(0), D("500.00"))


def test_quantity_variance_wins_over_price_and_keeps_both_amounts() -> None:
    # excess 1 × 110 = 110; price (110 − 100) × 3 = 30
    assert match_line(D(3), D(110), D(100), D(2), EXACT) == LineMatch(
        MatchResult.QUANTITY_VARIANCE, D("30.00"), D("110.00"))


def test_nothing_left_to_invoice_is_not_received() -> None:
    # all 5 × 40 are excess
    assert match_line(D(5), D(40), D(40), D(0), EXACT) == LineMatch(
        MatchResult.NOT_RECEIVED, D(0), D("200.00"))
    over_invoiced = match_line(D(5), D(40), D(40), D(-3), EXACT)
    assert over_invoiced.result is MatchResult.NOT_RECEIVED
    assert over_invoiced.quantity_variance == D("200.00")


def test_price_exactly_at_the_tolerance_still_matches() -> None:
    two_pct = Tolerances(price_pct=D(2))
    assert match_line(D(10), D(102), D(100), D(10), two_pct).result is MatchResult.MATCHED
    assert match_line(D(10), D(98), D(100), D(10), two_pct).result is MatchResult.MATCHED
    beyond = match_line(D(10), D("102.01"), D(100), D(10), two_pct)
    assert beyond == LineMatch(MatchResult.PRICE_VARIANCE, D("20.10"), D(0))


def test_quantity_exactly_at_the_tolerance_still_matches() -> None:
    five_pct = Tolerances(quantity_pct=D(5))
    # 5 % of 20 left is 1: 21 matches, 21.5 does not (excess 1.5 × 10 = 15)
    assert match_line(D(21), D(10), D(10), D(20), five_pct).result is MatchResult.MATCHED
    assert match_line(D("21.5"), D(10), D(10), D(20), five_pct) == LineMatch(
        MatchResult.QUANTITY_VARIANCE, D(0), D("15.00"))


def test_variances_round_half_up_to_the_cent() -> None:
    # 3 × 0.005 = 0.015 → 0.02
    assert match_line(D(3), D("1.005"), D(1), D(3), EXACT).price_variance == D("0.02")


def test_invoice_state_needs_every_line_matched() -> None:
    assert all_matched([MatchResult.MATCHED, MatchResult.MATCHED])
    assert not all_matched([MatchResult.MATCHED, MatchResult.PRICE_VARIANCE])


def test_invoice_problems_are_reported_together() -> None:
    problems = invoice_problems(" ", "cny", D("-1"), [InvoiceLineDraft("PO-1", 1, D(0), D(-1))])
    assert {p.field for p in problems} == {"invoiceNumber", "currency", "tax",
                                          "lines[0].quantity", "lines[0].unitPrice"}
    assert invoice_problems("F-1", "CNY", D("13.00"), [])[0].field == "lines"
    assert invoice_problems("F-1", "CNY", D("13.00"),
                            [InvoiceLineDraft("PO-1", 1, D(1), D(1))]) == []
