"""``RuleEvaluator``: the outcome ``apply_rules`` gives, product after product, while it skips
rules out of scope, computes only the metrics conditions mention and remembers verdicts."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from server.planning.metrics import ProductFacts, named_facts, product_metrics
from server.planning.rules import (
    SEED_GROWTH_CONDITION,
    Action,
    Operation,
    PlanningParameters,
    Rule,
    RuleEvaluator,
    Scope,
    Target,
    apply_rules,
)

PARAMETERS = PlanningParameters(
    safety_stock=Decimal("100"), forecast=Decimal("400"),
    lead_time_days=Decimal("14"), min_order_quantity=Decimal("50"),
)
RULES = [
    Rule("growth", SEED_GROWTH_CONDITION,
         (Action(Target.SAFETY_STOCK, Operation.MULTIPLY, Decimal("1.15")),), priority=10),
    Rule("tea uplift", "true", (Action(Target.FORECAST, Operation.MULTIPLY, Decimal("1.1")),),
         priority=20, scope=Scope(categories=frozenset({"tea"}))),
    Rule("short cover", "days_of_cover < 7.0",
         (Action(Target.LEAD_TIME_DAYS, Operation.ADD, Decimal(2)),), priority=30),
    Rule("june", "month == 6", (Action(Target.MIN_ORDER_QUANTITY, Operation.SET, Decimal(80)),),
         priority=40, scope=Scope(tags=frozenset({"fast"}))),
    # Fails on histories shorter than five weeks: recorded as a failure, never fatal.
    Rule("fifth week", "sales[4] > 10.0 && std_dev < average",
         (Action(Target.SAFETY_STOCK, Operation.ADD, Decimal(5)),), priority=50),
]


def facts(sales: tuple[float, ...], category: str = "tea", tags: tuple[str, ...] = ("fast",),
          available: int = 70) -> ProductFacts:
    return ProductFacts(sku="P1", warehouse_code="WH1", category=category, tags=tags,
                        weekly_sales=sales, available=available, month=6)


PRODUCTS = [
    facts((100.0, 125.0, 155.0, 190.0, 240.0)),
    facts((100.0, 125.0, 155.0, 190.0, 240.0), category="coffee", tags=()),
    facts((10.0, 10.0, 10.0)),
    facts((), available=0),
    facts((5.0, 0.0, 7.0, 12.0, 30.0, 31.0), category="coffee"),
    facts((10.0, 10.0, 10.0)),  # the same metrics again: verdicts come from memory
    facts((500.0, 1.0, 1.0, 1.0, 1.0), available=1),
]


def test_every_product_gets_the_outcome_of_apply_rules() -> None:
    evaluator = RuleEvaluator(reversed(RULES))  # priority order is the evaluator's own
    outcomes = [evaluator.apply(product, PARAMETERS) for product in PRODUCTS]
    assert outcomes == [apply_rules(RULES, product_metrics(product), PARAMETERS)
                        for product in PRODUCTS]
    assert outcomes[0].parameters.safety_stock == Decimal("120.00")  # × 1.15, then + 5
    assert [failure.rule for failure in outcomes[2].failures] == ["fifth week"]
    assert outcomes[1].parameters.forecast == Decimal("400")  # out of the tea rule's scope


def test_named_facts_are_those_of_the_full_metrics() -> None:
    for product in PRODUCTS:
        everything = product_metrics(product).as_facts()
        some = named_facts(product, ["growth", "days_of_cover", "month", "tags"])
        assert some == {name: tuple(everything[name]) if isinstance(everything[name], list)
                        else everything[name] for name in some}
        assert named_facts(product, everything) == {
            name: tuple(value) if isinstance(value, list) else value
            for name, value in everything.items()}


def test_scopes_by_sku_are_told_apart_while_rules_covering_are_remembered() -> None:
    by_sku = [*RULES, Rule("p2 only", "true",
                           (Action(Target.SAFETY_STOCK, Operation.SET, Decimal(7)),),
                           priority=60, scope=Scope(skus=frozenset({"P2"})))]
    evaluator = RuleEvaluator(by_sku)
    products = [PRODUCTS[2], replace(PRODUCTS[2], sku="P2"), PRODUCTS[2]]
    outcomes = [evaluator.apply(product, PARAMETERS) for product in products]
    assert outcomes == [apply_rules(by_sku, product_metrics(product), PARAMETERS)
                        for product in products]
    assert [o.parameters.safety_stock for o in outcomes] == [Decimal(100), Decimal(7),
                                                             Decimal(100)]


def test_with_value_changes_only_its_target() -> None:
    for target in Target:
        assert PARAMETERS.with_value(target, Decimal(3)) == replace(
            PARAMETERS, **{target.value: Decimal(3)})
