"""Replenishment rules: a scope, a CEL condition over ``server.planning.metrics``, and actions.

A rule whose scope covers the product × warehouse and whose condition holds changes planning
parameters (safety stock, forecast, lead time, minimum order quantity) by setting, adding to or
multiplying them. Rules apply in priority order (lower number first, then name); a later rule sees
the parameters as earlier rules left them. Every change is recorded — rule, target, value before,
value after — for the suggestion's explanation. A result below zero is clamped to zero.

The seed's example, "when weekly sales grew more than 20 % week over week for 3 consecutive
weeks, raise safety stock by 15 %", is ``SEED_GROWTH_CONDITION`` with the action
``Action(Target.SAFETY_STOCK, Operation.MULTIPLY, Decimal("1.15"))``::

    size(growth) >= 3 && growth[size(growth) - 3] > 0.2
        && growth[size(growth) - 2] > 0.2 && growth[size(growth) - 1] > 0.2

Three growth ratios need four weeks of sales, e.g. 100, 125, 155, 190 (+25 %, +24 %, +22.6 %).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter
from typing import Any, Protocol

from server.errors import DomainError, InvalidInput
from server.expression_forms import native_condition
from server.expressions import Condition, compile_condition, fact_context, referenced_names
from server.planning.metrics import SAMPLE_METRICS, ProductFacts, ProductMetrics, named_facts

SEED_GROWTH_CONDITION = (
    "size(growth) >= 3 && growth[size(growth) - 3] > 0.2"
    " && growth[size(growth) - 2] > 0.2 && growth[size(growth) - 1] > 0.2"
)


class Target(StrEnum):
    SAFETY_STOCK = "safety_stock"
    FORECAST = "forecast"
    LEAD_TIME_DAYS = "lead_time_days"
    MIN_ORDER_QUANTITY = "min_order_quantity"


class Operation(StrEnum):
    SET = "set"
    ADD = "add"
    MULTIPLY = "multiply"


@dataclass(frozen=True, slots=True)
class Action:
    target: Target
    operation: Operation
    value: Decimal

    def apply(self, current: Decimal) -> Decimal:
        if self.operation is Operation.SET:
            result = self.value
        elif self.operation is Operation.ADD:
            result = current + self.value
        else:
            result = current * self.value
        return max(result, Decimal(0))


class ScopeSubject(Protocol):
    """What a scope looks at: ``ProductMetrics``, or a pair's facts before any metric."""

    @property
    def sku(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def warehouse_code(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """Which product × warehouse pairs a rule covers; an empty set means all. A pair is covered
    when every non-empty set matches it (for tags: the product has at least one of them)."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    warehouse_codes: frozenset[str] = frozenset()

    def covers(self, metrics: ScopeSubject) -> bool:
        return (
            (not self.skus or metrics.sku in self.skus)
            and (not self.categories or metrics.category in self.categories)
            and (not self.tags or not self.tags.isdisjoint(metrics.tags))
            and (not self.warehouse_codes or metrics.warehouse_code in self.warehouse_codes)
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A replenishment rule; the condition is compiled and tried when the rule is constructed,
    so invalid CEL raises ``InvalidInput`` with its line and column."""

    name: str
    condition_source: str
    actions: tuple[Action, ...]
    priority: int = 100
    scope: Scope = Scope()
    condition: Condition = field(init=False, repr=False, compare=False)
    # The metrics the condition mentions: only those are converted for CEL per product.
    fact_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a rule needs a name", field="name")
        if not self.actions:
            raise InvalidInput(f"rule {self.name!r} has no actions", field="actions")
        for number, action in enumerate(self.actions):
            if not action.value.is_finite() or (
                action.operation is not Operation.ADD and action.value < 0
            ):
                raise InvalidInput(
                    f"rule {self.name!r}: {action.operation} needs a finite value ≥ 0 "
                    f"(got {action.value})", field=f"actions[{number}].value",
                )
        sample = SAMPLE_METRICS.as_facts()
        compiled = compile_condition(self.condition_source, sample, "condition")
        object.__setattr__(self, "condition", compiled)
        object.__setattr__(self, "fact_names",
                           referenced_names(self.condition_source, sample))


@dataclass(frozen=True, slots=True)
class PlanningParameters:
    safety_stock: Decimal
    forecast: Decimal
    lead_time_days: Decimal
    min_order_quantity: Decimal

    def value(self, target: Target) -> Decimal:
        value: Decimal = getattr(self, target.value)
        return value

    def with_value(self, target: Target, value: Decimal) -> PlanningParameters:
        """These parameters with ``target`` set to ``value`` (``dataclasses.replace``, without
        its generic cost: rules fire on most products of a run)."""
        return PlanningParameters(
            value if target is Target.SAFETY_STOCK else self.safety_stock,
            value if target is Target.FORECAST else self.forecast,
            value if target is Target.LEAD_TIME_DAYS else self.lead_time_days,
            value if target is Target.MIN_ORDER_QUANTITY else self.min_order_quantity,
        )


@dataclass(frozen=True, slots=True)
class RuleApplication:
    """One change a rule made, for the explanation."""

    rule: str
    target: Target
    before: Decimal
    after: Decimal


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule whose condition could not be evaluated for this product (e.g. an index beyond a
    short history); it is skipped, not fatal, so one odd product never stops a planning run."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    parameters: PlanningParameters
    applications: tuple[RuleApplication, ...]
    failures: tuple[RuleFailure, ...] = ()


def in_priority_order(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda rule: (rule.priority, rule.name))


def apply_rules(
    rules: Iterable[Rule], metrics: ProductMetrics, parameters: PlanningParameters
) -> RuleOutcome:
    applications: list[RuleApplication] = []
    failures: list[RuleFailure] = []
    covering = [rule for rule in in_priority_order(rules) if rule.scope.covers(metrics)]
    if not covering:
        return RuleOutcome(parameters, ())
    facts = metrics.as_facts()
    context = fact_context({name: facts[name]
                            for name in frozenset().union(*(r.fact_names for r in covering))})
    for rule in covering:
        verdict = _verdict(rule, context)
        if isinstance(verdict, str):
            failures.append(RuleFailure(rule.name, verdict))
        elif verdict:
            parameters = _fire(rule, parameters, applications)
    return RuleOutcome(parameters, tuple(applications), tuple(failures))


def _verdict(rule: Rule, context: Any) -> bool | str:
    """Whether the rule's condition holds, or why it could not be evaluated."""
    try:
        return rule.condition.holds_in(context)
    except (DomainError, IndexError, KeyError, RuntimeError, TypeError, ValueError) as error:
        return str(error) or type(error).__name__


def _fire(rule: Rule, parameters: PlanningParameters,
          applications: list[RuleApplication]) -> PlanningParameters:
    for action in rule.actions:
        before = parameters.value(action.target)
        after = action.apply(before)
        parameters = parameters.with_value(action.target, after)
        applications.append(RuleApplication(rule.name, action.target, before, after))
    return parameters


# Remembered verdicts per rule: enough for every distinct value of a month, a category or a
# flag, bounded so that metrics that differ for every product (growth series) cost no memory.
_MEMO_LIMIT = 4096


def _no_facts(_: object) -> tuple[()]:
    return ()


class RuleEvaluator:
    """``apply_rules`` for many products, with the same outcome, cheaper: scope is tested on
    the product's own attributes before any metric is computed; only the metrics the covering
    rules mention are computed and handed to CEL; and a condition's verdict is remembered per
    distinct values of the metrics it mentions (CEL is pure), so ``true`` runs once per planning
    run instead of once per product; a condition of a common form is evaluated in Python
    (``server.expression_forms``), CEL only where that cannot tell."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = in_priority_order(rules)
        self._names = [tuple(sorted(rule.fact_names)) for rule in self.rules]
        # A rule's memo key: the values of the facts it mentions (one bare value for one fact).
        self._keys = [itemgetter(*names) if names else _no_facts for names in self._names]
        self._memo: list[dict[Any, bool | str]] = [{} for _ in self.rules]
        # Common condition forms (the seed's growth streak, a threshold) run as Python with
        # CEL's result, instead of converting every product's facts for CEL.
        self._native = [native_condition(rule.condition_source) for rule in self.rules]
        # Scopes look at few distinct values (skus only when some rule names skus), so which
        # rules cover a product is remembered per those values, with the facts they need.
        self._by_sku = any(rule.scope.skus for rule in self.rules)
        self._covering: dict[tuple[Any, ...], tuple[tuple[int, ...], frozenset[str]]] = {}

    def apply(self, facts: ProductFacts, parameters: PlanningParameters) -> RuleOutcome:
        covering, names = self._covering_rules(facts)
        if not covering:
            return RuleOutcome(parameters, ())
        values = named_facts(facts, names)
        verdicts: dict[int, bool | str] = {}
        missed: list[tuple[int, Any]] = []
        for index in covering:
            native = self._native[index]
            if native is not None:
                verdict = native(values)
                if verdict is not None:
                    verdicts[index] = verdict
                    continue
            key = self._keys[index](values)
            known = self._memo[index].get(key)
            if known is None:
                missed.append((index, key))
            else:
                verdicts[index] = known
        if missed:
            # CEL takes the tuples as lists.
            context = fact_context(values)
            for index, key in missed:
                verdict = verdicts[index] = _verdict(self.rules[index], context)
                if len(self._memo[index]) < _MEMO_LIMIT:
                    self._memo[index][key] = verdict
        applications: list[RuleApplication] = []
        failures: list[RuleFailure] = []
        for index in covering:
            rule, verdict = self.rules[index], verdicts[index]
            if isinstance(verdict, str):
                failures.append(RuleFailure(rule.name, verdict))
            elif verdict:
                parameters = _fire(rule, parameters, applications)
        return RuleOutcome(parameters, tuple(applications), tuple(failures))

    def _covering_rules(self, facts: ProductFacts) -> tuple[tuple[int, ...], frozenset[str]]:
        key = (facts.category, facts.tags, facts.warehouse_code,
               facts.sku if self._by_sku else None)
        found = self._covering.get(key)
        if found is None:
            covering = tuple(index for index, rule in enumerate(self.rules)
                             if rule.scope.covers(facts))
            names = frozenset().union(*(self._names[index] for index in covering))
            found = (covering, names)
            if len(self._covering) < _MEMO_LIMIT:
                self._covering[key] = found
        return found
