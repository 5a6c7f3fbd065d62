from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from server.errors import InvalidInput
from server.planning.metrics import (
    ProductFacts,
    ProductMetrics,
    growth_rows,
    product_metrics,
    week_over_week_growth,
)
from server.planning.rules import (
    SEED_GROWTH_CONDITION,
    Action,
    Operation,
    PlanningParameters,
    Rule,
    Scope,
    Target,
    apply_rules,
)

PARAMETERS = PlanningParameters(
    safety_stock=Decimal("100"), forecast=Decimal("400"),
    lead_time_days=Decimal("14"), min_order_quantity=Decimal("50"),
)
SEED_ACTION = Action(Target.SAFETY_STOCK, Operation.MULTIPLY, Decimal("1.15"))


def metrics_for(sales: tuple[float, ...], **overrides: object) -> ProductMetrics:
    fields: dict[str, object] = {
        "sku": "P1", "warehouse_code": "WH1", "category": "tea", "tags": ("fast",),
        "weekly_sales": sales, "available": 70, "month": 6,
    }
    fields.update(overrides)
    return product_metrics(ProductFacts(**fields))  # type: ignore[arg-type]


def seed_rule() -> Rule:
    return Rule("growth streak", SEED_GROWTH_CONDITION, (SEED_ACTION,))


def test_metrics_from_weekly_sales() -> None:
    metrics = metrics_for((100, 125, 155, 190))
    assert metrics.weekly_sales == (100.0, 125.0, 155.0, 190.0)
    assert metrics.growth == pytest.approx((0.25, 0.24, 35 / 155))
    assert metrics.average == pytest.approx(142.5)
    assert metrics.std_dev == pytest.approx(math.sqrt((42.5**2 + 17.5**2 + 12.5**2 + 47.5**2) / 4))
    assert metrics.days_of_cover == pytest.approx(70 / (142.5 / 7))
    facts = metrics.as_facts()
    assert facts["sales"] == [100.0, 125.0, 155.0, 190.0]
    assert (facts["category"], facts["tags"], facts["month"]) == ("tea", ["fast"], 6)


def test_growth_after_a_zero_week_is_zero_and_no_sales_means_infinite_cover() -> None:
    assert week_over_week_growth((0.0, 50.0, 100.0)) == (0.0, 1.0)
    assert metrics_for((0, 0)).days_of_cover == math.inf


def test_growth_of_many_rows_at_once_is_each_rows_growth_from_any_week_on() -> None:
    rng = np.random.default_rng(3)
    sold = rng.poisson(4.0, (50, 12)) * (rng.random((50, 12)) < 0.6)
    series = sold / rng.integers(1, 7, 50)[:, None]
    for row, growth in zip(series.tolist(), growth_rows(series), strict=True):
        for start in range(len(row)):
            assert tuple(growth[start:]) == week_over_week_growth(row[start:])


def test_seed_rule_fires_on_three_weeks_above_twenty_percent() -> None:
    outcome = apply_rules([seed_rule()], metrics_for((100, 125, 155, 190)), PARAMETERS)
    assert outcome.parameters.safety_stock == Decimal("115.00")
    (application,) = outcome.applications
    assert (application.rule, application.target) == ("growth streak", Target.SAFETY_STOCK)
    assert (application.before, application.after) == (Decimal("100"), Decimal("115.00"))


def test_seed_rule_does_not_fire_when_the_streak_breaks() -> None:
    outcome = apply_rules([seed_rule()], metrics_for((100, 125, 130, 170)), PARAMETERS)
    assert outcome.parameters == PARAMETERS
    assert outcome.applications == ()


def test_seed_rule_does_not_fire_on_a_short_history() -> None:
    outcome = apply_rules([seed_rule()], metrics_for((100, 125, 160)), PARAMETERS)
    assert outcome.applications == ()
    assert outcome.failures == ()


@pytest.mark.parametrize(
    ("action", "target", "expected"),
    [
        (Action(Target.SAFETY_STOCK, Operation.SET, Decimal("30")), Target.SAFETY_STOCK, "30"),
        (Action(Target.FORECAST, Operation.ADD, Decimal("25")), Target.FORECAST, "425"),
        (Action(Target.LEAD_TIME_DAYS, Operation.MULTIPLY, Decimal("1.5")),
         Target.LEAD_TIME_DAYS, "21.0"),
        (Action(Target.MIN_ORDER_QUANTITY, Operation.SET, Decimal("120")),
         Target.MIN_ORDER_QUANTITY, "120"),
        (Action(Target.FORECAST, Operation.ADD, Decimal("-500")), Target.FORECAST, "0"),
    ],
)
def test_each_action_kind(action: Action, target: Target, expected: str) -> None:
    outcome = apply_rules([Rule("r", "true", (action,))], metrics_for((1, 2)), PARAMETERS)
    assert outcome.parameters.value(target) == Decimal(expected)
    untouched = [t for t in Target if t is not target]
    assert all(outcome.parameters.value(t) == PARAMETERS.value(t) for t in untouched)


def test_rules_apply_in_priority_order_each_seeing_the_last() -> None:
    add = Rule("add", "true", (Action(Target.SAFETY_STOCK, Operation.ADD, Decimal("10")),),
               priority=20)
    double = Rule("double", "true",
                  (Action(Target.SAFETY_STOCK, Operation.MULTIPLY, Decimal("2")),), priority=10)
    outcome = apply_rules([add, double], metrics_for((1, 2)), PARAMETERS)
    assert [(a.rule, a.before, a.after) for a in outcome.applications] == [
        ("double", Decimal("100"), Decimal("200")),
        ("add", Decimal("200"), Decimal("210")),
    ]
    assert outcome.parameters.safety_stock == Decimal("210")


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        (Scope(), True),
        (Scope(skus=frozenset({"P1", "P9"})), True),
        (Scope(skus=frozenset({"P2"})), False),
        (Scope(categories=frozenset({"tea"}), warehouse_codes=frozenset({"WH1"})), True),
        (Scope(categories=frozenset({"tea"}), warehouse_codes=frozenset({"WH2"})), False),
        (Scope(tags=frozenset({"slow", "fast"})), True),
        (Scope(tags=frozenset({"slow"})), False),
    ],
)
def test_scope(scope: Scope, covered: bool) -> None:
    rule = Rule("scoped", "true", (Action(Target.FORECAST, Operation.SET, Decimal("1")),),
                scope=scope)
    outcome = apply_rules([rule], metrics_for((1, 2)), PARAMETERS)
    assert (outcome.parameters.forecast == Decimal("1")) is covered


def test_condition_sees_category_tags_month_and_cover() -> None:
    condition = ('category == "tea" && "fast" in tags && month == 6'
                 " && days_of_cover < 7.0 && std_dev > 0.0")
    rule = Rule("c", condition, (Action(Target.FORECAST, Operation.SET, Decimal("1")),))
    assert apply_rules([rule], metrics_for((100, 125)), PARAMETERS).applications
    assert not apply_rules([rule], metrics_for((100, 125), month=7), PARAMETERS).applications


def test_invalid_cel_is_refused_with_its_position() -> None:
    with pytest.raises(InvalidInput) as caught:
        Rule("broken", "average >", (SEED_ACTION,))
    problem = caught.value.problems[0]
    assert problem.field == "condition"
    assert "line 1, column 10" in problem.message


def test_unknown_metric_and_negative_multiplier_are_refused() -> None:
    with pytest.raises(InvalidInput, match="avrage"):
        Rule("typo", "avrage > 1.0", (SEED_ACTION,))
    with pytest.raises(InvalidInput, match="finite value"):
        Rule("neg", "true", (Action(Target.SAFETY_STOCK, Operation.MULTIPLY, Decimal("-1")),))


def test_a_condition_failing_on_one_product_is_skipped_and_reported() -> None:
    rule = Rule("fifth week", "sales[4] > 0.0",
                (Action(Target.FORECAST, Operation.SET, Decimal("1")),))
    outcome = apply_rules([rule], metrics_for((1, 2)), PARAMETERS)
    assert outcome.parameters == PARAMETERS
    assert [failure.rule for failure in outcome.failures] == ["fifth week"]
