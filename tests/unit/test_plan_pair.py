"""``plan_pair``: one product × warehouse from plain facts to a suggestion, rules included."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from server.planning.baseline import baselines
from server.planning.forecast import LeadTime, statistical_forecast
from server.planning.netting import SupplierTerms, Supply
from server.planning.plan import PairFacts, Policy, SupplierOption, plan_pair
from server.planning.rules import Action, Operation, Rule, Scope, Target

D = Decimal
MONDAY = date(2026, 11, 23)
NEXT = MONDAY + timedelta(weeks=1)


def facts(*, forecast: dict[date, str] | None = None, available: str = "0",
          backordered: str = "0", own_safety: str = "0", lead: int = 7, moq: str = "1",
          history: tuple[float, ...] = ()) -> PairFacts:
    return PairFacts(
        product_id=1, warehouse_id=1, sku="P1", warehouse_code="WH1", category="tools",
        tags=("promo",), product_safety_stock=D(own_safety), history=history,
        entered_forecast={week: D(q) for week, q in (forecast or {}).items()},
        orders_by_week={}, supply=Supply(available=D(available)), backordered=D(backordered),
        suppliers=(SupplierOption(SupplierTerms("S1", D("2.5"), lead, D(moq), D(1), True), 7,
                                  "CNY"),),
    )


def rule(target: Target, operation: Operation, value: str, condition: str = "true") -> Rule:
    return Rule(f"{target}-{operation}", condition, (Action(target, operation, D(value)),),
                scope=Scope(tags=frozenset({"promo"})))


def terms(plan: object) -> dict[str, str]:
    return {t["term"]: t["value"] for t in plan.explanation["terms"]}  # type: ignore[attr-defined]


def test_entered_forecast_and_backorder_make_the_suggestion_with_its_explanation() -> None:
    # Horizon 7 + 7 days from Monday: forecast 10 + 20; net = 0 + 30 + 5 − 0 = 35.
    plan = plan_pair(facts(forecast={MONDAY: "10", NEXT: "20"}, backordered="5"), None, [],
                     Policy(), MONDAY)
    assert plan is not None
    assert plan.quantity == D(35) and plan.supplier_id == 7 and plan.currency == "CNY"
    assert terms(plan)["forecast_in_horizon"] == "30" and terms(plan)["backordered"] == "5"
    assert [w["source"] for w in plan.explanation["forecastWeeks"]] == ["entered", "entered"]
    assert plan.urgent and plan.order_date == MONDAY


def test_nothing_to_order_gives_no_suggestion() -> None:
    assert plan_pair(facts(forecast={MONDAY: "10"}, available="100"), None, [], Policy(),
                     MONDAY) is None


def test_a_forecast_rule_scales_every_week_and_is_explained() -> None:
    plan = plan_pair(facts(forecast={MONDAY: "10", NEXT: "20"}),
                     None, [rule(Target.FORECAST, Operation.MULTIPLY, "1.5")], Policy(), MONDAY)
    assert plan is not None
    assert terms(plan)["forecast_in_horizon"] == "45"
    assert plan.explanation["rules"] == [{"rule": "forecast-multiply", "target": "forecast",
                                          "before": "15", "after": "22.5"}]


def test_lead_time_and_moq_rules_change_the_supplier_terms() -> None:
    # Lead time 7 → 14: the horizon is three weeks; MOQ set to 100 raises the order.
    plan = plan_pair(facts(forecast={MONDAY: "10", NEXT: "10", NEXT + timedelta(weeks=1): "10"}),
                     None, [rule(Target.LEAD_TIME_DAYS, Operation.ADD, "7"),
                            rule(Target.MIN_ORDER_QUANTITY, Operation.SET, "100")],
                     Policy(), MONDAY)
    assert plan is not None
    assert terms(plan)["horizon_days"] == "21" and terms(plan)["net"] == "30"
    assert plan.quantity == D(100)


def test_safety_stock_is_the_larger_of_the_products_own_and_the_statistical() -> None:
    history = (20.0, 22.0, 19.0, 25.0, 18.0, 21.0, 23.0, 20.0)
    baseline = baselines([history], 4, [LeadTime(1, 0, 1)], 0.95)[0]
    plan = plan_pair(facts(history=history, own_safety="1000"), baseline, [], Policy(), MONDAY)
    assert plan is not None and terms(plan)["safety_stock"] == "1000"
    low = plan_pair(facts(history=history, own_safety="0"), baseline, [], Policy(), MONDAY)
    assert low is not None
    assert D(terms(low)["safety_stock"]) == D(str(round(baseline.safety_stock, 4)))
    assert [w["source"] for w in low.explanation["forecastWeeks"]] == ["baseline"] * 2


@pytest.mark.parametrize("seed", range(3))
def test_the_batch_baseline_matches_the_one_product_forecast(seed: int) -> None:
    rng = random.Random(seed)
    histories: list[tuple[float, ...]] = []
    for _ in range(60):
        weeks = rng.randint(2, 60)
        shape = rng.random()
        if shape < 0.3:
            histories.append(tuple(float(rng.choice([0, 0, 0, rng.randint(1, 20)]))
                                   for _ in range(weeks)))
        elif shape < 0.4:
            histories.append((0.0,) * weeks)
        else:
            histories.append(tuple(max(0.0, 20 + 0.5 * w + rng.gauss(0, 4))
                                   for w in range(weeks)))
    lead_times = [LeadTime(rng.choice([1, 2, 3.5]), rng.choice([0, 0.5]), 1) for _ in histories]
    for history, lead_time, batch in zip(histories, lead_times,
                                         baselines(histories, 6, lead_times, 0.95), strict=True):
        single = statistical_forecast(history, 6, lead_time, service_level=0.95)
        assert batch.method == single.method and batch.pattern == single.pattern.kind.value
        assert batch.weekly == pytest.approx(single.weekly, abs=1e-6)
        assert batch.demand_error == pytest.approx(single.demand_error, abs=1e-6)
        assert batch.safety_stock == pytest.approx(single.safety_stock.quantity, abs=1e-6)
