"""Netting on hand-computed cases: the formula, forecast consumption, pro-rata horizon, rounding,
supplier choice, order date and urgency, input validation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import pytest

from server.errors import DomainError, InvalidInput
from server.planning.netting import (
    NettingInput,
    NettingResult,
    SupplierRule,
    SupplierTerms,
    Supply,
    choose_supplier,
    demand_in_horizon,
    need_date,
    net_requirement,
    round_to_terms,
    weekly_demand,
)

D = Decimal
MONDAY = date(2026, 11, 23)
NEXT_MONDAY = date(2026, 11, 30)
WEDNESDAY = date(2026, 11, 25)


def supplier(code: str = "S1", price: str = "1", lead: int = 7, moq: str = "1", pack: str = "1",
             preferred: bool = False, active: bool = True) -> SupplierTerms:
    return SupplierTerms(code, D(price), lead, D(moq), D(pack), preferred, active)


def plan(*, today: date = MONDAY, safety: str = "0", forecast: Mapping[date, str] | None = None,
         supply: Supply | None = None, backordered: str = "0",
         orders: Mapping[date, str] | None = None, suppliers: Sequence[SupplierTerms] = (),
         review: int = 7) -> NettingResult:
    return net_requirement(NettingInput(
        today=today,
        safety_stock=D(safety),
        weekly_forecast={week: D(q) for week, q in (forecast or {}).items()},
        supply=supply or Supply(),
        backordered=D(backordered),
        open_orders_by_week={week: D(q) for week, q in (orders or {}).items()},
        suppliers=tuple(suppliers) or (supplier(),),
        review_period_days=review,
    ))


def terms(result: NettingResult) -> dict[str, Decimal | int | str]:
    return {term.term: term.value for term in result.explanation}


def test_the_source_formula_term_by_term() -> None:
    # Horizon 7 + 7 = two whole weeks: forecast 30 + 40 = 70.
    # net = 20 + 70 + 5 − (10 + 3 + 2 + 5) = 75.
    result = plan(safety="20", forecast={MONDAY: "30", NEXT_MONDAY: "40"},
                  supply=Supply(D(10), D(3), D(2), D(5)), backordered="5")
    assert result.net == D(75)
    assert result.quantity == D(75)
    assert result.horizon_days == 14
    assert terms(result) == {
        "horizon_days": 14, "safety_stock": D(20), "forecast_in_horizon": D(70),
        "backordered": D(5), "available": D(10), "pending_qc": D(3), "in_transit": D(2),
        "on_order": D(5), "draft_orders": D(0), "net": D(75), "quantity": D(75),
        "supplier": "S1",
    }


def test_open_orders_consume_the_forecast_of_their_week() -> None:
    # Week 1: orders 50 use up forecast 30 → 0 to come; week 2: orders 10 of forecast 40 → 30.
    # The 60 ordered are backordered (nothing in stock): net = 30 + 60 = 90, not 70 + 60.
    forecast = {MONDAY: D(30), NEXT_MONDAY: D(40)}
    orders = {MONDAY: D(50), NEXT_MONDAY: D(10)}
    assert weekly_demand(forecast, orders) == {MONDAY: D(0), NEXT_MONDAY: D(30)}
    result = plan(forecast={MONDAY: "30", NEXT_MONDAY: "40"}, backordered="60",
                  orders={MONDAY: "50", NEXT_MONDAY: "10"})
    assert terms(result)["forecast_in_horizon"] == D(30)
    assert result.net == D(90)
    note = next(t.note for t in result.explanation if t.term == "forecast_in_horizon")
    assert "forecast 30 − open orders 50" in note


def test_orders_reserved_from_stock_consume_forecast_and_leave_both_sides() -> None:
    # 14 ordered next week and reserved: not in available, not backordered; forecast 20 → 6.
    result = plan(forecast={NEXT_MONDAY: "20"}, orders={NEXT_MONDAY: "14"})
    assert terms(result)["forecast_in_horizon"] == D(6)


def test_orders_without_a_forecast_count_once_and_missing_weeks_count_zero() -> None:
    result = plan(orders={NEXT_MONDAY: "14"}, backordered="14")
    assert terms(result)["forecast_in_horizon"] == D(0)
    assert result.net == D(14)


def test_partial_weeks_count_pro_rata_by_days_inside_the_horizon() -> None:
    # From Wednesday, 10 days: Wed–Sun (5/7 of 14 = 10) and Mon–Fri (5/7 of 70 = 50).
    demand = {MONDAY: D(14), NEXT_MONDAY: D(70)}
    assert demand_in_horizon(WEDNESDAY, 10, demand) == D(60)
    assert demand_in_horizon(date(2026, 11, 26), 3, {MONDAY: D(70)}) == D(30)
    result = plan(today=WEDNESDAY, forecast={MONDAY: "14", NEXT_MONDAY: "70"},
                  suppliers=[supplier(lead=3)])
    assert result.horizon_days == 10
    assert terms(result)["forecast_in_horizon"] == D(60)


def test_fractional_pro_rata_is_rounded_to_four_places() -> None:
    assert demand_in_horizon(MONDAY, 1, {MONDAY: D(10)}) == D("1.4286")


@pytest.mark.parametrize(
    ("net", "moq", "pack", "expected"),
    [("7", "10", "6", "12"), ("13", "10", "6", "18"), ("12", "10", "6", "12"),
     ("7.5", "1", "1", "8"), ("3", "1", "2.5", "5.0"), ("0", "10", "6", "0"),
     ("-4", "10", "6", "0")],
)
def test_quantity_is_raised_to_moq_then_to_the_pack_multiple(
    net: str, moq: str, pack: str, expected: str
) -> None:
    assert round_to_terms(D(net), supplier(moq=moq, pack=pack)) == D(expected)


def test_rounding_is_applied_and_explained_in_the_suggestion() -> None:
    result = plan(forecast={MONDAY: "7"}, suppliers=[supplier(lead=0, moq="10", pack="6")])
    assert result.net == D(7)
    assert result.quantity == D(12)
    note = next(t.note for t in result.explanation if t.term == "quantity")
    assert note == "net 7.0000 → MOQ 10 → pack multiple 6: 12"


def test_the_preferred_supplier_wins_even_when_dearer_and_slower() -> None:
    chosen = plan(forecast={MONDAY: "70"}, suppliers=[
        supplier("CHEAP", price="1", lead=1), supplier("PREF", price="9", lead=20, preferred=True),
    ])
    assert (chosen.supplier_code, chosen.unit_price) == ("PREF", D(9))
    assert chosen.supplier_rule is SupplierRule.PREFERRED
    assert chosen.horizon_days == 27


def test_the_cheapest_supplier_delivering_by_the_need_date_is_chosen() -> None:
    # Start 40, safety 20, 10 a day: closing 30, 20, 10 → below safety on day 3 (Wednesday).
    result = plan(safety="20", forecast={MONDAY: "70", NEXT_MONDAY: "70"},
                  supply=Supply(available=D(40)), suppliers=[
                      supplier("ON_TIME", price="5", lead=2),
                      supplier("CHEAPER_LATE", price="4", lead=5),
                      supplier("DEARER_ON_TIME", price="6", lead=1),
                  ])
    assert result.need_date == WEDNESDAY
    assert result.supplier_code == "ON_TIME"
    assert result.supplier_rule is SupplierRule.CHEAPEST_ON_TIME
    assert result.order_date == MONDAY
    assert not result.urgent


def test_the_fastest_supplier_is_chosen_when_none_meets_the_need_date() -> None:
    suppliers = [supplier("SLOW", price="1", lead=10), supplier("FAST", price="3", lead=4)]
    chosen, rule, why = choose_supplier(suppliers, MONDAY, WEDNESDAY)
    assert (chosen.code, rule) == ("FAST", SupplierRule.FASTEST)
    assert "fastest lead time 4 d" in why


def test_inactive_suppliers_are_ignored() -> None:
    suppliers = [
        supplier("OLD_PREF", price="1", lead=1, preferred=True, active=False),
        supplier("OLD_CHEAP", price="0.5", lead=1, active=False),
        supplier("CURRENT", price="2", lead=1),
        supplier("DEAR", price="3", lead=1),
    ]
    chosen, rule, _ = choose_supplier(suppliers, MONDAY, WEDNESDAY)
    assert (chosen.code, rule) == ("CURRENT", SupplierRule.CHEAPEST_ON_TIME)
    with pytest.raises(DomainError) as error:
        choose_supplier([supplier(active=False)], MONDAY, None)
    assert error.value.problems[0].code == "NO_ACTIVE_SUPPLIER"


def test_need_date_is_when_projected_stock_first_closes_below_safety_stock() -> None:
    # From Wednesday: 2 a day this week (5 days → 10), then 10 a day. Headroom 40 − 10 − 20 = 10:
    # Monday closes at exactly safety (not below), Tuesday below.
    demand = {MONDAY: D(14), NEXT_MONDAY: D(70)}
    assert need_date(WEDNESDAY, D(40), D(20), demand, 30) == date(2026, 12, 1)
    assert need_date(WEDNESDAY, D(40), D(20), demand, 6) is None
    assert need_date(WEDNESDAY, D(19), D(20), {}, 30) == WEDNESDAY


def test_an_order_date_later_than_today_is_not_urgent() -> None:
    result = plan(today=WEDNESDAY, safety="20", forecast={MONDAY: "14", NEXT_MONDAY: "70"},
                  supply=Supply(D(30), D(5), D(5), D(10)), backordered="10",
                  suppliers=[supplier(lead=3, moq="10", pack="6")])
    assert result.net == D(40)
    assert result.quantity == D(42)
    assert result.need_date == date(2026, 12, 1)
    assert result.order_date == date(2026, 11, 28)
    assert not result.urgent


def test_an_order_date_already_past_is_today_and_urgent() -> None:
    # Needed Wednesday, lead time 5 → should have ordered last week.
    result = plan(safety="20", forecast={MONDAY: "70"}, supply=Supply(available=D(40)),
                  suppliers=[supplier(lead=5)])
    assert result.need_date == WEDNESDAY
    assert (result.order_date, result.urgent) == (MONDAY, True)


@pytest.mark.parametrize("lead", [0, 7])
def test_stock_already_below_safety_orders_today_urgently(lead: int) -> None:
    result = plan(safety="10", supply=Supply(available=D(8)), backordered="2",
                  suppliers=[supplier(lead=lead)])
    assert result.net == D(4)
    assert (result.need_date, result.order_date, result.urgent) == (MONDAY, MONDAY, True)


def test_nothing_to_order_when_supply_covers_the_horizon() -> None:
    # 10 + 70 − (60 + 30) = −10.
    result = plan(safety="10", forecast={MONDAY: "35", NEXT_MONDAY: "35"},
                  supply=Supply(available=D(60), in_transit=D(30)),
                  suppliers=[supplier(moq="50", pack="12")])
    assert result.net == D(-10)
    assert result.quantity == D(0)
    assert (result.order_date, result.urgent) == (None, False)
    assert result.supplier_code == "S1"
    assert next(t.note for t in result.explanation if t.term == "quantity") == (
        "net ≤ 0: nothing to order"
    )


def test_negative_quantities_and_bad_terms_are_refused_with_their_fields() -> None:
    with pytest.raises(InvalidInput) as error:
        plan(safety="-1", supply=Supply(available=D(-5)), forecast={MONDAY: "-2"},
             suppliers=[supplier(lead=-1, moq="0", pack="-6", price="-1")], review=-1)
    fields = {problem.field for problem in error.value.problems}
    assert fields == {
        "safetyStock", "supply.available", f"weeklyForecast[{MONDAY}]", "reviewPeriodDays",
        "suppliers[S1].unitPrice", "suppliers[S1].leadTimeDays", "suppliers[S1].moq",
        "suppliers[S1].packMultiple",
    }
    assert all(problem.code == "INVALID_INPUT" for problem in error.value.problems)


def test_weeks_must_be_keyed_by_their_monday() -> None:
    with pytest.raises(InvalidInput, match="is not a Monday"):
        plan(orders={WEDNESDAY: "3"})
