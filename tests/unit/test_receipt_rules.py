"""Receiving rules without a database: spreading a quantity over lines, where it comes from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from server.inventory.models import Bucket
from server.receiving.receipt_rules import (
    LineProgress,
    ReceiptRequest,
    ReceiveLine,
    fully_received,
    on_time,
    receivable_now,
    request_problems,
    sources,
    spread,
)

D = Decimal


def line(line_no: int = 1, ordered: str = "100", shipped: str = "0", received: str = "0",
         closed: bool = False, allowance: str = "105") -> LineProgress:
    return LineProgress(line_no, D(ordered), D(shipped), D(received), closed, D(allowance))


def test_spread_fills_what_each_line_expects_before_using_tolerance() -> None:
    lines = [line(1, "10", allowance="11"), line(2, "20", allowance="22")]
    assert spread(D(30), lines) == [(1, D(10)), (2, D(20))]
    assert spread(D(32), lines) == [(1, D(11)), (2, D(21))]
    assert spread(D(34), lines) is None


def test_spread_skips_lines_already_full_and_closed_lines_take_only_what_is_in_transit() -> None:
    full = line(1, "10", received="10", allowance="10")
    closed = line(2, "20", shipped="8", received="5", closed=True, allowance="20")
    assert spread(D(3), [full, closed]) == [(2, D(3))]
    assert spread(D(4), [full, closed]) is None
    assert receivable_now(closed) == D(3)


def test_sources_take_in_transit_first_then_on_order_then_outside() -> None:
    progress = line(ordered="100", shipped="30", received="10", allowance="105")
    assert sources(progress, D(15)) == [(Bucket.IN_TRANSIT, D(15))]
    assert sources(progress, D(95)) == [(Bucket.IN_TRANSIT, D(20)), (Bucket.ON_ORDER, D(70)),
                                        (None, D(5))]


def test_fully_received_counts_closed_lines_as_done_once_nothing_is_in_transit() -> None:
    assert fully_received([line(received="100"), line(2, closed=True)])
    assert not fully_received([line(received="99")])
    assert not fully_received([line(shipped="5", closed=True)])


def test_on_time_prefers_the_confirmed_date_over_the_requested_one() -> None:
    assert on_time(date(2026, 5, 2), date(2026, 5, 1), date(2026, 5, 9)) is False
    assert on_time(date(2026, 5, 2), None, date(2026, 5, 9)) is True
    assert on_time(date(2026, 5, 2), None, None) is None


def test_request_problems_name_each_bad_field() -> None:
    request = ReceiptRequest("PO-1", "WH1", "key", [
        ReceiveLine(D(0), sku="P1"),
        ReceiveLine(D(1), barcode="1", sku="P1"),
        ReceiveLine(D(2), sku="P1", serials=("A", "A")),
        ReceiveLine(D("1.00001"), sku="P1"),
    ])
    fields = {(p.field, p.code) for p in request_problems(request)}
    assert ("lines[0].quantity", "INVALID_INPUT") in fields
    assert ("lines[1]", "INVALID_INPUT") in fields
    assert ("lines[2].serials", "INVALID_INPUT") in fields
    assert ("lines[3].quantity", "INVALID_INPUT") in fields
    assert request_problems(ReceiptRequest("PO-1", "WH1", "key", [ReceiveLine(D(1), sku="P1")])) \
        == []
