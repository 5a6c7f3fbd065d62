"""Pure sales rules: validation, which stock goes first, who waits first, shortage messages,
release split, requisition quantities, low-stock crossings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from server.sales.models import ShortagePolicy
from server.sales.rules import (
    LineRequest,
    SalesLineDraft,
    SalesOrderChanges,
    SalesOrderDraft,
    Shortage,
    ShortageRefused,
    StockSpot,
    changes_problems,
    crossed_below,
    draft_problems,
    order_total,
    policy_refuses,
    reason_problem,
    release_split,
    requisition_quantity,
    reserve_order,
    shortages_of,
    take,
    unit_price_of,
    waiting_order_key,
)
from server.sales.supply import earliest

D = Decimal
TODAY = date(2026, 3, 2)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def spot(code: str, quantity: int, lot: str = "", expiry: date | None = None,
         received: datetime | None = None) -> StockSpot:
    return StockSpot(hash(code) % 1000, code, lot, D(quantity), expiry, received)


def order(*lines: SalesLineDraft, **extra: object) -> SalesOrderDraft:
    return SalesOrderDraft("C1", "WH1", list(lines), **extra)  # type: ignore[arg-type]


def test_a_sound_draft_has_no_problems() -> None:
    assert draft_problems(order(SalesLineDraft("P1", D("2.5"), D(10), TODAY)), TODAY) == []


def test_every_problem_of_a_draft_is_reported_with_its_field() -> None:
    problems = draft_problems(order(
        SalesLineDraft("P1", D(0)), SalesLineDraft("bad sku", D("1.00001"), D(-1)),
        SalesLineDraft("P2", D(1), requested_date=TODAY - timedelta(days=1), line_no=3),
        currency="cny", idempotency_key=" "), TODAY)
    assert {(p.code, p.field) for p in problems} == {
        ("INVALID_INPUT", "lines[0].quantity"), ("INVALID_INPUT", "lines[1].sku"),
        ("INVALID_INPUT", "lines[1].quantity"), ("INVALID_INPUT", "lines[1].unitPrice"),
        ("INVALID_INPUT", "lines[2].requestedDate"), ("INVALID_INPUT", "lines[2].lineNo"),
        ("INVALID_INPUT", "currency"), ("INVALID_INPUT", "idempotencyKey"),
    }


def test_an_order_needs_lines_and_an_update_may_not_name_a_line_twice() -> None:
    assert [p.field for p in draft_problems(order(), TODAY)] == ["lines"]
    changes = SalesOrderChanges("SO-2026-000001", 1, [
        SalesLineDraft("P1", D(1), line_no=1), SalesLineDraft("P1", D(2), line_no=1)])
    assert [(p.field, p.message) for p in changes_problems(changes, TODAY)] == [
        ("lines[1].lineNo", "line 1 is named twice")]
    assert changes_problems(SalesOrderChanges("SO-2026-000001", 1, notes="x"), TODAY) == []


def test_stock_goes_first_to_expire_then_first_received_then_by_bin() -> None:
    spots = [
        spot("A-03", 1, "NOLOT"),
        spot("A-02", 1, "LATE", received=T0 + timedelta(days=5)),
        spot("A-01", 1, "EARLY", received=T0),
        spot("A-09", 1, "EXP-LATE", expiry=date(2026, 9, 1), received=T0),
        spot("A-08", 1, "EXP-SOON", expiry=date(2026, 4, 1), received=T0 + timedelta(days=9)),
        spot("A-00", 1, "NOLOT"),
    ]
    assert [s.lot + "@" + s.location_code for s in reserve_order(spots)] == [
        "EXP-SOON@A-08", "EXP-LATE@A-09", "EARLY@A-01", "LATE@A-02", "NOLOT@A-00", "NOLOT@A-03"]


def test_take_draws_in_that_order_and_a_release_gives_back_the_last_first() -> None:
    spots = [spot("A-02", 5, received=T0 + timedelta(days=1)), spot("A-01", 3, received=T0)]
    assert [(s.location_code, q) for s, q in take(spots, D(4))] == [("A-01", 3), ("A-02", 1)]
    assert [(s.location_code, q) for s, q in take(spots, D(6), last_first=True)] == [
        ("A-02", 5), ("A-01", 1)]
    assert [(s.location_code, q) for s, q in take(spots, D(20))] == [("A-01", 3), ("A-02", 5)]


def test_backorders_wait_by_requested_date_then_order_time() -> None:
    waiting = [
        ("no date, early", waiting_order_key(None, T0, 1, 1)),
        ("late date", waiting_order_key(date(2026, 5, 1), T0, 2, 1)),
        ("early date, later order", waiting_order_key(date(2026, 4, 1), T0 + timedelta(1), 4, 1)),
        ("early date, earlier order", waiting_order_key(date(2026, 4, 1), T0, 3, 1)),
    ]
    assert [name for name, _ in sorted(waiting, key=lambda item: item[1])] == [
        "early date, earlier order", "early date, later order", "late date", "no date, early"]


def test_shortages_serve_lines_of_one_product_in_turn() -> None:
    requests = [LineRequest(0, 1, "P1", (1, 1), D(4)), LineRequest(1, 2, "P2", (2, 1), D(1)),
                LineRequest(2, 3, "P1", (1, 1), D(3))]
    found = shortages_of(requests, {(1, 1): D(6), (2, 1): D(5)})
    assert [(s.index, s.requested, s.available, s.short) for s in found] == [(2, 3, 2, 1)]
    assert shortages_of(requests, {(1, 1): D(7), (2, 1): D(1)}) == []
    nothing = shortages_of(requests[:1], {})
    assert [(s.available, s.short) for s in nothing] == [(0, 4)]


def test_a_shortage_message_names_line_product_quantities_and_expected_supply() -> None:
    short = Shortage(0, 2, "P1", D(5), D("3.0000"), date(2026, 4, 1), D("10.0000"))
    assert short.message() == ("line 2: 5 P1 requested, 3 available now; "
                               "10 more expected on 2026-04-01")
    assert Shortage(1, None, "P3", D("1.5"), D(0)).message() == (
        "line 2: 1.5 P3 requested, 0 available now; no supply expected")


def test_reject_refuses_a_shortage_with_one_problem_per_short_line() -> None:
    shortages = [Shortage(0, 1, "P1", D(5), D(3)), Shortage(2, 3, "P2", D(2), D(0))]
    assert policy_refuses(ShortagePolicy.REJECT, shortages)
    assert not policy_refuses(ShortagePolicy.BACKORDER, shortages)
    assert not policy_refuses(ShortagePolicy.REJECT, [])
    refused = ShortageRefused(shortages)
    assert [(p.code, p.field) for p in refused.problems] == [
        ("INSUFFICIENT_STOCK", "lines[0].quantity"), ("INSUFFICIENT_STOCK", "lines[2].quantity")]
    assert refused.shortages == shortages


def test_a_decrease_releases_the_backorder_first() -> None:
    assert release_split(D(3), D(5), D(2)) == (2, 0)
    assert release_split(D(3), D(5), D(6)) == (3, 3)
    assert release_split(D(0), D(5), D(5)) == (0, 5)


def test_requisitions_buy_at_least_the_moq_in_whole_packs() -> None:
    assert requisition_quantity(D(3), D(1), D(1)) == 3
    assert requisition_quantity(D(3), D(10), D(1)) == 10
    assert requisition_quantity(D(13), D(10), D(6)) == 18
    assert requisition_quantity(D("2.5"), D(1), D("0.5")) == D("2.5")


def test_low_stock_is_told_once_per_crossing() -> None:
    assert crossed_below(D(12), D(8), D(10))
    assert crossed_below(D(10), D(9), D(10))
    assert not crossed_below(D(9), D(7), D(10))  # already below: told when it crossed
    assert not crossed_below(D(15), D(10), D(10))  # at the threshold is not below
    assert not crossed_below(D(5), D(0), D(0))  # no safety stock, no alert


def test_prices_totals_and_the_earliest_supply() -> None:
    assert unit_price_of(None, D(300)) == 300 and unit_price_of(D(0), D(300)) == 0
    assert order_total([(D(3), D("1.00005")), (D(2), D(10))]) == D("23.0002")
    expected = earliest([(date(2026, 5, 1), D(5)), (date(2026, 4, 1), D(2)),
                         (date(2026, 4, 1), D(3)), (date(2026, 3, 1), D(0))])
    assert expected is not None and (expected.on, expected.quantity) == (date(2026, 4, 1), 5)
    assert earliest([]) is None
    assert reason_problem(" ") is not None and reason_problem("customer called") is None
